/**
 * Would a first `pulumi up` on an empty cluster converge in one pass? The provider treats a custom resource as
 * ready once the API server stored it (unless it carries `pulumi.com/waitFor`) and retries a create only briefly,
 * so every custom resource must wait, through its dependencies, for a gate that really tracks the controller that
 * serves it: a Helm chart (the provider awaits each of its Deployments, Jobs, ...) or a custom resource whose
 * Ready condition the provider waits for.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { controllerReplicasTransform } from "../components/kserve/kserve";
import { awaitInjectedCaBundles, awaitReadyAnnotation } from "../components/kubernetes";
import { readerPolicy, seedDownloadScript } from "../components/storage/minio/minioObjectStore";
import { Render, RenderedResource, renderStack, repoRoot } from "../tools/renderStack";
import { renderDevWith, stackFileConfig } from "./helpers";

const stacks = readdirSync(path.join(repoRoot, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

const chartType = "kubernetes:helm.sh/v4:Chart";
const waitFor = Object.keys(awaitReadyAnnotation)[0];

/** A gate: a resource whose completion means a controller is serving. */
type Gate = { chart: string } | { kind: string };

/**
 * The controller behind each API group, as the gate a custom resource of that group must wait for. Charts are
 * gates because the provider awaits their workloads; KnativeServing/KnativeEventing because they carry `waitFor`.
 */
const gatesByGroup: Record<string, Gate[]> = {
    "operator.knative.dev": [{ chart: "knative-operator" }],
    "serving.knative.dev": [{ kind: "KnativeServing" }],
    "eventing.knative.dev": [{ kind: "KnativeEventing" }],
    "serving.kserve.io": [{ chart: "kserve-resources" }, { chart: "kserve-crd" }],
    "monitoring.coreos.com": [{ chart: "kube-prometheus-stack" }],
    "cert-manager.io": [{ chart: "cert-manager" }],
};

/** Kinds whose status has a Ready condition (Knative duck type, KServe, the operator's CRs). */
const kindsWithReadyCondition = new Set(["KnativeServing", "KnativeEventing", "Service", "Broker", "Trigger", "InferenceService"]);

function isCustomResource(r: RenderedResource): boolean {
    const apiVersion = r.inputs["apiVersion"];
    if (!r.custom || typeof apiVersion !== "string" || !apiVersion.includes("/")) return false;
    const group = apiVersion.split("/")[0];
    return group.includes(".") && !group.endsWith(".k8s.io");
}

function kindOf(r: RenderedResource): string {
    return String(r.inputs["kind"]);
}

function annotationsOf(r: RenderedResource): Record<string, string> {
    return ((r.inputs["metadata"] as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}) as Record<string, string>;
}

/** Everything a resource waits for: explicit dependsOn and the resources its inputs come from, transitively. */
function transitiveDependencies(render: Render, urn: string): Set<string> {
    const byUrn = new Map(render.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const queue = [urn];
    while (queue.length > 0) {
        const r = byUrn.get(queue.pop()!);
        if (!r) continue;
        for (const d of [...r.dependsOn, ...Object.values(r.propertyDependencies).flat()]) {
            if (!seen.has(d)) {
                seen.add(d);
                queue.push(d);
            }
        }
    }
    return seen;
}

function satisfies(render: Render, deps: Set<string>, gate: Gate): boolean {
    return render.resources.some((r) => {
        if (!deps.has(r.urn)) return false;
        if ("chart" in gate) return r.type === chartType && String(r.inputs["chart"]).endsWith(gate.chart);
        return kindOf(r) === gate.kind && annotationsOf(r)[waitFor] === "condition=Ready";
    });
}

/** The gates a custom resource misses (empty when it waits for every controller it needs). */
function missingGates(render: Render, r: RenderedResource): string[] {
    const group = String(r.inputs["apiVersion"]).split("/")[0];
    const gates = gatesByGroup[group];
    assert.ok(gates, `${r.urn}: no known controller for API group ${group}; add it to gatesByGroup`);
    const deps = transitiveDependencies(render, r.urn);
    const needed: Gate[] = [...gates];
    // An InferenceService also needs its runtime (the ClusterServingRuntimes chart).
    if (kindOf(r) === "InferenceService") needed.push({ chart: "kserve-runtime-configs" });
    return needed.filter((g) => !satisfies(render, deps, g)).map((g) => ("chart" in g ? `chart ${g.chart}` : `Ready ${g.kind}`));
}

for (const stack of stacks) {
    describe(`first pulumi up of stack ${stack}: every custom resource waits for its controller`, () => {
        let render: Render;
        before(async () => {
            render = await renderStack(stack);
        });

        it("every custom resource depends (transitively) on a readiness gate of the controller that serves it", () => {
            const custom = render.resources.filter(isCustomResource);
            assert.ok(custom.length >= 8, `found ${custom.length} custom resources`);
            const missing = custom.map((r) => [r.urn, missingGates(render, r)] as const).filter(([, m]) => m.length > 0);
            assert.deepEqual(missing, []);
        });

        it("objects with a Ready condition are readiness-gated, with a create timeout; others are not (they would hang)", () => {
            for (const r of render.resources.filter(isCustomResource)) {
                const gated = annotationsOf(r)[waitFor] === "condition=Ready";
                assert.equal(gated, kindsWithReadyCondition.has(kindOf(r)), `${r.urn}: waitFor ${gated}`);
                if (gated) assert.match(r.createTimeout ?? "", /^\d+m$/, `${r.urn}: a readiness gate needs a create timeout`);
            }
        });

        it("KServe's controller starts only after Knative Serving is Ready and cert-manager's charts are up", () => {
            const kserve = render.resources.find((r) => r.type === chartType && r.inputs["chart"] === "oci://ghcr.io/kserve/charts/kserve-resources")!;
            const deps = transitiveDependencies(render, kserve.urn);
            assert.ok(satisfies(render, deps, { kind: "KnativeServing" }), "KServe waits for a Ready KnativeServing");
            assert.ok(satisfies(render, deps, { chart: "cert-manager" }), "KServe waits for cert-manager");
        });

        it("GPU models wait for the cluster's GPU support (device plugin, or GKE's GPU pool with its driver)", () => {
            const gpuModels = render.resources.filter((r) => r.inputs["kind"] === "InferenceService" && JSON.stringify(r.inputs["spec"]).includes("nvidia.com/gpu"));
            const gpuGates = render.resources.filter(
                (r) => (r.type === chartType && String(r.inputs["chart"]) === "nvidia-device-plugin") || (r.type === "gcp:container/nodePool:NodePool" && JSON.stringify(r.inputs).includes("guestAccelerators")),
            );
            const configured = (stackFileConfig(stack)["inferstack:models"] as { resources?: { gpu?: number } }[] | undefined) ?? [];
            assert.equal(gpuModels.length, configured.filter((m) => (m.resources?.gpu ?? 0) > 0).length, "every GPU model found");
            for (const m of gpuModels) {
                const deps = transitiveDependencies(render, m.urn);
                assert.ok(gpuGates.some((g) => deps.has(g.urn)), `${m.urn} waits for no GPU gate`);
            }
        });

        it("patches nothing a chart or operator owns (a patch conflicts with the owner's next apply)", () => {
            assert.deepEqual(render.patches, []);
            assert.deepEqual(render.resources.filter((r) => r.type.endsWith("Patch")).map((r) => r.urn), []);
        });

        it("ships no canary: KServe splits traffic only once a first revision rolled out, so on a new model the canary takes all", () => {
            const models = stackFileConfig(stack)["inferstack:models"] as { name: string; canary?: unknown }[];
            assert.deepEqual(models.filter((m) => m.canary).map((m) => m.name), []);
        });
    });
}

describe("dev: models wait for the store, and the store's setup never fails on a sample", () => {
    it("every InferenceService waits for the Minio setup Job (buckets, reader user, seeded samples)", async () => {
        const render = await renderStack("dev");
        const job = render.resources.find((r) => r.type === "kubernetes:batch/v1:Job" && r.name.endsWith("-setup"));
        assert.ok(job, "the setup Job");
        const isvcs = render.resources.filter((r) => r.inputs["kind"] === "InferenceService");
        assert.equal(isvcs.length, 2);
        for (const r of isvcs) assert.ok(transitiveDependencies(render, r.urn).has(job.urn), r.urn);
    });

    it("the setup script runs to the end, first time and again, and gives the reader ListBucket (KServe's storage initializer lists)", async () => {
        const render = await renderStack("dev");
        const job = render.manifests.find((m) => m.kind === "Job") as any;
        const script = job.spec.template.spec.containers[0].command[2] as string;
        const dir = mkdtempSync(path.join(tmpdir(), "inferstack-mc-"));
        // A stand-in `mc` that logs its calls; `attach` fails on the second run, as Minio does once attached.
        writeFileSync(
            path.join(dir, "mc"),
            `#!/bin/sh\necho "mc $*" >> "${dir}/calls"\nif [ "$2 $3" = "policy attach" ] && [ -f "${dir}/attached" ]; then exit 1; fi\nif [ "$2 $3" = "policy attach" ]; then touch "${dir}/attached"; fi\nif [ "$2 $3" = "user info" ]; then echo "PolicyName: inferstack-model-reader"; fi\nexit 0\n`,
            { mode: 0o755 },
        );
        const env = { PATH: `${dir}:/usr/bin:/bin`, MINIO_ROOT_USER: "root", MINIO_ROOT_PASSWORD: "pw", READER_USER: "reader", READER_PASSWORD: "pw2" };
        for (const run of [1, 2]) {
            const r = spawnSync("sh", ["-c", script], { env, encoding: "utf8" });
            assert.equal(r.status, 0, `run ${run}: ${r.stderr}`);
        }
        const calls = readFileSync(path.join(dir, "calls"), "utf8");
        assert.equal((calls.match(/^mc admin policy create local inferstack-model-reader /gm) ?? []).length, 2);
        assert.equal((calls.match(/^mc admin user info local reader$/gm) ?? []).length, 1, "the re-run verifies the attachment instead");
        const policy = JSON.parse(readFileSync("/tmp/inferstack-model-reader.json", "utf8"));
        assert.deepEqual(policy, readerPolicy(["models"]));
        assert.ok(policy.Statement.some((st: any) => st.Action.includes("s3:ListBucket") && st.Resource.includes("arn:aws:s3:::models")));
    });

    it("a sample that cannot be downloaded is reported and skipped, not fatal", () => {
        const script = seedDownloadScript([
            { url: "https://example.invalid/a", target: "models/a" },
            { url: "https://example.invalid/b", target: "models/b" },
        ]);
        const lines = script.split("\n");
        assert.equal(lines.length, 2);
        for (const line of lines) assert.match(line, /^curl -fsSL .* \|\| \{ rm -f \/seed\/\d; echo "seed \d not downloaded: .*"; \}$/);
    });
});

describe("Kafka broker config has one owner (the operator)", () => {
    it("sets bootstrap servers through the KnativeEventing CR, not a ConfigMap the Kafka manifests also ship", async () => {
        const render = await renderDevWith({ eventing: { brokerClass: "Kafka", kafkaBootstrapServers: "kafka-0.kafka:9092", kafkaReplicationFactor: 3 } });
        assert.equal(render.manifests.filter((m) => m.kind === "ConfigMap" && m.metadata.name === "kafka-broker-config").length, 0);
        const ke = render.manifests.find((m) => m.kind === "KnativeEventing") as any;
        assert.deepEqual(ke.spec.config["kafka-broker-config"], {
            "bootstrap.servers": "kafka-0.kafka:9092",
            "default.topic.partitions": "10",
            "default.topic.replication.factor": "3",
        });
    });
});

/** Applies a chart's transforms in order to one object it renders, as the engine does; the object as sent. */
async function applyTransforms(transforms: pulumi.ResourceTransform[], type: string, props: Record<string, unknown>): Promise<Record<string, any>> {
    let current = props;
    for (const t of transforms) {
        const out = await t({ custom: true, type, name: "child", props: current, opts: {} });
        if (out) current = out.props;
    }
    return current as Record<string, any>;
}

/** The objects of the KServe controller chart's base manifest (vendored; no template syntax in it). */
function kserveBaseObjects(): Record<string, any>[] {
    const file = path.join(repoRoot, "test", "upstream", "charts", "kserve-resources", "files", "kserve", "resources.yaml");
    return (yaml.loadAll(readFileSync(file, "utf8")) as Record<string, any>[]).filter((o) => o && typeof o === "object");
}

describe("KServe chart transforms (the chart has no values for these)", () => {
    let render: Render;
    let kserve: RenderedResource;
    before(async () => {
        render = await renderStack("prod");
        kserve = render.resources.find((r) => r.type === chartType && r.inputs["chart"] === "oci://ghcr.io/kserve/charts/kserve-resources")!;
    });

    it("gate every webhook configuration of the pinned chart on its cert-manager-injected CA bundle", async () => {
        const transforms = render.transforms.get(kserve.urn) ?? [];
        const webhooks = kserveBaseObjects().filter((o) => String(o.kind).endsWith("WebhookConfiguration"));
        assert.ok(webhooks.length >= 2, `${webhooks.length} webhook configurations in the vendored chart`);
        for (const w of webhooks) {
            assert.ok(w.metadata.annotations?.["cert-manager.io/inject-ca-from"], `${w.metadata.name}: its CA comes from cert-manager`);
            const out = await applyTransforms(transforms, `kubernetes:admissionregistration.k8s.io/v1:${w.kind}`, w);
            assert.equal(out.metadata.annotations["pulumi.com/waitFor"], "jsonpath={.webhooks[*].clientConfig.caBundle}", w.metadata.name);
        }
        // Objects whose CA nobody injects are left alone (a waitFor there would hang).
        const plain = { metadata: { name: "other" }, webhooks: [] };
        assert.deepEqual(await awaitInjectedCaBundles({ custom: true, type: "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration", name: "x", props: plain, opts: {} }), undefined);
    });

    it("scale only the controller Deployment of the pinned chart, in HA stacks (prod: 3)", async () => {
        const transforms = render.transforms.get(kserve.urn) ?? [];
        const deployments = kserveBaseObjects().filter((o) => o.kind === "Deployment");
        const controller = deployments.find((d) => d.metadata.name === "kserve-controller-manager");
        assert.ok(controller, "the chart's controller Deployment is named as the transform expects");
        assert.equal((await applyTransforms(transforms, "kubernetes:apps/v1:Deployment", controller)).spec.replicas, 3);
        for (const other of deployments.filter((d) => d !== controller)) {
            assert.deepEqual(await applyTransforms(transforms, "kubernetes:apps/v1:Deployment", other), other, other.metadata.name);
        }
        assert.equal(await controllerReplicasTransform(2)({ custom: true, type: "kubernetes:core/v1:ConfigMap", name: "y", props: controller, opts: {} }), undefined);
        // Dev (one replica) declares only the CA gate.
        const dev = await renderStack("dev");
        const devKserve = dev.resources.find((r) => r.type === chartType && r.inputs["chart"] === "oci://ghcr.io/kserve/charts/kserve-resources")!;
        assert.equal(devKserve.transforms, 1);
    });
});

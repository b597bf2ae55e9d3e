import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { OfflineResource, PackConfig, resolvePolicyConfig, runPolicies } from "../policies/offline";
import { exemptablePolicies, policies } from "../policies/rules";
import { checkExemptions, Exemption } from "../policies/rules/exemptions";
import { modelLabel as ruleLabelInPack } from "../policies/rules/stack";
import { modelLabel as ruleLabelOfComponent } from "../components/monitoring/modelAlerts";
import { renderStack, repoRoot } from "../tools/renderStack";
import { openAddressSpace, cidrListProblem } from "../policies/rules/clusters";
import { credentialArgs } from "../policies/rules/data";
import { tolerates } from "../policies/rules/workloads";
import { configErrorOf, stackFileConfig } from "./helpers";
import { badStackFixture, chartDefaultNodeExporterSecurityContext, container, deployment, isvc, nodeExporter, policyCases, res, shippedExemptions } from "./policyCases";

const cases = policyCases();
const stacks = readdirSync(path.join(repoRoot, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

/**
 * Runs `npm run policy`'s script with its output going to a file: the tool exits with process.exit, which cuts
 * output still queued for a pipe (beyond the pipe's 64 KiB), while writes to a file are synchronous.
 */
function policyCli(args: string[]) {
    const dir = mkdtempSync(path.join(tmpdir(), "inferstack-policy-cli-"));
    const file = path.join(dir, "out.txt");
    const fd = openSync(file, "w");
    try {
        const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools", "policy.ts"), ...args], { cwd: repoRoot, stdio: ["ignore", fd, fd] });
        return { status: r.status, out: readFileSync(file, "utf8") };
    } finally {
        closeSync(fd);
        rmSync(dir, { recursive: true, force: true });
    }
}

describe("policy pack: every policy has a passing and a failing case", () => {
    it("covers every policy of the pack, and no policy twice", () => {
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length, "policy names are unique");
        assert.deepEqual(Object.keys(cases).sort(), [...names].sort());
        for (const p of policies) assert.ok(p.description.length > 20, `${p.name} says what it checks`);
    });

    for (const policy of policies) {
        const c = cases[policy.name];
        it(`${policy.name}: passes a compliant stack, fails a non-compliant one`, async () => {
            const config: PackConfig = c.config ?? {};
            const run = [policy, ...policies.filter((p) => c.alongside?.includes(p.name))];
            const own = (r: { violations: { policy: string }[] }) => r.violations.filter((v) => v.policy === policy.name);
            const pass = await runPolicies(run, c.pass, config);
            assert.deepEqual(own(pass), [], `${policy.name} on its passing case`);
            const fail = await runPolicies(run, c.fail, config);
            assert.ok(own(fail).length > 0, `${policy.name} flags its failing case`);
            for (const v of fail.violations) {
                if (c.alongside?.includes(v.policy)) continue;
                assert.equal(v.policy, policy.name);
                assert.match(v.message, c.message);
            }
        });
    }
});

/**
 * Resources of a failing case that only give the failing ones their context (a Trigger, a bucket's companions, a
 * diagnostic setting): every other resource of a failing case must be flagged itself, so no case passes on one
 * resource while another silently stops failing.
 */
const context: Record<string, string[]> = {
    "inferenceservice-monitored": ["iris-requests"],
    "inferenceservice-monitor-logs-complete": ["triggered-requests"],
    "buckets-not-public": ["open-models", "open-models-versioning", "open-models-sse", "unblocked-versioning", "unblocked-sse", "openacct-blob"],
    "buckets-versioned-encrypted": ["unversioned-block", "unversioned-versioning", "unversionedacct-blob"],
    "buckets-access-logged": ["quiet-models-block", "quiet-models-versioning", "quiet-models-sse", "quietacct-blob"],
    "storage-accounts-hardened": ["keyedacct-blob", "oldtlsacct-blob", "defaultacct-blob"],
    "cluster-control-plane-logging": ["silent-aks-diagnostics"],
    "models-have-alert-rules": ["iris-rules"],
};

describe("policy pack: every resource of a failing case fails on its own account", () => {
    for (const policy of policies) {
        it(policy.name, async () => {
            const c = cases[policy.name];
            const run = await runPolicies([policy, ...policies.filter((p) => c.alongside?.includes(p.name))], c.fail, c.config ?? {});
            const flagged = new Set(run.violations.filter((v) => v.policy === policy.name).map((v) => v.urn));
            assert.deepEqual(c.fail.filter((r) => !flagged.has(r.urn)).map((r) => r.name), context[policy.name] ?? []);
        });
    }
});

describe("policy pack: the families of issue #13", () => {
    const only = (name: string) => policies.filter((p) => p.name === name);
    /** An environment's pack config, narrowed to the policies a run includes (the offline run rejects others). */
    const envConfig = (env: string, names: string[]): PackConfig => Object.fromEntries(Object.entries(packConfig(env)).filter(([k]) => names.includes(k)));
    const own = (name: string, run: { violations: { policy: string; level: string; message: string }[] }) => run.violations.filter((v) => v.policy === name);

    it("judges a CIDR list by the public address space it opens, IPv4 and IPv6", () => {
        assert.equal(openAddressSpace(["0.0.0.0/1", "128.0.0.0/1"]).ipv4, 2n ** 32n - (2n ** 24n + 2n ** 20n + 2n ** 16n + 2n ** 22n + 2n ** 24n + 2n ** 16n));
        assert.equal(openAddressSpace(["203.0.113.0/24", "203.0.113.128/25"]).ipv4, 256n, "overlaps count once");
        assert.equal(openAddressSpace(["10.0.0.0/8", "fd00::/8"]).ipv4 + openAddressSpace(["10.0.0.0/8", "fd00::/8"]).ipv6, 0n, "private ranges open nothing");
        assert.equal(openAddressSpace(["2001:db8::/32"]).ipv6, 2n ** 96n);
        assert.equal(openAddressSpace(["::ffff:203.0.113.1/128"]).ipv6, 1n);
        assert.deepEqual(openAddressSpace(["300.1.1.1/24", "2001:db8::/200", "bogus"]).invalid, ["300.1.1.1/24", "2001:db8::/200", "bogus"]);
        const limits = { minIpv4PrefixLength: 16, minIpv6PrefixLength: 48 };
        assert.equal(cidrListProblem(["203.0.0.0/16"], limits), undefined, "exactly one /16 is allowed");
        assert.match(cidrListProblem(["203.0.0.0/16", "198.51.100.0/24"], limits) ?? "", /more than one \/16/);
        assert.match(cidrListProblem(["2001:db8::/47"], limits) ?? "", /IPv6 space than one \/48/);
        assert.equal(cidrListProblem(["2001:db8::/48"], limits), undefined);
        assert.match(cidrListProblem([], limits) ?? "", /no CIDR restriction/);
    });

    it("matches a toleration to the GPU taint the way the scheduler does", () => {
        const taint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };
        assert.ok(tolerates({ key: "nvidia.com/gpu", operator: "Exists" }, taint));
        assert.ok(tolerates({ operator: "Exists" }, taint), "an empty key with Exists tolerates every taint");
        assert.ok(tolerates({ key: "nvidia.com/gpu", value: "present" }, taint), "operator defaults to Equal");
        assert.ok(!tolerates({ key: "nvidia.com/gpu", value: "true" }, taint));
        assert.ok(!tolerates({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoExecute" }, taint));
        assert.ok(!tolerates({ key: "nvidia.com/gpu", operator: "Lt", value: "present" }, taint));
    });

    it("finds credentials passed on the command line, not references to them", () => {
        assert.deepEqual(credentialArgs(["--password=hunter2", "--db-token", "abcdef123", "--secret-name=db", "--token=$(TOKEN)", "--api-key", "$KEY", "--password-file", "/run/pw"]), ["--password", "--db-token"]);
        assert.deepEqual(credentialArgs(["https://svc:pa55word@host/x"]), ["argument 0"]);
        assert.deepEqual(credentialArgs(["--model_id=meta-llama/Meta-Llama-3-8B-Instruct", "--token"]), []);
    });

    it("a gRPC predictor without a logger is waived, not blocked, and the waiver is reported with its reason", async () => {
        const grpc = isvc({ name: "grpc-model", predictor: { logger: undefined, model: { modelFormat: { name: "sklearn" }, storageUri: "s3://models/iris/v1", ports: [{ name: "h2c", containerPort: 8081 }] } } });
        const run = await runPolicies(policies, [grpc], packConfig("prod"));
        assert.deepEqual(mandatory(run).filter((v) => v.policy.startsWith("inferenceservice-")), []);
        const waived = run.violations.filter((v) => v.policy === "policy-exemptions").map((v) => v.message);
        assert.ok(waived.some((m) => /^InferenceService models\/grpc-model: inferenceservice-logs-to-broker waived by exemption \("gRPC \(h2c\) predictor: KServe's logger agent.*HTTP\/1 only.*model\.ports\[0\] is h2c\)"\): InferenceService models\/grpc-model has no request logger\./.test(m)), waived.join("\n"));
        assert.ok(waived.some((m) => /inferenceservice-monitored waived by exemption .* has no model monitor/.test(m)), waived.join("\n"));
        // The exception is a setting: a platform that does not accept gRPC models turns it off.
        const strict = await runPolicies(only("inferenceservice-logs-to-broker"), [grpc], { "inferenceservice-logs-to-broker": { exemptGrpc: false } });
        assert.match(own("inferenceservice-logs-to-broker", strict)[0]?.message ?? "", /has no request logger.*serves gRPC, which the logger cannot proxy/);
        // Only h2c is waived: an HTTP model with logging off still fails in every environment.
        const http = isvc({ name: "http-silent", predictor: { logger: undefined } });
        for (const env of environments) assert.ok(mandatory(await runPolicies(policies, [http], packConfig(env))).some((v) => v.policy === "inferenceservice-logs-to-broker"), env);
    });

    it("hf:// and oci:// models: allowed pinned in dev and staging, not in prod", async () => {
        const model = (name: string, storageUri: string) => isvc({ name, predictor: { model: { modelFormat: { name: "huggingface" }, storageUri } } });
        const sha = "a".repeat(64);
        const pinned = [model("hf-commit", "hf://acme/bert:0123456789abcdef0123456789abcdef01234567"), model("oci-digest", `oci://ghcr.io/acme/models/bert@sha256:${sha}`)];
        const floating = [model("hf-branch", "hf://acme/bert:main"), model("oci-tag", "oci://ghcr.io/acme/models/bert:1.0.0")];
        const policy = only("inferenceservice-storage-allowed");
        const staging = envConfig("staging", [policy[0].name]);
        assert.deepEqual(own(policy[0].name, await runPolicies(policy, pinned, staging)), []);
        const floatingRun = own(policy[0].name, await runPolicies(policy, floating, staging)).map((v) => v.message);
        assert.equal(floatingRun.length, 2);
        assert.match(floatingRun.join("\n"), /hf:\/\/acme\/bert:main: an hf:\/\/ model must be pinned to a commit/);
        assert.match(floatingRun.join("\n"), /oci:\/\/ghcr\.io\/acme\/models\/bert:1\.0\.0: an oci:\/\/ model must be pinned by digest/);
        assert.deepEqual(own(policy[0].name, await runPolicies(policy, [...pinned, ...floating], envConfig("dev", [policy[0].name]))), [], "dev accepts both, pinned or not");
        const prod = own(policy[0].name, await runPolicies(policy, pinned, envConfig("prod", [policy[0].name])));
        assert.deepEqual(prod.map((v) => v.level), ["mandatory", "mandatory"]);
        assert.match(prod.map((v) => v.message).join("\n"), /scheme "hf" is not allowed in this environment[\s\S]*scheme "oci" is not allowed/);
    });

    it("environment levels: prod blocks on every posture policy; dev only advises on Minio and the in-memory Broker", async () => {
        const prodAdvisory = ["policy-exemptions"];
        // Mandatory in staging too since the components satisfy them (default tokens, bucket logging; the AKS key's
        // rotation and audit log, which the aks stack runs under staging's config).
        for (const name of ["pods-no-default-token", "buckets-access-logged", "kms-keys-rotated", "cluster-control-plane-logging"]) {
            for (const env of ["staging", "prod"]) assert.equal(resolvePolicyConfig(policies.find((p) => p.name === name)!, packConfig(env)).level, "mandatory", `${name} in ${env}`);
        }
        for (const p of policies) assert.equal(resolvePolicyConfig(p, packConfig("prod")).level, prodAdvisory.includes(p.name) ? "advisory" : "mandatory", p.name);
        const minio = cases["object-store-durable"].fail;
        assert.deepEqual([...new Set(own("object-store-durable", await runPolicies(only("object-store-durable"), minio, envConfig("dev", ["object-store-durable"]))).map((v) => v.level))], ["advisory"]);
        for (const env of ["staging", "prod"]) assert.deepEqual([...new Set(own("object-store-durable", await runPolicies(only("object-store-durable"), minio, envConfig(env, ["object-store-durable"]))).map((v) => v.level))], ["mandatory"], env);
        const memory = cases["eventing-broker-durable"].fail;
        assert.deepEqual([...new Set(own("eventing-broker-durable", await runPolicies(only("eventing-broker-durable"), memory, envConfig("prod", ["eventing-broker-durable"]))).map((v) => v.level))], ["mandatory"]);
        // Prometheus floors grow with the environment: dev's 24h without a volume passes dev and fails staging and prod.
        const thin = [res("kubernetes:helm.sh/v4:Chart", { chart: "kube-prometheus-stack", namespace: "monitoring", values: { prometheus: { prometheusSpec: { retention: "24h" } } } }, { name: "kps-dev" })];
        assert.deepEqual(own("prometheus-retention", await runPolicies(only("prometheus-retention"), thin, envConfig("dev", ["prometheus-retention"]))), []);
        for (const env of ["staging", "prod"]) assert.ok(mandatory(await runPolicies(only("prometheus-retention"), thin, envConfig(env, ["prometheus-retention"]))).length >= 2, env);
    });
});

describe("policy pack: engine behaviour", () => {
    it("remediates a missing deployment mode when the policy runs at remediate level", async () => {
        const bare = isvc({ name: "bare", annotations: {} });
        const run = await runPolicies(policies, [bare], { "inferenceservice-knative-mode": "remediate" });
        assert.equal(run.remediations.length, 1);
        assert.equal((run.remediations[0].props as any).metadata.annotations["serving.kserve.io/deploymentMode"], "Knative");
        assert.equal(run.violations.filter((v) => v.policy === "inferenceservice-knative-mode").length, 0);
    });

    it("applies per-policy levels, `all`, and settings from the pack config", async () => {
        const canary = [isvc({ predictor: { canaryTrafficPercent: 30 } })];
        const policy = policies.filter((p) => p.name === "inferenceservice-canary-max");
        assert.equal((await runPolicies(policy, canary)).violations.length, 0, "30% is under the default 50%");
        const strict = await runPolicies(policy, canary, { "inferenceservice-canary-max": { enforcementLevel: "advisory", maxCanaryPercent: 25 } });
        assert.deepEqual(strict.violations.map((v) => v.level), ["advisory"]);
        assert.equal((await runPolicies(policy, canary, { all: "disabled" })).ran.length, 0);
    });

    it("rejects pack config naming an unknown policy or a setting the policy does not have", async () => {
        await assert.rejects(() => runPolicies(policies, [], { "no-such-policy": "mandatory" }), /unknown policy "no-such-policy"/);
        assert.throws(() => resolvePolicyConfig(policies.find((p) => p.name === "inferenceservice-canary-max")!, { "inferenceservice-canary-max": { maxCanaryPercnt: 10 } }), /invalid: .*maxCanaryPercnt.*Allowed keys: maxCanaryPercent/);
        assert.throws(() => resolvePolicyConfig(policies.find((p) => p.name === "inferenceservice-canary-max")!, { "inferenceservice-canary-max": { maxCanaryPercent: 150 } }), /must be <= 100/);
    });

    it("the pack and the ModelAlerts component agree on the rule label", () => {
        assert.equal(ruleLabelInPack, ruleLabelOfComponent);
    });

    it("every environment's pack config is valid for the pack", async () => {
        for (const env of ["dev", "staging", "prod"]) {
            const config = JSON.parse(readFileSync(path.join(repoRoot, "policies", "config", `${env}.json`), "utf8")) as PackConfig;
            const run = await runPolicies(policies, [], config);
            assert.ok(run.ran.length >= policies.length - 1, env);
        }
        const prod = JSON.parse(readFileSync(path.join(repoRoot, "policies", "config", "prod.json"), "utf8"));
        assert.equal(prod["inferenceservice-monitored"].requireMonitoring, true, "prod requires monitoring");
    });
});

describe("policy pack on the stacks", () => {
    for (const stack of stacks) {
        it(`stack ${stack} has no mandatory violation (its environment's pack config)`, async () => {
            const render = await renderStack(stack);
            const env = String((readStackEnvironment(stack)));
            const config = JSON.parse(readFileSync(path.join(repoRoot, "policies", "config", `${env}.json`), "utf8")) as PackConfig;
            const run = await runPolicies(policies, render.resources, config);
            const mandatory = run.violations.filter((v) => v.level === "mandatory");
            assert.deepEqual(mandatory, []);
        });
    }

    it("npm run policy -- --stack <s> exits 0 on a clean stack and prints the summary", () => {
        const stack = stacks.includes("prod") ? "prod" : "dev";
        const r = policyCli(["--stack", stack]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, new RegExp(`${policies.length} policies on \\d+ resources of stack ${stack}`));
        assert.match(r.out, /0 mandatory/);
    });

    it("the bad stack fixture exits non-zero, naming every policy it violates", () => {
        const fixture = JSON.parse(readFileSync(badStackFixture, "utf8")) as OfflineResource[];
        assert.ok(fixture.length > 20);
        const r = policyCli(["--resources", badStackFixture, "--environment", "prod"]);
        assert.equal(r.status, 1, r.out);
        const prod = JSON.parse(readFileSync(path.join(repoRoot, "policies", "config", "prod.json"), "utf8")) as PackConfig;
        for (const p of policies) {
            const level = resolvePolicyConfig(p, prod).level.toUpperCase();
            assert.match(r.out, new RegExp(`${level} +${p.name}\\n`), `${p.name} reported (${level})`);
        }
    });

    it("bad usage exits 2 with a message naming the options", () => {
        const r = policyCli(["--stack", "dev", "--environment", "qa"]);
        assert.equal(r.status, 2);
        assert.match(r.out, /--environment qa is not one of dev, staging, prod/);
    });
});

const environments = ["dev", "staging", "prod"];
const packConfig = (env: string) => JSON.parse(readFileSync(path.join(repoRoot, "policies", "config", `${env}.json`), "utf8")) as PackConfig;
const mandatory = <V extends { level: string }>(run: { violations: V[] }) => run.violations.filter((v) => v.level === "mandatory");

/** The device plugin's DaemonSet as nvidia-device-plugin 0.20.0 renders it (release and namespace nvidia-device-plugin). */
function devicePlugin(namespace = "nvidia-device-plugin") {
    const hostPath = (name: string, p: string, type?: string) => ({ name, hostPath: { path: p, ...(type ? { type } : {}) } });
    return res(
        "kubernetes:apps/v1:DaemonSet",
        {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: "nvidia-device-plugin", namespace, labels: { "app.kubernetes.io/name": "nvidia-device-plugin", "app.kubernetes.io/instance": "nvidia-device-plugin" } },
            spec: {
                template: {
                    spec: {
                        priorityClassName: "system-node-critical",
                        securityContext: {},
                        serviceAccountName: "nvidia-device-plugin-service-account",
                        containers: [
                            {
                                name: "nvidia-device-plugin-ctr",
                                image: "nvcr.io/nvidia/k8s-device-plugin:v0.20.0",
                                command: ["nvidia-device-plugin"],
                                env: [{ name: "MPS_ROOT", value: "/run/nvidia/mps" }, { name: "NVIDIA_VISIBLE_DEVICES", value: "all" }, { name: "NVIDIA_DRIVER_CAPABILITIES", value: "compute,utility" }],
                                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
                                volumeMounts: [
                                    { name: "kubelet-device-plugins-dir", mountPath: "/var/lib/kubelet/device-plugins" },
                                    { name: "mps-shm", mountPath: "/dev/shm" },
                                    { name: "mps-root", mountPath: "/mps" },
                                    { name: "cdi-root", mountPath: "/var/run/cdi" },
                                ],
                            },
                        ],
                        volumes: [
                            hostPath("kubelet-device-plugins-dir", "/var/lib/kubelet/device-plugins", "Directory"),
                            hostPath("mps-root", "/run/nvidia/mps", "DirectoryOrCreate"),
                            hostPath("mps-shm", "/run/nvidia/mps/shm"),
                            hostPath("cdi-root", "/var/run/cdi", "DirectoryOrCreate"),
                        ],
                    },
                },
            },
        },
        { name: `${namespace}/nvidia-device-plugin` },
    );
}

describe("policy pack: exemptions", () => {
    it("without an exemption, the node exporter trips pods-no-host-access only (host network and PID, /proc, /sys, /): its container is restricted", async () => {
        const run = await runPolicies(policies, [nodeExporter()], {});
        assert.deepEqual([...new Set(mandatory(run).map((v) => v.policy))].sort(), ["pods-no-host-access"]);
        const container = (nodeExporter().inputs as { spec: { template: { spec: { containers: { securityContext: unknown }[] } } } }).spec.template.spec.containers[0];
        assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true });
        assert.deepEqual(
            mandatory(run)
                .filter((v) => v.policy === "pods-no-host-access")
                .map((v) => v.message.replace(/^.*spec\.template\.spec: /, "")),
            ["hostNetwork is true; remove it.", "hostPID is true; remove it.", ...["proc", "sys", "root"].map((v) => `volume ${v} is a hostPath; use a PersistentVolumeClaim or emptyDir.`)],
        );
        assert.deepEqual(run.exemptions, []);
    });

    for (const env of environments) {
        it(`${env}: the node exporter passes through its exemptions, which policy-exemptions reports`, async () => {
            const run = await runPolicies(policies, [nodeExporter()], packConfig(env));
            assert.deepEqual(mandatory(run), []);
            assert.deepEqual(run.violations.map((v) => [v.policy, v.level, v.urn]), [["policy-exemptions", "advisory", nodeExporter().urn]]);
            const host = run.violations.find((v) => /pods-no-host-access waived/.test(v.message));
            assert.match(host?.message ?? "", /^DaemonSet monitoring\/kps-prometheus-node-exporter: pods-no-host-access waived by exemption \("kube-prometheus-stack's node exporter .*"\): .*hostNetwork is true.* \| .*hostPID is true.*volume root is a hostPath/);
            assert.deepEqual(run.exemptions.map((e) => [e.policy, e.exemption.name, e.findings.length]).sort(), [["pods-no-host-access", "kps-prometheus-node-exporter", 5]]);
        });

        it(`${env}: the node exporter's container with the chart's default securityContext fails containers-restricted (no exemption)`, async () => {
            const run = await runPolicies(policies, [nodeExporter({ container: { securityContext: chartDefaultNodeExporterSecurityContext } })], packConfig(env));
            assert.deepEqual(
                mandatory(run).map((v) => [v.policy, v.message]),
                [["containers-restricted", "monitoring/kps-prometheus-node-exporter spec.template.spec container node-exporter: set securityContext allowPrivilegeEscalation: false and capabilities.drop: [ALL] (the restricted Pod Security Standard)."]],
            );
        });
    }

    it("the same host access on any other workload still fails: another name, namespace or kind", async () => {
        const prod = packConfig("prod");
        const others: [string, OfflineResource][] = [
            ["a DaemonSet of another name", nodeExporter({ name: "my-exporter" })],
            ["the same DaemonSet in another namespace", nodeExporter({ namespace: "apps" })],
            ["a Deployment of the same name and namespace", nodeExporter({ kind: "Deployment" })],
            ["an ordinary Deployment with hostNetwork", deployment({ hostNetwork: true }, "hosty")],
            ["the device plugin's host paths in another namespace", devicePlugin("apps")],
        ];
        for (const [what, r] of others) {
            const run = await runPolicies(policies, [r], prod);
            assert.ok(mandatory(run).some((v) => v.policy === "pods-no-host-access"), what);
            assert.deepEqual(run.exemptions, [], what);
        }
    });

    it("an exemption never silences another policy", async () => {
        const r = nodeExporter({ container: { image: "quay.io/prometheus/node-exporter:latest", securityContext: { privileged: true }, env: [{ name: "API_TOKEN", value: "abc123abc123" }] } });
        const run = await runPolicies(policies, [r], packConfig("prod"));
        // (the override replaces the container's restricted securityContext, so containers-restricted fails too)
        assert.deepEqual([...new Set(mandatory(run).map((v) => v.policy))].sort(), ["containers-not-privileged", "containers-restricted", "images-pinned", "no-plaintext-credentials"]);
        assert.deepEqual(run.exemptions.map((e) => e.policy).sort(), ["pods-no-host-access"]);
        // An exemption listed for one policy is no exemption for another, even for the same workload.
        const elsewhere = await runPolicies(policies, [r], { "containers-not-privileged": { exemptions: [] }, "pods-no-host-access": { exemptions: shippedExemptions("prod", "pods-no-host-access") } });
        assert.ok(mandatory(elsewhere).some((v) => v.policy === "containers-not-privileged"));
    });

    it("a label-selector exemption covers the objects carrying every one of its labels, in its namespace", async () => {
        const bySelector = (labelSelector: Record<string, string>): PackConfig => ({
            "pods-no-host-access": { exemptions: [{ kind: "DaemonSet", namespace: "monitoring", labelSelector, reason: "node exporter needs the host's /proc and /sys" }] },
        });
        const selector = { "app.kubernetes.io/name": "prometheus-node-exporter", "app.kubernetes.io/instance": "kps" };
        const hostAccess = (run: { violations: { policy: string; level: string }[] }) => mandatory(run).filter((v) => v.policy === "pods-no-host-access");
        assert.deepEqual(hostAccess(await runPolicies(policies, [nodeExporter({ name: "renamed" })], bySelector(selector))), []);
        const wrong = await runPolicies(policies, [nodeExporter()], bySelector({ ...selector, "app.kubernetes.io/instance": "other" }));
        assert.ok(mandatory(wrong).some((v) => v.policy === "pods-no-host-access"));
        const outside = await runPolicies(policies, [nodeExporter({ namespace: "default" })], bySelector(selector));
        assert.ok(mandatory(outside).some((v) => v.policy === "pods-no-host-access"));
    });

    it("the NVIDIA device plugin passes through its two exemptions (host paths, root)", async () => {
        const bare = await runPolicies(policies, [devicePlugin()], {});
        assert.deepEqual([...new Set(mandatory(bare).map((v) => v.policy))].sort(), ["pods-no-host-access", "pods-run-as-non-root"]);
        for (const env of environments) {
            const run = await runPolicies(policies, [devicePlugin()], packConfig(env));
            assert.deepEqual(mandatory(run), [], env);
            assert.deepEqual(run.exemptions.map((e) => e.policy).sort(), ["pods-no-host-access", "pods-run-as-non-root"], env);
        }
    });

    it("a malformed exemption is a config error naming the policy and the entry", async () => {
        const valid = shippedExemptions("prod", "pods-no-host-access")[0];
        const config = (entry: unknown, policy = "pods-no-host-access"): PackConfig => ({ [policy]: { exemptions: [entry] } });
        const without = (key: keyof Exemption): Partial<Exemption> => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key));
        const noReason = without("reason");
        const unnamed = without("name");
        const cases: [unknown, RegExp, string?][] = [
            [noReason, /pods-no-host-access is invalid: \/exemptions\/0 must have required property 'reason'/],
            [{ ...valid, reason: "needs it" }, /\/exemptions\/0\/reason must NOT have fewer than 20 characters/],
            [unnamed, /\/exemptions\/0 must have required property 'name'.*must match a schema in anyOf/],
            [{ ...valid, namespace: "" }, /\/exemptions\/0\/namespace must NOT have fewer than 1 characters/],
            [{ ...valid, kind: "daemonset" }, /\/exemptions\/0\/kind must match pattern/],
            [{ ...valid, policies: ["containers-not-privileged"] }, /\/exemptions\/0 must NOT have additional properties \(policies\)/],
            [{ ...valid, labelSelector: {} }, /\/exemptions\/0\/labelSelector must NOT have fewer than 1 properties/],
            [valid, /inferenceservice-canary-max is invalid: .*\(exemptions\).*Allowed keys: maxCanaryPercent\.$/, "inferenceservice-canary-max"],
        ];
        for (const [entry, message, policy] of cases) await assert.rejects(() => runPolicies(policies, [], config(entry, policy)), message);
        // The pack checks the entries again where it uses them, for an engine that hands config over unvalidated.
        assert.throws(() => checkExemptions("pods-no-host-access", [unnamed]), /pods-no-host-access is invalid: exemptions\[0\] needs name or labelSelector/);
        assert.throws(() => checkExemptions("pods-no-host-access", [{ ...valid, reason: " ".repeat(30) }]), /exemptions\[0\] needs a reason of at least 20 characters/);
        assert.throws(() => checkExemptions("pods-no-host-access", [{ ...valid, policy: "all" }]), /exemptions\[0\] has unknown keys policy/);
        assert.throws(() => checkExemptions("pods-no-host-access", valid), /exemptions must be an array/);
        assert.deepEqual(checkExemptions("pods-no-host-access", [valid]), [valid]);
    });

    it("only the policies on pods and ConfigMaps take exemptions", () => {
        assert.deepEqual([...exemptablePolicies].sort(), [
            "containers-not-privileged",
            "containers-resources",
            "containers-restricted",
            "gpu-pods-tolerate-gpu-nodes",
            "images-allowed-registries",
            "images-pinned",
            "no-plaintext-credentials",
            "pods-no-default-token",
            "pods-no-host-access",
            "pods-run-as-non-root",
        ]);
        for (const p of policies) assert.equal(p.configSchema?.properties?.["exemptions"] !== undefined, exemptablePolicies.includes(p.name), p.name);
    });

    it("the shipped exemptions name the workloads the platform's charts render", async () => {
        const render = await renderStack("prod");
        const chart = (name: string) => render.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs["chart"] === name)?.inputs as { name: string; namespace: string };
        // Chart fullnames: `<release>-<chart>`, or the release alone when it already contains the chart's name.
        const kps = chart("kube-prometheus-stack");
        const nodeExporterName = { kind: "DaemonSet", namespace: kps.namespace, name: `${kps.name}-prometheus-node-exporter` };
        const nvidia = chart("nvidia-device-plugin");
        assert.ok(nvidia.name.includes("nvidia-device-plugin"));
        const devicePluginName = { kind: "DaemonSet", namespace: nvidia.namespace, name: nvidia.name };
        const names = (es: Exemption[]) => es.map((e) => ({ kind: e.kind, namespace: e.namespace, name: e.name }));
        for (const env of environments) {
            assert.deepEqual(names(shippedExemptions(env, "pods-no-host-access")), [nodeExporterName, devicePluginName], env);
            assert.deepEqual(names(shippedExemptions(env, "pods-run-as-non-root")), [devicePluginName], env);
            assert.deepEqual(names(shippedExemptions(env, "containers-restricted")), [], `${env}: the node exporter's container is restricted by the Monitoring component's values`);
        }
        const fixture = nodeExporter().inputs as { metadata: { name: string; namespace: string } };
        assert.deepEqual({ kind: "DaemonSet", namespace: fixture.metadata.namespace, name: fixture.metadata.name }, nodeExporterName);
    });

    it("npm run policy lists what exemptions waived and still exits 0", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "inferstack-policy-"));
        try {
            const file = path.join(dir, "resources.json");
            writeFileSync(file, JSON.stringify([nodeExporter(), devicePlugin(), deployment({ containers: [container()] }, "plain")]));
            const r = policyCli(["--resources", file, "--environment", "prod"]);
            assert.equal(r.status, 0, r.out);
            assert.match(r.out, /ADVISORY +policy-exemptions\n +resource: kubernetes:apps\/v1:DaemonSet monitoring\/kps-prometheus-node-exporter\n +DaemonSet monitoring\/kps-prometheus-node-exporter: pods-no-host-access waived/);
            assert.match(r.out, /0 mandatory, 3 advisory violations; 0 remediations; 3 waived by exemptions/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

function readStackEnvironment(stack: string): string {
    const text = readFileSync(path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`), "utf8");
    return /inferstack:environment:\s*(\w+)/.exec(text)?.[1] ?? "dev";
}

/**
 * Issue #13: one-change misconfigurations that the config schema accepts (and, below, those it now refuses), each rendered through the real program
 * (prod's stack file with one change) and run under prod's pack config: each must be a mandatory violation of the
 * policy that names it.
 */
describe("policy pack: one-change misconfigurations of the prod stack", () => {
    type Config = Record<string, any>;
    const model = (c: Config, name: string): Config => (c["inferstack:models"] as Config[]).find((m) => m.name === name)!;
    const cases: [string, string, (c: Config) => void][] = [
        ["the internet as two /1 authorized networks", "cluster-private-endpoint", (c) => (c["inferstack:cluster"].authorizedNetworks = ["0.0.0.0/1", "128.0.0.0/1"])],
        ["a password in a model's args", "no-plaintext-credentials", (c) => (model(c, "churn-sklearn").stable.args = ["--password=hunter2"])],
        ["an Azure connection string in a model's env", "no-plaintext-credentials", (c) => (model(c, "churn-sklearn").stable.env = [{ name: "STORE", value: "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=bXlrZXlteWtleQ==;" }])],
        ["a URL with a password in a model's env", "no-plaintext-credentials", (c) => (model(c, "churn-sklearn").stable.env = [{ name: "FEATURE_DB", value: "postgres://app:s3cr3tpw@db:5432/features" }])],
        ["a transformer image tagged latest", "images-pinned", (c) => (model(c, "churn-sklearn").transformer = { image: "ghcr.io/acme/pre:latest", resources: { cpu: "100m", memory: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" } })],
        [
            "a latency-critical model's transformer scaling to zero",
            "inferenceservice-latency-critical-min-replicas",
            (c) => (model(c, "fraud-xgb").transformer = { image: "ghcr.io/acme/pre:1.0.0", resources: { cpu: "100m", memory: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" }, scaling: { minReplicas: 0, maxReplicas: 3 } }),
        ],
        ["an in-memory Broker", "eventing-broker-durable", (c) => (c["inferstack:eventing"] = { brokerClass: "MTChannelBasedBroker" })],
        ["Kafka topics with one replica", "eventing-broker-durable", (c) => (c["inferstack:eventing"].kafkaReplicationFactor = 1)],
        ["single-replica control planes", "control-planes-ha", (c) => (c["inferstack:serving"].controlPlaneReplicas = 1)],
        ["a day of Prometheus retention", "prometheus-retention", (c) => (c["inferstack:monitoring"].retention = "24h")],
        ["a 10Gi Prometheus volume", "prometheus-retention", (c) => (c["inferstack:monitoring"].storageSize = "10Gi")],
        ["Kubernetes 1.30", "cluster-kubernetes-version", (c) => (c["inferstack:cluster"].kubernetesVersion = "1.30")],
        ["a 1Ti memory limit", "containers-resources", (c) => (model(c, "churn-sklearn").resources = { cpu: "100m", memory: "256Mi", cpuLimit: "1", memoryLimit: "1Ti" })],
        ["a model from the Hugging Face hub", "inferenceservice-storage-allowed", (c) => (model(c, "churn-sklearn").stable.storageUri = "hf://acme/churn:0123456789abcdef0123456789abcdef01234567")],
        ["models in Minio", "object-store-durable", (c) => (c["inferstack:objectStore"] = { provider: "minio", modelBucket: "acme-inferstack-prod-models", extraBuckets: ["acme-inferstack-prod-reference"] })],
    ];
    for (const [what, policy, change] of cases) {
        it(`${what}: ${policy}`, async () => {
            const config = stackFileConfig("prod") as Config;
            change(config);
            const render = await renderStack("prod", { config });
            const run = await runPolicies(policies, render.resources, packConfig("prod"));
            assert.ok(
                mandatory(run).some((v) => v.policy === policy),
                `${policy} not reported; mandatory: ${mandatory(run).map((v) => `${v.policy}: ${v.message}`).join("\n") || "none"}`,
            );
        });
    }
    // Misconfigurations the config schema now refuses before anything renders (the policies stay, for what reaches the
    // engine another way: test/policyCases.ts checks each on its own resources).
    const refused: [string, RegExp, (c: Config) => void][] = [
        [
            "a GPU toleration with the wrong value",
            /inferstack:models\[\d+\]\.tolerations\[0\]: .*does not tolerate the GPU nodes' taint nvidia\.com\/gpu=present:NoSchedule/,
            (c) => (model(c, "credit-risk-torch").tolerations = [{ key: "nvidia.com/gpu", operator: "Equal", value: "true", effect: "NoSchedule" }]),
        ],
        ["a model's runtimeVersion: latest", /inferstack:models\[\d+\]\.stable\.runtimeVersion: got "latest"; must name a pinned runtime image tag/, (c) => (model(c, "churn-sklearn").stable.runtimeVersion = "latest")],
        ["logging: request on a monitored model", /inferstack:models\[\d+\]\.logging: got "request"; must be all while the model is monitored \(allowed values: all; got request\)/, (c) => (model(c, "fraud-xgb").logging = "request")],
        ["an authorized network with host bits set", /inferstack:cluster\.authorizedNetworks\[0\]: got "203\.0\.113\.7\/24"; must be an IPv4 CIDR with no host bits/, (c) => (c["inferstack:cluster"].authorizedNetworks = ["203.0.113.7/24"])],
    ];
    for (const [what, message, change] of refused) {
        it(`${what}: refused by the config schema`, () => {
            const config = stackFileConfig("prod") as Config;
            change(config);
            assert.match(configErrorOf(Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^inferstack:/, ""), v]))), message);
        });
    }
    // Staging (GKE) under staging's config: the same families where staging enforces them.
    const stagingCases: [string, string, (c: Config) => void][] = [
        ["the internet as two /1 authorized networks", "cluster-private-endpoint", (c) => (c["inferstack:cluster"].authorizedNetworks = ["0.0.0.0/1", "128.0.0.0/1"])],
        ["an hf:// model on a branch", "inferenceservice-storage-allowed", (c) => ((c["inferstack:models"] as Config[])[0].stable.storageUri = "hf://acme/churn:main")],
        ["a single-replica control plane", "control-planes-ha", (c) => (c["inferstack:serving"].controlPlaneReplicas = 1)],
    ];
    for (const [what, policy, change] of stagingCases) {
        it(`staging: ${what}: ${policy}`, async () => {
            const config = stackFileConfig("staging") as Config;
            change(config);
            const run = await runPolicies(policies, (await renderStack("staging", { config })).resources, packConfig("staging"));
            assert.ok(mandatory(run).some((v) => v.policy === policy), `${policy} not reported; mandatory: ${mandatory(run).map((v) => `${v.policy}: ${v.message}`).join("\n") || "none"}`);
        });
    }
    it("the unchanged prod stack reports none of them", async () => {
        const run = await runPolicies(policies, (await renderStack("prod", { config: stackFileConfig("prod") })).resources, packConfig("prod"));
        assert.deepEqual(mandatory(run), []);
    });
});

/**
 * Strict schema validation (tools/validateManifests.ts against test/upstream/schemas/): every object of every stack
 * passes and has a schema, the validator can fail, and its command line behaves.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { KubernetesObject, manifestsYaml, renderStack, repoRoot } from "../tools/renderStack";
import { ObjectResult, SCHEMALESS_KINDS, formatResult, main, schemaFor, schemaStats, schemasDir, validateObject, validateObjects } from "../tools/validateManifests";

const stacks = readdirSync(path.join(repoRoot, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

const schemaSources = (r: ObjectResult) => r.sources.filter((s) => s === "crd" || s.startsWith("k8s-"));

/** The dev stack's objects, kept from its render for the negative cases (renders run one at a time). */
let devObjects: KubernetesObject[] = [];
const renderedKinds = new Set<string>();

describe("every stack validates strictly against the vendored upstream schemas", () => {
    it("finds the stacks", () => {
        for (const s of ["dev", "staging", "prod", "aks"]) assert.ok(stacks.includes(s), s);
    });
    for (const stack of stacks) {
        it(`stack ${stack}: every object and patch passes, each checked by a schema`, async () => {
            const render = await renderStack(stack);
            if (stack === "dev") devObjects = render.manifests;
            const results = await validateObjects(render.manifests);
            assert.equal(results.length, render.manifests.length);
            assert.deepEqual(results.filter((r) => !r.valid).map((r) => formatResult(r)), []);
            assert.deepEqual(results.filter((r) => schemaSources(r).length === 0).map((r) => r.ref), [], "objects without a schema");
            // Server-side-apply patches are partial objects: every field they set is checked, required ones are not.
            const patches = await validateObjects(render.patches, { partial: true });
            assert.deepEqual(patches.filter((r) => !r.valid || schemaSources(r).length === 0).map((r) => formatResult(r)), []);
            for (const m of [...render.manifests, ...render.patches]) renderedKinds.add(`${m.apiVersion} ${m.kind}`);
        });
    }

    it("every kind the stacks render has a schema; the allowlist of schemaless kinds is justified", () => {
        assert.ok(renderedKinds.size >= 15, `${renderedKinds.size} kinds rendered`);
        for (const k of renderedKinds) {
            const [apiVersion, kind] = k.split(" ");
            assert.ok(schemaFor(apiVersion, kind), `no schema for ${k}`);
        }
        for (const [gvk, why] of Object.entries(SCHEMALESS_KINDS)) assert.ok(why.length > 20, `${gvk} needs a reason`);
    });

    it("every Kubernetes kind the components declare has a schema (also kinds no shipped stack renders)", () => {
        const files = (d: string): string[] =>
            readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(d, e.name)) : e.name.endsWith(".ts") ? [path.join(d, e.name)] : []));
        const declared = new Set<string>();
        for (const file of [...files(path.join(repoRoot, "components")), ...files(path.join(repoRoot, "stacks"))]) {
            const src = readFileSync(file, "utf8");
            // Typed objects: new k8s.<module>.<version>.<Kind>(...) (Patch resources set part of the same kind).
            // Helm charts (and yaml/kustomize) are expanded by the provider at deploy time: not objects of ours.
            for (const [, mod, version, kind] of src.matchAll(/new k8s\.([a-z0-9]+)\.(v[a-z0-9]+)\.([A-Z][A-Za-z0-9]*)\(/g)) {
                if (mod === "helm" || mod === "yaml" || mod === "kustomize") continue;
                const k = kind.replace(/Patch$/, "");
                const groups = mod === "core" ? [""] : [mod, `${mod}.k8s.io`, `${mod}.authorization.k8s.io`];
                const found = groups.find((g) => schemaFor(g ? `${g}/${version}` : version, k));
                assert.ok(found !== undefined, `no schema for k8s.${mod}.${version}.${kind} in ${path.relative(repoRoot, file)}`);
                declared.add(`${found ? `${found}/` : ""}${version} ${k}`);
            }
            // Custom resources and references: apiVersion: "...", kind: "..." literals.
            for (const [, apiVersion, kind] of src.matchAll(/apiVersion:\s*"([^"]+)",\s*kind:\s*"([^"]+)"/g)) {
                // gkeCluster.ts writes a kubeconfig (apiVersion v1, kind Config): a client file, not an API object.
                if (apiVersion === "v1" && kind === "Config") continue;
                assert.ok(schemaFor(apiVersion, kind), `no schema for ${apiVersion} ${kind} in ${path.relative(repoRoot, file)}`);
                declared.add(`${apiVersion} ${kind}`);
            }
        }
        for (const k of ["serving.kserve.io/v1beta1 InferenceService", "operator.knative.dev/v1beta1 KnativeServing", "v1 Namespace", "apps/v1 Deployment"]) {
            assert.ok(declared.has(k), `the scan finds ${k}`);
        }
    });
});

describe("the validator fails what the API server would refuse", () => {
    before(async () => {
        if (devObjects.length === 0) devObjects = (await renderStack("dev")).manifests; // when run alone
    });
    const find = (kind: string) => {
        const obj = devObjects.find((m) => m.kind === kind);
        assert.ok(obj, `the dev render has a ${kind}`);
        return structuredClone(obj) as any;
    };
    const failsWith = async (obj: unknown, pattern: RegExp) => {
        const r = await validateObject(obj);
        assert.equal(r.valid, false, `${r.ref} should fail`);
        assert.match(r.errors.join("\n"), pattern);
    };

    it("an unknown field in a Deployment (also in its pod template)", async () => {
        const d = find("Deployment");
        d.spec.replica = 2;
        await failsWith(d, /k8s-v1\.35\.0: \/spec has unknown field 'replica'/);
        const c = find("Deployment");
        c.spec.template.spec.containers[0].imagePullPolicyy = "Always";
        await failsWith(c, /\/spec\/template\/spec\/containers\/0 has unknown field 'imagePullPolicyy'/);
        const m = find("Deployment");
        m.metadata.lables = { a: "b" };
        await failsWith(m, /\/metadata has unknown field 'lables'/);
    });

    it("an unknown field in an InferenceService spec", async () => {
        const isvc = find("InferenceService");
        isvc.spec.predictor.canaryTrafficPercnt = 10;
        await failsWith(isvc, /crd: \/spec\/predictor has unknown field 'canaryTrafficPercnt'/);
        const top = find("InferenceService");
        top.spec.predictorr = {};
        await failsWith(top, /crd: \/spec has unknown field 'predictorr'/);
    });

    it("a wrong type in a KnativeServing", async () => {
        const ks = find("KnativeServing");
        ks.spec.config.autoscaler["enable-scale-to-zero"] = true;
        await failsWith(ks, /crd(\+model)?: \/spec\/config\/autoscaler\/enable-scale-to-zero must be string/);
        const ha = find("KnativeServing");
        ha.spec["high-availability"] = { replicas: "two" };
        await failsWith(ha, /\/spec\/high-availability\/replicas must be integer/);
    });

    it("a bad label value or key, also in a pod template", async () => {
        const ns = find("Namespace");
        ns.metadata.labels = { ...ns.metadata.labels, team: "ml platform" };
        await failsWith(ns, /meta: \/metadata\/labels\/team value 'ml platform' is not a valid label value/);
        const long = find("ConfigMap");
        long.metadata.labels = { version: "v".repeat(64) };
        await failsWith(long, /is not a valid label value/);
        const key = find("ConfigMap");
        key.metadata.labels = { "-bad/key": "x" };
        await failsWith(key, /\/metadata\/labels key '-bad\/key' is not a qualified name/);
        const d = find("Deployment");
        d.spec.template.metadata.labels = { ...d.spec.template.metadata.labels, stage: "canary!" };
        await failsWith(d, /\/spec\/template\/metadata\/labels\/stage value 'canary!'/);
    });

    it("a bad name or namespace", async () => {
        const cm = find("ConfigMap");
        cm.metadata.name = "Monitor_Config";
        await failsWith(cm, /meta: \/metadata\/name 'Monitor_Config' is not a DNS-1123 subdomain/);
        const isvc = find("InferenceService");
        isvc.metadata.name = "1-iris";
        await failsWith(isvc, /\/metadata\/name '1-iris' is not a DNS-1035 label/);
        const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "a.b", namespace: "default" }, spec: { ports: [{ port: 80 }] } };
        await failsWith(svc, /\/metadata\/name 'a\.b' is not a DNS-1035 label/);
        const ns = find("ConfigMap");
        ns.metadata.namespace = "Models";
        await failsWith(ns, /\/metadata\/namespace 'Models' is not a DNS-1123 label/);
    });

    it("a missing required field, an unknown kind, an apiVersion the CRD does not serve, a duplicate list-map key", async () => {
        const trigger = find("Trigger");
        delete trigger.spec.subscriber;
        await failsWith(trigger, /model: \/spec must have required property 'subscriber'/);
        const d = find("Deployment");
        delete d.spec.selector;
        await failsWith(d, /\/spec must have required property 'selector'/);
        await failsWith({ apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "x" }, spec: {} }, /no schema for cert-manager\.io\/v1 ClusterIssuer/);
        await failsWith({ ...find("InferenceService"), apiVersion: "serving.kserve.io/v1alpha1" }, /not served; the CRD serves serving\.kserve\.io\/v1beta1/);
        const env = find("Deployment");
        env.spec.template.spec.containers[0].env = [{ name: "A", value: "1" }, { name: "A", value: "2" }];
        await failsWith(env, /\/env has a duplicate entry for key name="A"/);
    });

    it("is not stricter than the API server: preserve-unknown-fields, int-or-string, quantities, lenient and partial modes", async () => {
        // Trigger's spec preserves unknown fields (Knative Eventing's CRD); the ISVC status too.
        const trigger = find("Trigger");
        trigger.spec.someFutureField = { x: 1 };
        assert.deepEqual((await validateObject(trigger)).errors, []);
        const isvc = find("InferenceService");
        isvc.status = { anything: [1, 2] };
        assert.deepEqual((await validateObject(isvc)).errors, []);
        // x-kubernetes-int-or-string (CRD) and IntOrString / Quantity (core) take both forms, but nothing else.
        const probe = find("InferenceService");
        probe.spec.predictor.containers = [{ name: "kserve-container", image: "x", readinessProbe: { httpGet: { port: "http" } }, livenessProbe: { httpGet: { port: 8080 } }, resources: { limits: { cpu: 1, memory: "1Gi" } } }];
        delete probe.spec.predictor.model;
        assert.deepEqual((await validateObject(probe)).errors, []);
        probe.spec.predictor.containers[0].livenessProbe.httpGet.port = true;
        await failsWith(probe, /livenessProbe\/httpGet\/port must be integer or string/);
        const d = find("Deployment");
        d.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } };
        d.spec.template.spec.containers[0].resources = { requests: { cpu: "250m", memory: 268435456 }, limits: { cpu: 1 } };
        assert.deepEqual((await validateObject(d)).errors, []);
        d.spec.template.spec.containers[0].resources.limits.memory = "1Gx";
        await failsWith(d, /limits\/memory must be a quantity/);
        // --lenient prunes unknown fields like the API server; --partial (patches) does not need required fields.
        const lenient = find("Deployment");
        lenient.spec.replica = 2;
        assert.equal((await validateObject(lenient, { strict: false })).valid, true);
        assert.equal((await validateObject({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x", namespace: "y" }, spec: { replicas: 3 } }, { partial: true })).valid, true);
        assert.equal((await validateObject({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x", namespace: "y" }, spec: { replicas: "3" } }, { partial: true })).valid, false);
    });

    it("enforces every upstream pattern (none is left out as not valid in JavaScript)", () => {
        assert.deepEqual(schemaStats().unsupportedPatterns, []);
        assert.ok(schemaStats().crdVersions >= 16 && schemaStats().k8sKinds > 300);
    });
});

describe("npm run validate", () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools", "validateManifests.ts"), ...args], { encoding: "utf8", cwd: repoRoot });

    it("is the package's validate script; the vendored schemas are the files SOURCES.md lists, unchanged", () => {
        const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
        assert.equal(pkg.scripts.validate, "tsx tools/validateManifests.ts");
        const listed = [...readFileSync(path.join(schemasDir, "SOURCES.md"), "utf8").matchAll(/^([0-9a-f]{64}) {2}(\S+)$/gm)].map(([, sha, file]) => [file, sha]);
        const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(d, e.name)) : [path.join(d, e.name)]));
        const present = files(schemasDir).map((f) => path.relative(schemasDir, f)).filter((f) => f !== "SOURCES.md");
        assert.deepEqual(listed.map(([f]) => f).sort(), present.sort());
        for (const [file, sha] of listed) assert.equal(createHash("sha256").update(readFileSync(path.join(schemasDir, file))).digest("hex"), sha, file);
    });

    it("npm run render -- --validate validates the render it writes", () => {
        const out = mkdtempSync(path.join(tmpdir(), "inferstack-render-"));
        const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools", "render.ts"), "--stack", "dev", "--out", out, "--validate"], { encoding: "utf8", cwd: repoRoot });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /\nvalidate \(strict\): \d+ passed, 0 failed\n$/);
    });

    it("prints one line per object and 'N passed, N failed'; exit 0 when all pass", () => {
        assert.ok(devObjects.length > 10);
        const dir = mkdtempSync(path.join(tmpdir(), "inferstack-validate-"));
        writeFileSync(path.join(dir, "manifests.yaml"), manifestsYaml(devObjects));
        const r = cli(dir);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const lines = r.stdout.trim().split("\n");
        assert.equal(lines.filter((l) => l.startsWith("OK   ")).length, devObjects.length);
        assert.equal(lines.at(-1), `${devObjects.length} passed, 0 failed`);
    });

    it("exit 1 on a failure, 2 on bad usage", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "inferstack-validate-"));
        const file = path.join(dir, "bad.yaml");
        const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ok", namespace: "default" }, data: { a: "b" } };
        writeFileSync(file, manifestsYaml([cm, { ...cm, metadata: { name: "Not_OK", namespace: "default" }, extra: 1 }] as KubernetesObject[]));
        const out: string[] = [];
        assert.equal(await main([file], (l) => out.push(l), (l) => out.push(l)), 1);
        assert.match(out[0], /^OK {3}v1 ConfigMap default\/ok/);
        assert.match(out[1], /^FAIL v1 ConfigMap default\/Not_OK: .*unknown field 'extra'.*is not a DNS-1123 subdomain/);
        assert.equal(out.at(-1), "1 passed, 1 failed");
        const failing = cli(file);
        assert.equal(failing.status, 1);
        assert.match(failing.stdout, /\n1 passed, 1 failed\n$/);
        assert.equal(cli().status, 2);
        assert.equal(cli("--no-such-option", file).status, 2);
        assert.equal(cli(path.join(dir, "missing.yaml")).status, 2);
    });
});

/**
 * The pack as the Pulumi CLI runs it, spoken to over the analyzer gRPC protocol.
 *
 * How the CLI starts a nodejs pack (pulumi/pulumi: pkg/resource/plugin/plugin.go, sdk/nodejs/cmd/pulumi-language-nodejs
 * RunPlugin and locateModule): it resolves `@pulumi/pulumi/cmd/run-policy-pack` from the pack's directory and runs
 * `node <run-policy-pack> <engine address> <pack directory>` in that directory. run-policy-pack registers ts-node (with
 * the `typescript` it can resolve from its own location, else the SDK's vendored TypeScript 3.8) and `require`s the
 * directory, so package.json `main` (bin/index.js, compiled) is what runs. The pack prints its port on stdout.
 *
 * - Locally (`pulumi preview --policy-pack policies`) that directory is policies/ with its own node_modules.
 * - Published (`pulumi policy publish`) the CLI runs `npm pack` in the directory; enforcement extracts the tarball
 *   into an empty directory, runs `npm install` there, and starts it the same way. The second suite does exactly that.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
    AnalyzeDiagnostic,
    AnalyzeRequest,
    AnalyzerInfo,
    AnalyzerResource,
    AnalyzerResourceOptions,
    AnalyzeStackRequest,
    ConfigureAnalyzerRequest,
    EnforcementLevel,
    PolicyConfig,
} from "@pulumi/pulumi/proto/analyzer_pb";
import type { OfflineResource, PackConfig } from "../policies/offline";
import { policies } from "../policies/rules";
import { repoRoot } from "../tools/renderStack";
import { chartDefaultNodeExporterSecurityContext, deployment, nodeExporter } from "./policyCases";

const packDir = path.join(repoRoot, "policies");
const levels: Record<string, EnforcementLevel> = { advisory: EnforcementLevel.ADVISORY, mandatory: EnforcementLevel.MANDATORY, disabled: EnforcementLevel.DISABLED, remediate: EnforcementLevel.REMEDIATE };

/** Runs a command, failing the test with its output when it fails. */
function run(command: string, args: string[], cwd: string) {
    const r = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
    assert.equal(r.status, 0, `${command} ${args.join(" ")} (in ${cwd}) failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

interface RunningPack {
    process: ChildProcess;
    client: AnalyzerClient;
}

/** Starts the pack in `dir` as the CLI does: the run-policy-pack that `dir` resolves, in `dir`, given `dir`. */
async function startPack(dir: string): Promise<RunningPack> {
    const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
    assert.ok(runPolicyPack.startsWith(dir + path.sep), `run-policy-pack comes from the pack's own node_modules (${runPolicyPack})`);
    // The engine address is only passed through; the pack serves on a port of its own.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["NODE_OPTIONS", "NODE_PATH", "NODE_TEST_CONTEXT", "TS_NODE_PROJECT"].includes(k)));
    const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", dir], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<string>((resolve, reject) => {
        let stdout = "";
        const timer = setTimeout(() => reject(new Error(`policy pack did not start in 60s: ${stdout}${stderr}`)), 60_000);
        child.stdout!.on("data", (d: Buffer) => {
            stdout += d.toString();
            if (stdout.includes("\n")) {
                clearTimeout(timer);
                resolve(stdout.split("\n")[0].trim());
            }
        });
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`policy pack exited with ${code}:\n${stdout}${stderr}`));
        });
    });
    assert.match(port, /^\d+$/, `the pack prints the port it serves on (got ${port}; stderr: ${stderr})`);
    return { process: child, client: new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) };
}

function stopPack(pack: RunningPack | undefined) {
    pack?.client.close();
    pack?.process.kill();
}

const call = <T>(f: (cb: (err: grpc.ServiceError | null, res: T) => void) => void) => new Promise<T>((resolve, reject) => f((err, res) => (err ? reject(err) : resolve(res))));

/** Sends an environment's pack config the way the CLI does before analyzing (level and settings per policy). */
async function configure(client: AnalyzerClient, config: PackConfig) {
    const req = new ConfigureAnalyzerRequest();
    for (const p of policies) {
        const entry = config[p.name];
        const { enforcementLevel, ...settings } = typeof entry === "string" ? { enforcementLevel: entry } : (entry ?? {});
        const pc = new PolicyConfig();
        pc.setEnforcementlevel(levels[enforcementLevel ?? p.enforcementLevel ?? "advisory"]);
        pc.setProperties(Struct.fromJavaScript(settings as Record<string, never>));
        req.getPolicyconfigMap().set(p.name, pc);
    }
    await call((cb) => client.configure(req, cb));
}

const envConfig = (env: string) => JSON.parse(readFileSync(path.join(packDir, "config", `${env}.json`), "utf8")) as PackConfig;

function analyzerResource<T extends AnalyzeRequest | AnalyzerResource>(target: T, r: OfflineResource): T {
    target.setType(r.type);
    target.setName(r.name);
    target.setUrn(r.urn);
    target.setProperties(Struct.fromJavaScript(r.inputs as Record<string, never>));
    target.setOptions(new AnalyzerResourceOptions());
    return target;
}

const analyze = async (client: AnalyzerClient, r: OfflineResource) =>
    (await call<{ getDiagnosticsList(): AnalyzeDiagnostic[] }>((cb) => client.analyze(analyzerResource(new AnalyzeRequest(), r), cb))).getDiagnosticsList();

async function analyzeStack(client: AnalyzerClient, resources: OfflineResource[]) {
    const req = new AnalyzeStackRequest();
    req.setResourcesList(resources.map((r) => analyzerResource(new AnalyzerResource(), r)));
    return (await call<{ getDiagnosticsList(): AnalyzeDiagnostic[] }>((cb) => client.analyzeStack(req, cb))).getDiagnosticsList();
}

const summary = (ds: AnalyzeDiagnostic[]) => ds.map((d) => [d.getPolicyname(), d.getEnforcementlevel()]);

/** What every test of a running pack checks: its policies, and violations and exemptions over the protocol. */
function packContract(getPack: () => RunningPack) {
    it("registers every policy with its description, level and settings", async () => {
        const info = await call<AnalyzerInfo>((cb) => getPack().client.getAnalyzerInfo(new Empty(), cb));
        assert.equal(info.getName(), "inferstack");
        assert.equal(info.getVersion(), "0.1.0");
        const served = info.getPoliciesList();
        assert.deepEqual(served.map((p) => p.getName()).sort(), policies.map((p) => p.name).sort());
        for (const p of served) {
            const expected = policies.find((x) => x.name === p.getName())!;
            assert.ok(p.getDescription().length > 20, p.getName());
            assert.equal(p.getEnforcementlevel(), levels[expected.enforcementLevel!], p.getName());
            const schema = p.getConfigschema()?.getProperties()?.toJavaScript() ?? {};
            assert.deepEqual(Object.keys(schema).sort(), Object.keys(expected.configSchema?.properties ?? {}).sort(), p.getName());
        }
    });

    it("reports a mandatory violation for a canary above prod's 25%, and none for a compliant InferenceService", async () => {
        const isvc = (canaryTrafficPercent: number): OfflineResource => ({
            urn: "urn:pulumi:test::inferstack::kubernetes:serving.kserve.io/v1beta1:InferenceService::iris",
            type: "kubernetes:serving.kserve.io/v1beta1:InferenceService",
            name: "iris",
            inputs: {
                apiVersion: "serving.kserve.io/v1beta1",
                kind: "InferenceService",
                metadata: { name: "iris", namespace: "models", annotations: { "serving.kserve.io/deploymentMode": "Knative" } },
                spec: {
                    predictor: {
                        canaryTrafficPercent,
                        minReplicas: 1,
                        maxReplicas: 3,
                        serviceAccountName: "kserve-models",
                        logger: { mode: "all", url: "http://broker-ingress.knative-eventing.svc.cluster.local/models/default" },
                        model: { modelFormat: { name: "sklearn" }, storageUri: "s3://models/iris", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } } },
                    },
                },
            },
        });
        assert.deepEqual(await analyze(getPack().client, isvc(10)), []);
        const diagnostics = await analyze(getPack().client, isvc(30));
        assert.deepEqual(summary(diagnostics), [["inferenceservice-canary-max", EnforcementLevel.MANDATORY]]);
        assert.match(diagnostics[0].getMessage(), /sends 30% of predictor traffic to its canary; the maximum is 25%/);
    });

    it("flags a privileged, unpinned container from an unknown registry (default settings apply)", async () => {
        const bad = deployment({ containers: [{ name: "c", image: "registry.example.com/app:latest", securityContext: { privileged: true, runAsNonRoot: true } }] }, "bad");
        const names = new Set((await analyze(getPack().client, bad)).map((d) => d.getPolicyname()));
        for (const p of ["images-pinned", "images-allowed-registries", "containers-not-privileged", "containers-resources"]) assert.ok(names.has(p), p);
    });

    it("lets the node exporter through its exemption only, and reports the exemption on the stack", async () => {
        const { client } = getPack();
        assert.deepEqual(await analyze(client, nodeExporter()), []);
        for (const other of [nodeExporter({ name: "my-exporter" }), nodeExporter({ namespace: "apps" })]) {
            assert.ok(summary(await analyze(client, other)).some(([p, l]) => p === "pods-no-host-access" && l === EnforcementLevel.MANDATORY), other.name);
        }
        const stack = await analyzeStack(client, [nodeExporter()]);
        // One reviewed exemption applies to it: host access (its container is restricted by the Monitoring component's values).
        assert.deepEqual(summary(stack), [["policy-exemptions", EnforcementLevel.ADVISORY]]);
        assert.deepEqual(stack.map((d) => d.getUrn()), [nodeExporter().urn]);
        assert.match(stack[0].getMessage(), /DaemonSet monitoring\/kps-prometheus-node-exporter: pods-no-host-access waived by exemption \("kube-prometheus-stack's node exporter.*hostNetwork is true/);
        // With the chart's default container securityContext, nothing waives containers-restricted any more.
        const chartDefault = summary(await analyze(client, nodeExporter({ container: { securityContext: chartDefaultNodeExporterSecurityContext } })));
        assert.deepEqual(chartDefault, [["containers-restricted", EnforcementLevel.MANDATORY]]);
    });
}

describe("the policy pack in the repository, as `pulumi preview --policy-pack policies` runs it", () => {
    let pack: RunningPack | undefined;
    before(async () => {
        // The pack's entry point is compiled JavaScript (package.json main): build it from the sources under test.
        run("npm", ["run", "build", "--silent"], packDir);
        pack = await startPack(packDir);
        await configure(pack.client, envConfig("prod"));
    });
    after(() => stopPack(pack));
    packContract(() => pack!);
});

describe("the published policy pack, as `pulumi policy publish` packs it and enforcement installs and runs it", { timeout: 300_000 }, () => {
    let work: string;
    let installed: string;
    let pack: RunningPack | undefined;
    let tarball: string[];
    let timing = "";

    before(async () => {
        work = mkdtempSync(path.join(tmpdir(), "inferstack-policy-publish-"));
        const started = Date.now();
        // `pulumi policy publish`: `npm pack` in the pack's directory (its prepack script builds bin/).
        run("npm", ["pack", "--loglevel=error", "--pack-destination", work], packDir);
        const tgz = readdirSync(work).find((f) => f.endsWith(".tgz"));
        assert.ok(tgz, "npm pack wrote a tarball");
        tarball = run("tar", ["-tzf", path.join(work, tgz)], work).trim().split("\n").sort();
        const packed = Date.now();
        // Enforcement: the tarball's `package/` becomes the pack's directory, and `npm install` runs in it. Nothing
        // outside it (the repository's node_modules) is reachable from there.
        run("tar", ["-xzf", path.join(work, tgz), "-C", work], work);
        installed = path.join(work, "package");
        run("npm", ["install", "--loglevel=error", "--prefer-offline", "--no-audit", "--no-fund"], installed);
        const installedAt = Date.now();
        pack = await startPack(installed);
        await configure(pack.client, envConfig("prod"));
        const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
        timing = `npm pack ${s(packed - started)}, npm install ${s(installedAt - packed)}, start ${s(Date.now() - installedAt)}`;
    });
    after(() => {
        stopPack(pack);
        if (work) rmSync(work, { recursive: true, force: true });
    });

    it("ships the compiled pack, its project file and manifest, and no sources", (t) => {
        t.diagnostic(timing);
        assert.ok(tarball.includes("package/package.json") && tarball.includes("package/PulumiPolicy.yaml"), tarball.join(", "));
        for (const f of ["index", "rules/index", "rules/workloads", "rules/exemptions"]) assert.ok(tarball.includes(`package/bin/${f}.js`), f);
        assert.deepEqual(tarball.filter((f) => /\.ts$|tsconfig|offline|config\/|node_modules/.test(f)), []);
        const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as { main: string; dependencies: Record<string, string> };
        assert.equal(manifest.main, "bin/index.js");
        assert.deepEqual(Object.keys(manifest.dependencies).sort(), ["@pulumi/policy", "@pulumi/pulumi"]);
    });

    it("resolves everything it loads from its own install", () => {
        for (const m of ["@pulumi/policy", "@pulumi/pulumi", "@grpc/grpc-js"]) {
            assert.ok(require.resolve(m, { paths: [installed] }).startsWith(installed + path.sep), m);
        }
        assert.ok(existsSync(path.join(installed, "bin", "index.js")));
        assert.ok(!existsSync(path.join(installed, "tsconfig.json")), "no tsconfig.json for run-policy-pack's ts-node to apply");
    });

    packContract(() => pack!);

    it("starts under the SDK's vendored TypeScript 3.8 too, when no typescript is installed", async () => {
        // run-policy-pack registers ts-node with the `typescript` it resolves, else the SDK's vendored 3.8.3 (what
        // broke the TypeScript entry point). A compiled entry point does not care which one it gets.
        const ts = path.join(installed, "node_modules", "typescript");
        renameSync(ts, `${ts}.hidden`);
        let second: RunningPack | undefined;
        try {
            const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [installed] }));
            assert.throws(() => require.resolve("typescript", { paths: [sdk] }));
            assert.ok(existsSync(path.join(sdk, "vendor", "typescript@3.8.3")));
            second = await startPack(installed);
            const info = await call<AnalyzerInfo>((cb) => second!.client.getAnalyzerInfo(new Empty(), cb));
            assert.equal(info.getPoliciesList().length, policies.length);
        } finally {
            stopPack(second);
            renameSync(`${ts}.hidden`, ts);
        }
    });
});

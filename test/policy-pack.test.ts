/**
 * The pack as the Pulumi CLI runs it: `policies/index.ts`, loaded with ts-node in its own process, serves the analyzer gRPC
 * protocol (what `pulumi preview --policy-pack policies` talks to). The test asks it for its policies and sends
 * it resources to analyze, over that protocol.
 */
import assert from "node:assert/strict";
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeDiagnostic, AnalyzeRequest, AnalyzerInfo, AnalyzerResourceOptions, ConfigureAnalyzerRequest, EnforcementLevel, PolicyConfig } from "@pulumi/pulumi/proto/analyzer_pb";
import { readFileSync } from "node:fs";
import type { PackConfig } from "../policies/offline";
import { policies } from "../policies/rules";
import { repoRoot } from "../tools/renderStack";

let pack: ChildProcessWithoutNullStreams;
let client: AnalyzerClient;

function analyze(type: string, name: string, props: Record<string, unknown>): Promise<AnalyzeDiagnostic[]> {
    const req = new AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(`urn:pulumi:test::inferstack::${type}::${name}`);
    req.setProperties(Struct.fromJavaScript(props as Record<string, never>));
    req.setOptions(new AnalyzerResourceOptions());
    return new Promise((resolve, reject) => client.analyze(req, (err, res) => (err ? reject(err) : resolve(res.getDiagnosticsList()))));
}

describe("the policy pack served over the analyzer protocol (as the Pulumi CLI runs it)", () => {
    before(async () => {
        // Load the pack the way the CLI's run-policy-pack does: ts-node, type-checked, with its default options
        // (policies/ has no tsconfig.json of its own).
        const register = "require('ts-node').register({ typeCheck: true, skipProject: true, compilerOptions: { target: 'ES2020', module: 'nodenext', moduleResolution: 'nodenext' } }); require('./index.ts');";
        pack = spawn(process.execPath, ["-e", register], { cwd: path.join(repoRoot, "policies") });
        let stderr = "";
        pack.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const port = await new Promise<string>((resolve, reject) => {
            pack.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
            pack.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
        });
        assert.match(port, /^\d+$/, "the pack prints the port it serves on");
        client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        // The CLI sends the pack config (here prod's) before analyzing; settings it leaves out take their defaults.
        const prod = JSON.parse(readFileSync(path.join(repoRoot, "policies", "config", "prod.json"), "utf8")) as PackConfig;
        const levels: Record<string, EnforcementLevel> = { advisory: EnforcementLevel.ADVISORY, mandatory: EnforcementLevel.MANDATORY, disabled: EnforcementLevel.DISABLED, remediate: EnforcementLevel.REMEDIATE };
        const req = new ConfigureAnalyzerRequest();
        for (const p of policies) {
            const entry = prod[p.name];
            const { enforcementLevel, ...settings } = typeof entry === "string" ? { enforcementLevel: entry } : (entry ?? {});
            const config = new PolicyConfig();
            config.setEnforcementlevel(levels[enforcementLevel ?? p.enforcementLevel ?? "advisory"]);
            config.setProperties(Struct.fromJavaScript(settings as Record<string, never>));
            req.getPolicyconfigMap().set(p.name, config);
        }
        await new Promise((resolve, reject) => client.configure(req, (err, res) => (err ? reject(err) : resolve(res))));
    });
    after(() => {
        client?.close();
        pack?.kill();
    });

    it("registers every policy with its description and level", async () => {
        const info = await new Promise<AnalyzerInfo>((resolve, reject) => client.getAnalyzerInfo(new Empty(), (err, res) => (err ? reject(err) : resolve(res))));
        assert.equal(info.getName(), "inferstack");
        const served = info.getPoliciesList();
        assert.deepEqual(served.map((p) => p.getName()).sort(), policies.map((p) => p.name).sort());
        for (const p of served) {
            assert.ok(p.getDescription().length > 20, p.getName());
            assert.equal(p.getEnforcementlevel(), EnforcementLevel.MANDATORY, p.getName());
        }
    });

    it("reports a mandatory violation for a canary above prod's 25%, and none for a compliant InferenceService", async () => {
        const isvc = (canaryTrafficPercent: number) => ({
            apiVersion: "serving.kserve.io/v1beta1",
            kind: "InferenceService",
            metadata: { name: "iris", namespace: "models", annotations: { "serving.kserve.io/deploymentMode": "Knative" } },
            spec: {
                predictor: {
                    canaryTrafficPercent,
                    minReplicas: 1,
                    maxReplicas: 3,
                    logger: { mode: "all", url: "http://broker-ingress.knative-eventing.svc.cluster.local/models/default" },
                    model: { modelFormat: { name: "sklearn" }, storageUri: "s3://models/iris", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } } },
                },
            },
        });
        const type = "kubernetes:serving.kserve.io/v1beta1:InferenceService";
        assert.deepEqual(await analyze(type, "iris", isvc(10)), []);
        const diagnostics = await analyze(type, "iris", isvc(30));
        assert.deepEqual(
            diagnostics.map((d) => [d.getPolicyname(), d.getEnforcementlevel()]),
            [["inferenceservice-canary-max", EnforcementLevel.MANDATORY]],
        );
        assert.match(diagnostics[0].getMessage(), /sends 30% of traffic to its canary; the maximum is 25%/);
    });

    it("flags a privileged, unpinned container from an unknown registry (default settings apply)", async () => {
        const diagnostics = await analyze("kubernetes:apps/v1:Deployment", "bad", {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "bad" },
            spec: { template: { spec: { containers: [{ name: "c", image: "registry.example.com/app:latest", securityContext: { privileged: true, runAsNonRoot: true } }] } } },
        });
        const names = new Set(diagnostics.map((d) => d.getPolicyname()));
        for (const p of ["images-pinned", "images-allowed-registries", "containers-not-privileged", "containers-resources"]) assert.ok(names.has(p), p);
    });
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { OfflineResource, PackConfig, resolvePolicyConfig, runPolicies } from "../policies/offline";
import { exemptablePolicies, policies } from "../policies/rules";
import { checkExemptions, Exemption } from "../policies/rules/exemptions";
import { modelLabel as ruleLabelInPack } from "../policies/rules/stack";
import { modelLabel as ruleLabelOfComponent } from "../components/monitoring/modelAlerts";
import { renderStack, repoRoot } from "../tools/renderStack";
import { badStackFixture, container, deployment, isvc, nodeExporter, policyCases, res, shippedExemptions } from "./policyCases";

const cases = policyCases();
const stacks = readdirSync(path.join(repoRoot, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

function policyCli(args: string[]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools", "policy.ts"), ...args], { encoding: "utf8", cwd: repoRoot });
    return { status: r.status, out: r.stdout + r.stderr };
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
    it("without an exemption, the node exporter trips pods-no-host-access only (host network and PID, /proc, /sys, /)", async () => {
        const run = await runPolicies(policies, [nodeExporter()], {});
        assert.deepEqual([...new Set(mandatory(run).map((v) => v.policy))], ["pods-no-host-access"]);
        assert.deepEqual(
            mandatory(run).map((v) => v.message.replace(/^.*spec\.template\.spec: /, "")),
            ["hostNetwork is true; remove it.", "hostPID is true; remove it.", ...["proc", "sys", "root"].map((v) => `volume ${v} is a hostPath; use a PersistentVolumeClaim or emptyDir.`)],
        );
        assert.deepEqual(run.exemptions, []);
    });

    for (const env of environments) {
        it(`${env}: the node exporter passes through its exemption, which policy-exemptions reports`, async () => {
            const run = await runPolicies(policies, [nodeExporter()], packConfig(env));
            assert.deepEqual(mandatory(run), []);
            assert.deepEqual(run.violations.map((v) => [v.policy, v.level, v.urn]), [["policy-exemptions", "advisory", nodeExporter().urn]]);
            assert.match(run.violations[0].message, /^DaemonSet monitoring\/kps-prometheus-node-exporter: pods-no-host-access waived by exemption \("kube-prometheus-stack's node exporter .*"\): .*hostNetwork is true.* \| .*hostPID is true.*volume root is a hostPath/);
            assert.deepEqual(run.exemptions.map((e) => [e.policy, e.exemption.name, e.findings.length]), [["pods-no-host-access", "kps-prometheus-node-exporter", 5]]);
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
        assert.deepEqual([...new Set(mandatory(run).map((v) => v.policy))].sort(), ["containers-not-privileged", "images-pinned", "no-plaintext-credentials"]);
        assert.deepEqual(run.exemptions.map((e) => e.policy), ["pods-no-host-access"]);
        // An exemption listed for one policy is no exemption for another, even for the same workload.
        const elsewhere = await runPolicies(policies, [r], { "containers-not-privileged": { exemptions: [] }, "pods-no-host-access": { exemptions: shippedExemptions("prod", "pods-no-host-access") } });
        assert.ok(mandatory(elsewhere).some((v) => v.policy === "containers-not-privileged"));
    });

    it("a label-selector exemption covers the objects carrying every one of its labels, in its namespace", async () => {
        const bySelector = (labelSelector: Record<string, string>): PackConfig => ({
            "pods-no-host-access": { exemptions: [{ kind: "DaemonSet", namespace: "monitoring", labelSelector, reason: "node exporter needs the host's /proc and /sys" }] },
        });
        const selector = { "app.kubernetes.io/name": "prometheus-node-exporter", "app.kubernetes.io/instance": "kps" };
        assert.deepEqual(mandatory(await runPolicies(policies, [nodeExporter({ name: "renamed" })], bySelector(selector))), []);
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
            "gpu-pods-tolerate-gpu-nodes",
            "images-allowed-registries",
            "images-pinned",
            "no-plaintext-credentials",
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

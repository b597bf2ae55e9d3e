import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { OfflineResource, PackConfig, resolvePolicyConfig, runPolicies } from "../policies/offline";
import { policies } from "../policies/rules";
import { modelLabel as ruleLabelInPack } from "../policies/rules/stack";
import { modelLabel as ruleLabelOfComponent } from "../components/monitoring/modelAlerts";
import { renderStack, repoRoot } from "../tools/renderStack";
import { badStackFixture, isvc, policyCases } from "./policyCases";

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
            const pass = await runPolicies([policy], c.pass, config);
            assert.deepEqual(pass.violations, [], `${policy.name} on its passing case`);
            const fail = await runPolicies([policy], c.fail, config);
            assert.ok(fail.violations.length > 0, `${policy.name} flags its failing case`);
            for (const v of fail.violations) {
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
        for (const p of policies) assert.match(r.out, new RegExp(`MANDATORY +${p.name}\\n`), `${p.name} reported`);
    });

    it("bad usage exits 2 with a message naming the options", () => {
        const r = policyCli(["--stack", "dev", "--environment", "qa"]);
        assert.equal(r.status, 2);
        assert.match(r.out, /--environment qa is not one of dev, staging, prod/);
    });
});

function readStackEnvironment(stack: string): string {
    const text = readFileSync(path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`), "utf8");
    return /inferstack:environment:\s*(\w+)/.exec(text)?.[1] ?? "dev";
}

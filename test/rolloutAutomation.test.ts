/**
 * Issue #14: the Pulumi side of `npm run rollout`.
 *
 * - The real AutomationStackOps (tools/rollout/stackOps.ts) over a fake Automation API Stack whose state is the dev
 *   stack's render (tools/renderStack.ts): the exact config paths it sets and removes, and the exact target URNs
 *   (the model's ModelService component and its InferenceService, as the render names them) of every `up`.
 * - The state machine resumed from each state the stack config can be in (no canary, a step, 100, 0).
 * - The config the tool leaves after a promotion renders exactly like a hand-written stable-only config, and the
 *   only difference from the promoted render (trafficPercent 100) is the one named below.
 *
 * The analysis here answers from a stub (the decisions against a real Prometheus are test/rolloutAnalysis.test.ts).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { rolloutSchema } from "../components/models/rolloutSchema";
import { renderStack, type Render } from "../tools/renderStack";
import type { PrometheusClient } from "../tools/rollout/analysis";
import { EXIT, parseWithoutRollout, runRollout, type RolloutReport } from "../tools/rollout/rollout";
import { AutomationStackOps, inferenceServiceType, modelServiceType } from "../tools/rollout/stackOps";
import { FakePulumiStack, parsePath } from "./fixtures/rollout/fakePulumiStack";
import { VirtualClock } from "./fixtures/rollout/fakes";
import { stackFileConfig } from "./helpers";

const policy = { steps: [10, 50, 100], interval: "10m", minRequests: 200 };

/** The dev stack file's config with sklearn-iris (models[0]) carrying a canary and a rollout policy. */
function devWithCanary(trafficPercent: number | undefined, withPolicy = true): Record<string, unknown> {
    const config = stackFileConfig("dev");
    const models = config["inferstack:models"] as Record<string, unknown>[];
    if (trafficPercent !== undefined) models[0]["canary"] = { storageUri: "s3://models/sklearn/iris/v2", trafficPercent };
    if (withPolicy) models[0]["rollout"] = structuredClone(policy);
    return config;
}

/** The stack file's config without `rollout` (until the model schema has it, the render refuses the key). */
function forRender(config: Record<string, unknown>): Record<string, unknown> {
    const c = structuredClone(config);
    for (const m of c["inferstack:models"] as Record<string, unknown>[]) delete m["rollout"];
    return c;
}

/** A Prometheus stub: every query answers a healthy value, or a bad one for the metric named in `bad`. */
function stubPrometheus(bad?: "errors"): PrometheusClient {
    return {
        url: "http://prometheus.stub",
        async query(expr: string) {
            if (expr.startsWith("(sum(rate(kn_serving_invocation_duration_seconds_count")) return bad === "errors" && expr.includes("00002") ? 0.2 : 0;
            if (expr.startsWith("sum(increase(kn_serving_invocation_duration_seconds_count")) return 1000;
            if (expr.startsWith("histogram_quantile")) return 0.05;
            if (expr.includes("inferstack_version_drift_detected")) return 0;
            if (expr.includes("outlier")) return 0.01;
            if (expr.includes("scored")) return 5000;
            if (expr.includes("feedback_window_count")) return 100;
            if (expr.includes("accuracy")) return 0.95;
            throw new Error(`unexpected query ${expr}`);
        },
    };
}

describe("rollout through the Automation API (fake Stack, state from the dev render)", () => {
    let render: Render;
    let isvcUrn = "";
    let componentUrn = "";

    before(async () => {
        render = await renderStack("dev", { config: forRender(devWithCanary(10)) });
        const isvc = render.resources.find((r) => r.type === inferenceServiceType && (r.inputs["metadata"] as { name: string }).name === "sklearn-iris")!;
        isvcUrn = isvc.urn;
        componentUrn = render.resources.find((r) => r.type === modelServiceType && r.urn === isvc.parent)!.urn;
        assert.match(isvcUrn, /InferenceService::inferstack-model-sklearn-iris$/);
        assert.match(componentUrn, /ModelService::inferstack-model-sklearn-iris$/);
    });

    async function run(config: Record<string, unknown>, opts: { bad?: "errors"; dryRun?: boolean } = {}): Promise<{ report: RolloutReport; stack: FakePulumiStack; progress: string[] }> {
        const stack = new FakePulumiStack("dev", config, render.resources);
        const clock = new VirtualClock(Date.UTC(2026, 10, 26, 1, 0, 0));
        const progress: string[] = [];
        const report = await runRollout({ model: "sklearn-iris", dryRun: opts.dryRun ?? false, readyTimeoutMs: 60_000 }, { ops: new AutomationStackOps(stack), prometheus: stubPrometheus(opts.bad), clock, progress: (l) => progress.push(l) });
        return { report, stack, progress };
    }

    /** The calls that change something or run an operation (reads left out). */
    // A set-all write is shown by the keys it sets (its values are checked on the config it leaves).
    const writes = (stack: FakePulumiStack) =>
        stack.calls
            .filter((c) => ["setConfig", "setAllConfigJson", "removeConfig", "up"].includes(c.method))
            .map((c) => (c.method === "setAllConfigJson" ? [c.method, ...Object.keys(JSON.parse(String(c.args[0])))] : [c.method, ...c.args]));

    it("a passing canary: exact config paths, target URNs, promotion and the tidied config", async () => {
        const { report, stack } = await run(devWithCanary(10));
        assert.equal(report.outcome, "promoted", report.error);
        assert.equal(report.exitCode, EXIT.promoted);
        const targets = [componentUrn, isvcUrn];
        assert.deepEqual(writes(stack), [
            ["up", { target: targets, message: "rollout sklearn-iris: canary at 10%" }],
            ["setConfig", "inferstack:models[0].canary.trafficPercent", { value: "50" }, true],
            ["up", { target: targets, message: "rollout sklearn-iris: canary at 50%" }],
            ["setConfig", "inferstack:models[0].canary.trafficPercent", { value: "100" }, true],
            ["up", { target: targets, message: "rollout sklearn-iris: promote" }],
            ["setAllConfigJson", "inferstack:models"],
            ["up", { target: targets, message: "rollout sklearn-iris: tidy config after promotion" }],
        ]);
        // Every refresh before reading the status is limited to the same targets.
        for (const c of stack.calls.filter((x) => x.method === "refresh")) assert.deepEqual(c.args, [{ target: targets }]);
        const model = (stack.config["inferstack:models"] as any[])[0];
        assert.deepEqual(model.stable, { storageUri: "s3://models/sklearn/iris/v2" });
        assert.equal(model.canary, undefined);
        assert.deepEqual(model.rollout, policy, "the policy stays for the next canary");
        assert.deepEqual(report.analyses.map((a) => [a.trafficPercent, a.decision]), [[10, "advance"], [50, "advance"]]);
    });

    it("a failing canary: trafficPercent 0 and one targeted up, the canary kept for inspection", async () => {
        const { report, stack } = await run(devWithCanary(10), { bad: "errors" });
        assert.equal(report.outcome, "rolled-back");
        assert.equal(report.exitCode, EXIT.rolledBack);
        assert.deepEqual(writes(stack).slice(1), [
            ["setConfig", "inferstack:models[0].canary.trafficPercent", { value: "0" }, true],
            ["up", { target: [componentUrn, isvcUrn], message: "rollout sklearn-iris: roll back" }],
        ]);
        assert.deepEqual((stack.config["inferstack:models"] as any[])[0].canary, { storageUri: "s3://models/sklearn/iris/v2", trafficPercent: 0 });
    });

    it("resumes from the stack config: a step in the middle, 100 (tidy only), 0 (already rolled back), no canary", async () => {
        const mid = await run(devWithCanary(50));
        assert.equal(mid.report.outcome, "promoted");
        assert.deepEqual(mid.report.analyses.map((a) => a.trafficPercent), [50], "starts at the step the config names");
        // The first update of a resumed step changes nothing: it was applied before the interruption.
        assert.match(mid.report.events.find((e) => e.action === "update")!.message, /no changes/);

        const promoted = await run(devWithCanary(100));
        assert.equal(promoted.report.outcome, "promoted");
        assert.deepEqual(promoted.report.analyses, []);
        assert.deepEqual(writes(promoted.stack).map((w) => w.slice(0, 2)), [
            ["setAllConfigJson", "inferstack:models"],
            ["up", { target: [componentUrn, isvcUrn], message: "rollout sklearn-iris: tidy config after promotion" }],
        ]);

        // A rollback is re-applied (a no-op update here: the stack was deployed with trafficPercent 0), nothing else.
        const rolledBack = await run(devWithCanary(0));
        assert.equal(rolledBack.report.outcome, "rolled-back");
        assert.equal(rolledBack.report.exitCode, EXIT.rolledBack);
        assert.deepEqual(writes(rolledBack.stack), [["up", { target: [componentUrn, isvcUrn], message: "rollout sklearn-iris: roll back" }]]);
        assert.match(rolledBack.report.events.find((e) => e.action === "update")!.message, /no changes/);

        const none = await run(devWithCanary(undefined));
        assert.equal(none.report.outcome, "nothing-to-do");
        assert.equal(none.report.exitCode, EXIT.promoted);
        assert.deepEqual(writes(none.stack), []);
    });

    it("--dry-run: reads the state (refresh), analyses, and writes nothing", async () => {
        const { report, stack } = await run(devWithCanary(10), { dryRun: true, bad: "errors" });
        assert.equal(report.wouldDo, "rollback");
        assert.equal(report.exitCode, EXIT.rolledBack);
        assert.deepEqual(writes(stack), []);
    });

    it("an invalid rollout policy is one line per problem naming the key (exit 1), before any Pulumi call", async () => {
        const config = devWithCanary(10);
        (config["inferstack:models"] as any[])[0].rollout = { steps: [50, 25], interval: "5 minutes", quality: { failOnDrift: "yes" } };
        const stack = new FakePulumiStack("dev", config, render.resources);
        await assert.rejects(
            runRollout({ model: "sklearn-iris", dryRun: false, readyTimeoutMs: 1000 }, { ops: new AutomationStackOps(stack), prometheus: stubPrometheus(), clock: new VirtualClock(0), progress: () => undefined }),
            (err: Error) => {
                assert.equal(err.name, "InputError");
                assert.deepEqual(err.message.split("\n"), [
                    "inferstack:models[0].rollout.steps: must be strictly increasing, e.g. [10, 25, 50, 100]",
                    "inferstack:models[0].rollout.steps: must end with 100 (the promotion)",
                    'inferstack:models[0].rollout.interval: must be a duration such as "30s", "5m" or "1h" (a whole number, then one of s, m, h)',
                    "inferstack:models[0].rollout.quality.failOnDrift: must be true or false",
                ]);
                return true;
            },
        );
        assert.deepEqual(writes(stack), []);
    });

    it("a promotion writes the models list once, typed: texts such as \"1\" or \"4096\" stay strings (a --path write would coerce them)", async () => {
        const config = devWithCanary(100);
        const canary = { storageUri: "s3://models/sklearn/iris/v2", args: ["--max_model_len", "4096"], env: [{ name: "WORKERS", value: "1" }, { name: "DEBUG", value: "true" }], trafficPercent: 100 };
        (config["inferstack:models"] as any[])[0].canary = canary;
        const stack = new FakePulumiStack("dev", config, render.resources);
        await new AutomationStackOps(stack).promoteInConfig(0, canary);
        assert.deepEqual(writes(stack).map((w) => w[0]), ["setAllConfigJson"]);
        const m = (stack.config["inferstack:models"] as any[])[0];
        assert.deepEqual(m.stable, { storageUri: "s3://models/sklearn/iris/v2", args: ["--max_model_len", "4096"], env: [{ name: "WORKERS", value: "1" }, { name: "DEBUG", value: "true" }] });
        assert.equal(m.canary, undefined);
        // The promoted config still parses (the next plain `pulumi up` reads it).
        assert.doesNotThrow(() => parseWithoutRollout(Object.fromEntries(Object.entries(stack.config).map(([k, v]) => [k.replace(/^inferstack:/, ""), v]))));
        // The fake follows Pulumi's --path coercion, which is why the leaf-by-leaf write was wrong:
        await stack.setConfig("inferstack:models[0].stable.env[0].value", { value: "1" }, true);
        assert.equal((stack.config["inferstack:models"] as any[])[0].stable.env[0].value, 1);
        assert.deepEqual(parsePath('models[0].stable.nodeSelector["kubernetes.io/arch"]'), ["models", 0, "stable", "nodeSelector", "kubernetes.io/arch"]);
    });
});

describe("the config a promotion leaves renders like a hand-written stable-only config", () => {
    it("tidied config = hand-written config, and their renders are identical, and identical to the promoted render", async (t) => {
        // What the tool leaves: the real AutomationStackOps on the fake Stack, from a canary at 100.
        const before = devWithCanary(100);
        const renderBefore = await renderStack("dev", { config: forRender(before) });
        const stack = new FakePulumiStack("dev", before, renderBefore.resources);
        const ops = new AutomationStackOps(stack);
        await ops.promoteInConfig(0, { storageUri: "s3://models/sklearn/iris/v2", trafficPercent: 100 });
        const tidied = stack.config;

        // Written by hand: the dev stack with stable v2 and the same policy.
        const byHand = stackFileConfig("dev");
        const m = (byHand["inferstack:models"] as Record<string, unknown>[])[0];
        m["stable"] = { storageUri: "s3://models/sklearn/iris/v2" };
        m["rollout"] = structuredClone(policy);
        // As the program receives config: JSON (a -0 in the stack file and a 0 are the same number there).
        assert.deepEqual(JSON.parse(JSON.stringify(tidied)), JSON.parse(JSON.stringify(byHand)));
        rolloutSchema.parse(m["rollout"]);

        const [a, b] = [await renderStack("dev", { config: forRender(tidied) }), await renderStack("dev", { config: forRender(byHand) })];
        assert.deepEqual(a.manifests, b.manifests);
        assert.deepEqual(a.resources, b.resources);

        // Promoted (canary at 100) against tidied: the InferenceService's spec is the same object.
        const isvc = (r: Render) => r.manifests.find((x) => x.kind === "InferenceService" && x.metadata.name === "sklearn-iris") as any;
        assert.deepEqual(isvc(renderBefore).spec, isvc(a).spec);
        // No other difference either: KServe copies the InferenceService's annotations onto the revision template, so
        // any annotation that changed on tidying would roll one more revision of the same model.
        const diff = (x: any, y: any, at = ""): string[] => {
            if (JSON.stringify(x) === JSON.stringify(y)) return [];
            if (x && y && typeof x === "object" && typeof y === "object" && !Array.isArray(x)) return [...new Set([...Object.keys(x), ...Object.keys(y)])].flatMap((k) => diff(x[k], y[k], `${at}/${k}`));
            return [at];
        };
        const differences = renderBefore.manifests.flatMap((mf, i) => diff(mf, a.manifests[i], `${mf.kind}/${mf.metadata.name}`));
        assert.deepEqual(differences, [], `differences between the promoted and the tidied render: ${differences.join(", ")}`);
        t.diagnostic("promoted vs tidied render: identical");
    });
});

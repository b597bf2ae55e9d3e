/**
 * Issue #14: the rollout policy schema (components/models/rolloutSchema.ts) and the model-version id the monitor
 * attributes events by.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { modelVersionId, modelVersionPattern, rolloutSchema } from "../components/models/rolloutSchema";
import { parsePlatformConfig } from "../stacks/config";
import { stackFileConfig } from "./helpers";

const problems = (policy: unknown) => {
    const r = rolloutSchema.safeParse(policy);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("rolloutSchema", () => {
    it("an empty policy is complete: every default", () => {
        assert.deepEqual(rolloutSchema.parse({}), {
            steps: [10, 25, 50, 100],
            interval: "5m",
            minRequests: 100,
            maxHolds: 3,
            thresholds: { maxErrorRatio: 0.01, maxErrorRatioVsStable: 2, errorRatioNoise: 0.001, maxP95LatencyRatio: 1.5, maxP99LatencyRatio: 2 },
            quality: { failOnDrift: true, minFeedback: 50 },
            checks: [],
        });
    });

    it("names the allowed values in every error", () => {
        assert.deepEqual(problems({ steps: [10, 10, 100] }), ["steps: must be strictly increasing, e.g. [10, 25, 50, 100]"]);
        assert.deepEqual(problems({ steps: [100] }), ["steps: needs at least one step below 100 and the final 100"]);
        assert.deepEqual(problems({ steps: [0, 50] }), ["steps.0: each step must be from 1 to 100", "steps: must end with 100 (the promotion)"]);
        assert.deepEqual(problems({ interval: "90" }), ['interval: must be a duration such as "30s", "5m" or "1h" (a whole number, then one of s, m, h)']);
        assert.deepEqual(problems({ thresholds: { maxErrorRatio: 2 } }), ["thresholds.maxErrorRatio: must be from 0 to 1 (the canary's 5xx ratio)"]);
        assert.deepEqual(problems({ thresholds: { maxP95LatencyRatio: 0 } }), ["thresholds.maxP95LatencyRatio: must be above 0 (canary p95 / stable p95)"]);
        assert.deepEqual(problems({ quality: { minAcuracy: 0.9 } }), ['quality: unknown key(s) "minAcuracy"; allowed keys are failOnDrift, maxOutlierRate, minAccuracy, minFeedback']);
        assert.deepEqual(problems({ step: [10, 100] }), [': unknown key(s) "step"; allowed keys are steps, interval, minRequests, maxHolds, prometheusUrl, thresholds, quality, checks']);
        assert.deepEqual(problems({ checks: [{ name: "x", query: "up", op: "=", threshold: 1 }] }), ['checks.0.op: must be one of "<", "<=", ">", ">="']);
        assert.deepEqual(problems({ checks: [{ name: "x", query: "up", op: "<", threshold: 1, onNoData: "skip" }] }), ['checks.0.onNoData: must be "fail" or "hold"']);
        assert.deepEqual(problems({ checks: [{ name: "x", query: 'up{pod="{{pod}}"}', op: "<", threshold: 1 }] }), [
            "checks.0.query: unknown placeholder {{pod}}; allowed placeholders are {{model}}, {{namespace}}, {{canaryRevision}}, {{stableRevision}}, {{canaryVersion}}, {{stableVersion}}, {{interval}}",
        ]);
        assert.deepEqual(problems({ checks: [{ name: "a", query: "up", op: "<", threshold: 1 }, { name: "a", query: "up", op: ">", threshold: 0 }] }), ["checks: check names must be unique"]);
    });
});

describe("modelVersionId", () => {
    it("is 12 hex digits; equal versions (key order, empty defaults, trafficPercent aside) give equal ids", () => {
        const id = modelVersionId({ storageUri: "s3://models/sklearn/iris/v2" });
        assert.match(id, modelVersionPattern);
        assert.equal(modelVersionId({ trafficPercent: 25, args: [], storageUri: "s3://models/sklearn/iris/v2", env: [] }), id);
        assert.equal(modelVersionId({ a: 1, b: { c: 2, d: 3 } }), modelVersionId({ b: { d: 3, c: 2 }, a: 1 }));
        assert.notEqual(modelVersionId({ storageUri: "s3://models/sklearn/iris/v1" }), id);
        assert.notEqual(modelVersionId({ storageUri: "s3://models/sklearn/iris/v2", runtimeVersion: "1.5.0" }), id);
    });

    it("the parsed canary (schema defaults filled in) and the same version written as stable get one id", () => {
        const raw = Object.fromEntries(Object.entries(stackFileConfig("dev")).filter(([k]) => k.startsWith("inferstack:")).map(([k, v]) => [k.slice("inferstack:".length), v]));
        const models = raw["models"] as Record<string, unknown>[];
        models[0]["canary"] = { storageUri: "s3://models/sklearn/iris/v2", trafficPercent: 40 };
        const withCanary = parsePlatformConfig(raw).models[0];
        models[0]["stable"] = { storageUri: "s3://models/sklearn/iris/v2" };
        delete models[0]["canary"];
        const tidied = parsePlatformConfig(raw).models[0];
        assert.equal(modelVersionId(withCanary.canary as Record<string, unknown>), modelVersionId(tidied.stable as Record<string, unknown>));
        assert.notEqual(modelVersionId(withCanary.stable as Record<string, unknown>), modelVersionId(withCanary.canary as Record<string, unknown>));
    });
});

/**
 * The per-model progressive-delivery policy, `models[i].rollout` in the stack config (issue #14): the traffic steps
 * `npm run rollout` walks a canary through, how long each step is observed, how much traffic it needs before it
 * is judged, and the checks that judge it (serving metrics of the canary's Knative revision against the stable one,
 * model-quality gates from the monitor for the canary's model version, and user-defined PromQL checks).
 *
 * The policy changes nothing in the render: only the rollout tool (tools/rollout/) reads it. The model schema takes
 * it as `rollout: rolloutSchema.optional()`.
 *
 * Also here (no Pulumi imports, so the monitor-facing code and the tool share it): the model-version id that tells
 * the monitor's events of the canary from the stable version's ({@link modelVersionId}).
 */
import { createHash } from "node:crypto";
import { z } from "zod";

/** A Prometheus duration such as `30s`, `5m`, `1h` (one unit; what the analysis uses as its range). */
const durationPattern = /^[1-9][0-9]*(s|m|h)$/;
const duration = z.string().regex(durationPattern, 'must be a duration such as "30s", "5m" or "1h" (a whole number, then one of s, m, h)');

const comparisons = ["<", "<=", ">", ">="] as const;
export type Comparison = (typeof comparisons)[number];

/** The placeholders a user check's query may use; the tool substitutes them before querying. */
export const checkPlaceholders = ["model", "namespace", "canaryRevision", "stableRevision", "canaryVersion", "stableVersion", "interval"] as const;

const ratio = (what: string) => z.number({ error: `must be a number (${what})` }).positive(`must be above 0 (${what})`);
const fraction = (what: string) => z.number({ error: `must be a number from 0 to 1 (${what})` }).min(0, `must be from 0 to 1 (${what})`).max(1, `must be from 0 to 1 (${what})`);

/** A strict object whose unknown-key error names the allowed keys. */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
    return z.strictObject(shape, {
        error: (iss) => (iss.code === "unrecognized_keys" ? `unknown key(s) ${iss.keys.map((k) => JSON.stringify(k)).join(", ")}; allowed keys are ${Object.keys(shape).join(", ")}` : undefined),
    });
}

/** A user-defined PromQL check, like a Flagger metric template with its threshold. */
export const userCheckSchema = strict({
    /** Shown in the progress display and the JSON report. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and '-', at most 63 characters"),
    /**
     * An instant PromQL query that returns ONE number (wrap it in sum(), max(), ...). Placeholders in double
     * braces: {{model}}, {{namespace}}, {{canaryRevision}}, {{stableRevision}}, {{canaryVersion}},
     * {{stableVersion}}, {{interval}} (the step's analysis interval, e.g. 5m).
     */
    query: z
        .string()
        .min(1, "must be a PromQL query")
        .superRefine((q, ctx) => {
            for (const m of q.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
                if (!(checkPlaceholders as readonly string[]).includes(m[1])) {
                    ctx.addIssue({ code: "custom", message: `unknown placeholder {{${m[1]}}}; allowed placeholders are ${checkPlaceholders.map((p) => `{{${p}}}`).join(", ")}` });
                }
            }
        }),
    /** The check passes when `value <op> threshold`. */
    op: z.enum(comparisons, { error: `must be one of ${comparisons.map((c) => JSON.stringify(c)).join(", ")}` }),
    threshold: z.number({ error: "must be a number" }),
    /** What to do when the query returns no sample: fail the step (default) or hold it (not enough data yet). */
    onNoData: z.enum(["fail", "hold"], { error: 'must be "fail" or "hold"' }).default("fail"),
});

export const rolloutSchema = strict({
    /**
     * Canary traffic percentages, strictly increasing, ending at 100 (the promotion). Each step below 100 is
     * analysed before the next one is applied.
     */
    steps: z
        .array(z.number({ error: "each step must be a whole number from 1 to 100" }).int("each step must be a whole number from 1 to 100").min(1, "each step must be from 1 to 100").max(100, "each step must be from 1 to 100"))
        .min(2, "needs at least one step below 100 and the final 100")
        .refine((s) => s.every((v, i) => i === 0 || v > s[i - 1]), "must be strictly increasing, e.g. [10, 25, 50, 100]")
        .refine((s) => s[s.length - 1] === 100, "must end with 100 (the promotion)")
        .default([10, 25, 50, 100]),
    /** How long each step runs before it is judged; also the range of every rate in the analysis. */
    interval: duration.default("5m"),
    /** Canary requests (over the interval) needed before a step is judged; fewer holds the step. */
    minRequests: z.number().int("must be a whole number").min(1, "must be at least 1").default(100),
    /** Consecutive holds (not enough traffic) after which the tool stops and exits "held" (rerun to resume). */
    maxHolds: z.number().int("must be a whole number").min(0, "must be 0 or more").default(3),
    /** Prometheus base URL the tool queries (a flag overrides it), e.g. http://localhost:9090 through a port-forward. */
    prometheusUrl: z.string().url("must be a URL such as http://localhost:9090").optional(),
    /** Serving checks: the canary revision against the stable one, from queue-proxy's request metric. */
    thresholds: strict({
        /** Canary 5xx ratio above which the step fails, whatever stable does. */
        maxErrorRatio: fraction("the canary's 5xx ratio").default(0.01),
        /** Canary 5xx ratio divided by stable's, above which the step fails (judged once the canary's ratio exceeds errorRatioNoise). */
        maxErrorRatioVsStable: ratio("canary 5xx ratio / stable 5xx ratio").default(2),
        /** Canary 5xx ratios at or below this are noise: the relative check passes. */
        errorRatioNoise: fraction("a 5xx ratio that never fails the relative check").default(0.001),
        /** Canary p95 latency divided by stable's, above which the step fails. */
        maxP95LatencyRatio: ratio("canary p95 / stable p95").default(1.5),
        /** Canary p99 latency divided by stable's, above which the step fails. */
        maxP99LatencyRatio: ratio("canary p99 / stable p99").default(2),
    }).default({ maxErrorRatio: 0.01, maxErrorRatioVsStable: 2, errorRatioNoise: 0.001, maxP95LatencyRatio: 1.5, maxP99LatencyRatio: 2 }),
    /**
     * Model-quality gates from the model monitor, per model version (the monitor labels its per-version metrics
     * with the `inferstack.io/model-version` annotation KServe's logger forwards). Only for monitored models;
     * unset keys are not checked.
     */
    quality: strict({
        /** Fail the step when the monitor detects input drift in the canary version's own window. */
        failOnDrift: z.boolean({ error: "must be true or false" }).default(true),
        /** Canary outlier fraction (outliers / scored instances over the interval) above which the step fails. */
        maxOutlierRate: fraction("outliers / scored instances").optional(),
        /** Canary feedback accuracy (over the monitor's feedback window) below which the step fails. */
        minAccuracy: fraction("feedback accuracy").optional(),
        /** Labels the canary's feedback window needs before minAccuracy is judged; fewer hold the step. */
        minFeedback: z.number().int("must be a whole number").min(1, "must be at least 1").default(50),
    }).default({ failOnDrift: true, minFeedback: 50 }),
    /** User-defined PromQL checks (Flagger-style metric templates with a threshold). */
    checks: z
        .array(userCheckSchema)
        .default([])
        .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, "check names must be unique"),
});

export type RolloutPolicy = z.infer<typeof rolloutSchema>;
export type UserCheck = z.infer<typeof userCheckSchema>;

/** The InferenceService annotation naming the served model version; KServe's logger forwards it (metadataAnnotations). */
export const modelVersionAnnotation = "inferstack.io/model-version";

/** What a model-version id looks like (the monitor accepts nothing else as a label value: bounded, no free text). */
export const modelVersionPattern = /^[0-9a-f]{12}$/;

/** JSON with sorted keys and without empty values, so equal versions give equal text whatever the key order or defaults. */
function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(value).sort()) {
            const v = canonical((value as Record<string, unknown>)[k]);
            if (v === undefined || (Array.isArray(v) && v.length === 0) || (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0)) continue;
            out[k] = v;
        }
        return out;
    }
    return value;
}

/**
 * The id of a model version (a `stable` or `canary` entry; `trafficPercent` is not part of it): 12 hex digits of the
 * SHA-256 of its canonical JSON. Equal versions get equal ids, so moving the canary into `stable` keeps the id.
 */
export function modelVersionId(version: Record<string, unknown>): string {
    const rest = { ...version };
    delete rest["trafficPercent"];
    return createHash("sha256").update(JSON.stringify(canonical(rest))).digest("hex").slice(0, 12);
}

/**
 * One analysis of a canary step: every check's query, value, threshold and verdict, and the step's decision:
 * `advance` (every check passed), `hold` (not enough traffic or data yet: judge again later) or `rollback` (a
 * check failed on enough data).
 */
import type { Comparison, RolloutPolicy } from "../../components/models/rolloutSchema";
import * as q from "./queries";

/** An instant query's single value (null: no sample). */
export interface PrometheusClient {
    readonly url: string;
    query(expr: string, at: Date): Promise<number | null>;
}

/** Raised when Prometheus cannot answer (unreachable, HTTP error, bad query): an operational failure. */
export class PrometheusError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PrometheusError";
    }
}

/** Prometheus's HTTP API (`/api/v1/query`), with a per-call timeout. */
export class PrometheusHttp implements PrometheusClient {
    constructor(
        readonly url: string,
        private readonly timeoutMs = 10_000,
    ) {}

    async query(expr: string, at: Date): Promise<number | null> {
        const u = `${this.url.replace(/\/+$/, "")}/api/v1/query?query=${encodeURIComponent(expr)}&time=${(at.getTime() / 1000).toFixed(3)}`;
        let res: Response;
        try {
            res = await fetch(u, { signal: AbortSignal.timeout(this.timeoutMs) });
        } catch (err) {
            throw new PrometheusError(`Prometheus at ${this.url} did not answer: ${(err as Error).message}`);
        }
        const text = await res.text();
        let body: { status?: string; error?: string; data?: { resultType: string; result: unknown } };
        try {
            body = JSON.parse(text);
        } catch {
            throw new PrometheusError(`Prometheus at ${this.url} answered HTTP ${res.status} with no JSON: ${text.slice(0, 200)}`);
        }
        if (res.status !== 200 || body.status !== "success" || !body.data) throw new PrometheusError(`query failed (HTTP ${res.status}): ${body.error ?? text.slice(0, 200)}; query: ${expr}`);
        const { resultType, result } = body.data;
        if (resultType === "scalar") return Number((result as [number, string])[1]);
        if (resultType !== "vector") throw new PrometheusError(`expected one number, got a ${resultType}; query: ${expr}`);
        const samples = result as { value: [number, string] }[];
        if (samples.length === 0) return null;
        if (samples.length > 1) throw new PrometheusError(`expected one number, got ${samples.length} series (aggregate the query, e.g. with sum()); query: ${expr}`);
        return Number(samples[0].value[1]);
    }
}

export type CheckStatus = "pass" | "fail" | "hold" | "skipped";
export type CheckKind = "traffic" | "serving" | "quality" | "user";

export interface CheckResult {
    name: string;
    kind: CheckKind;
    /** The measured value (null: no data, or not a finite number). */
    value: number | null;
    op: Comparison;
    threshold: number;
    status: CheckStatus;
    /** Why, in a few words (shown next to holds, fails and skips). */
    detail?: string;
    /** The PromQL behind the value (a ratio check lists both of its queries). */
    queries: string[];
}

export type Decision = "advance" | "hold" | "rollback";

export interface StepAnalysis {
    at: string;
    trafficPercent: number;
    interval: string;
    canaryRevision: string;
    stableRevision: string;
    canaryVersion: string;
    stableVersion: string;
    decision: Decision;
    /** One line: what decided. */
    reason: string;
    checks: CheckResult[];
}

export interface AnalysisTarget {
    model: string;
    namespace: string;
    trafficPercent: number;
    canaryRevision: string;
    stableRevision: string;
    canaryVersion: string;
    stableVersion: string;
    /** Whether the model monitor watches this model (quality gates need it). */
    monitored: boolean;
}

const compare = (v: number, op: Comparison, t: number) => (op === "<" ? v < t : op === "<=" ? v <= t : op === ">" ? v > t : v >= t);
const finite = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

/** Every query the analysis of `target` would run (for tests and --dry-run listings). */
export function analysisQueries(target: AnalysisTarget, policy: RolloutPolicy): string[] {
    const { model, namespace, canaryRevision: c, stableRevision: s, canaryVersion: cv } = target;
    const i = policy.interval;
    const out = [
        q.requestCount(model, namespace, c, i),
        q.requestCount(model, namespace, s, i),
        q.errorRatio(model, namespace, c, i),
        q.errorRatio(model, namespace, s, i),
        q.latencyQuantile(0.95, model, namespace, c, i),
        q.latencyQuantile(0.95, model, namespace, s, i),
        q.latencyQuantile(0.99, model, namespace, c, i),
        q.latencyQuantile(0.99, model, namespace, s, i),
    ];
    if (target.monitored && target.canaryVersion !== target.stableVersion) {
        out.push(q.versionDrift(model, cv), q.versionScored(model, cv, i), q.versionOutlierRate(model, cv, i), q.versionFeedbackCount(model, cv), q.versionAccuracy(model, cv));
    }
    for (const uc of policy.checks) out.push(q.expandPlaceholders(uc.query, placeholders(target, policy)));
    return out;
}

function placeholders(t: AnalysisTarget, policy: RolloutPolicy): q.PlaceholderValues {
    return { model: t.model, namespace: t.namespace, canaryRevision: t.canaryRevision, stableRevision: t.stableRevision, canaryVersion: t.canaryVersion, stableVersion: t.stableVersion, interval: policy.interval };
}

/** Runs every check of one step at time `at` and decides. */
export async function analyseStep(prom: PrometheusClient, target: AnalysisTarget, policy: RolloutPolicy, at: Date): Promise<StepAnalysis> {
    const { model, namespace, canaryRevision: c, stableRevision: s, canaryVersion: cv } = target;
    const i = policy.interval;
    const t = policy.thresholds;
    const get = async (expr: string) => finite(await prom.query(expr, at));
    const checks: CheckResult[] = [];
    const add = (r: CheckResult) => checks.push(r);
    const judge = (name: string, kind: CheckKind, value: number | null, op: Comparison, threshold: number, queries: string[], noData: { status: CheckStatus; detail: string }, detail?: string): CheckResult => {
        if (value === null) return { name, kind, value, op, threshold, status: noData.status, detail: noData.detail, queries };
        return { name, kind, value, op, threshold, status: compare(value, op, threshold) ? "pass" : "fail", detail, queries };
    };

    // Traffic: enough canary requests to judge, and a stable revision to compare with.
    const [qc, qs] = [q.requestCount(model, namespace, c, i), q.requestCount(model, namespace, s, i)];
    const [canaryRequests, stableRequests] = await Promise.all([get(qc), get(qs)]);
    const trafficCheck = judge("canary-requests", "traffic", canaryRequests ?? 0, ">=", policy.minRequests, [qc], { status: "hold", detail: "" });
    if (trafficCheck.status === "fail") Object.assign(trafficCheck, { status: "hold", detail: `fewer than ${policy.minRequests} canary requests in ${i}` });
    add(trafficCheck);
    const stableCheck = judge("stable-requests", "traffic", stableRequests ?? 0, ">=", 1, [qs], { status: "hold", detail: "" });
    if (stableCheck.status === "fail") Object.assign(stableCheck, { status: "hold", detail: `the stable revision served nothing in ${i}: nothing to compare with` });
    add(stableCheck);

    // Serving: errors and latency, canary against stable.
    const [qec, qes] = [q.errorRatio(model, namespace, c, i), q.errorRatio(model, namespace, s, i)];
    const [errC, errS] = await Promise.all([get(qec), get(qes)]);
    add(judge("error-ratio", "serving", errC, "<=", t.maxErrorRatio, [qec], { status: "hold", detail: "no canary requests" }));
    if (errC !== null && errC <= t.errorRatioNoise) {
        add({ name: "error-ratio-vs-stable", kind: "serving", value: errS !== null && errS > 0 ? errC / errS : null, op: "<=", threshold: t.maxErrorRatioVsStable, status: "pass", detail: `canary 5xx ratio ${fmt(errC)} is at or below the noise level ${t.errorRatioNoise}`, queries: [qec, qes] });
    } else if (errC !== null && errS === 0) {
        add({ name: "error-ratio-vs-stable", kind: "serving", value: null, op: "<=", threshold: t.maxErrorRatioVsStable, status: "fail", detail: `canary 5xx ratio ${fmt(errC)}, stable has none`, queries: [qec, qes] });
    } else {
        const v = errC !== null && errS !== null ? errC / errS : null;
        add(judge("error-ratio-vs-stable", "serving", v, "<=", t.maxErrorRatioVsStable, [qec, qes], { status: "hold", detail: "no 5xx ratio for one of the revisions" }, v !== null ? `canary ${fmt(errC!)} / stable ${fmt(errS!)}` : undefined));
    }
    for (const [quantile, name, max] of [
        [0.95, "p95-latency-ratio", t.maxP95LatencyRatio],
        [0.99, "p99-latency-ratio", t.maxP99LatencyRatio],
    ] as const) {
        const [lc, ls] = [q.latencyQuantile(quantile, model, namespace, c, i), q.latencyQuantile(quantile, model, namespace, s, i)];
        const [vc, vs] = await Promise.all([get(lc), get(ls)]);
        const v = vc !== null && vs !== null && vs > 0 ? vc / vs : null;
        add(judge(name, "serving", v, "<=", max, [lc, ls], { status: "hold", detail: "no latency histogram for one of the revisions" }, v !== null ? `canary ${fmt(vc!)} s / stable ${fmt(vs!)} s` : undefined));
    }

    // Quality: the monitor's per-version metrics for the canary's version.
    const qp = policy.quality;
    if (!target.monitored) {
        if (qp.maxOutlierRate !== undefined || qp.minAccuracy !== undefined) {
            add({ name: "quality", kind: "quality", value: null, op: ">=", threshold: 0, status: "skipped", detail: "the model is not monitored (no monitoring block): quality gates not judged", queries: [] });
        }
    } else if (cv === target.stableVersion) {
        add({ name: "quality", kind: "quality", value: null, op: ">=", threshold: 0, status: "skipped", detail: "canary and stable are the same model version: the monitor cannot tell them apart", queries: [] });
    } else {
        if (qp.failOnDrift) {
            const qd = q.versionDrift(model, cv);
            add(judge("canary-drift", "quality", await get(qd), "<", 1, [qd], { status: "hold", detail: "the monitor has not checked the canary version's window yet" }));
        }
        if (qp.maxOutlierRate !== undefined) {
            const qo = q.versionOutlierRate(model, cv, i);
            add(judge("canary-outlier-rate", "quality", await get(qo), "<=", qp.maxOutlierRate, [qo], { status: "hold", detail: "no canary instances scored by the monitor yet" }));
        }
        if (qp.minAccuracy !== undefined) {
            const [qn, qa] = [q.versionFeedbackCount(model, cv), q.versionAccuracy(model, cv)];
            const n = await get(qn);
            if (n === null || n < qp.minFeedback) {
                add({ name: "canary-accuracy", kind: "quality", value: null, op: ">=", threshold: qp.minAccuracy, status: "hold", detail: `${n ?? 0} labels in the canary's feedback window, ${qp.minFeedback} needed`, queries: [qn, qa] });
            } else {
                add(judge("canary-accuracy", "quality", await get(qa), ">=", qp.minAccuracy, [qn, qa], { status: "hold", detail: "no accuracy yet" }, `over ${n} labels`));
            }
        }
    }

    // User-defined checks.
    for (const uc of policy.checks) {
        const expr = q.expandPlaceholders(uc.query, placeholders(target, policy));
        add(judge(uc.name, "user", await get(expr), uc.op, uc.threshold, [expr], uc.onNoData === "hold" ? { status: "hold", detail: "no data" } : { status: "fail", detail: "the query returned no data" }));
    }

    // Decide: not enough traffic holds everything; otherwise any failure rolls back, any hold waits.
    let decision: Decision;
    let reason: string;
    if (trafficCheck.status === "hold") {
        for (const r of checks) if (r !== trafficCheck && r.status !== "skipped") Object.assign(r, { status: "skipped", detail: `not judged: ${trafficCheck.detail}` });
        decision = "hold";
        reason = trafficCheck.detail!;
    } else {
        const failed = checks.filter((r) => r.status === "fail");
        const held = checks.filter((r) => r.status === "hold");
        if (failed.length > 0) {
            decision = "rollback";
            reason = `failed: ${failed.map((r) => r.name).join(", ")}`;
        } else if (held.length > 0) {
            decision = "hold";
            reason = `waiting for data: ${held.map((r) => r.name).join(", ")}`;
        } else {
            decision = "advance";
            reason = `all ${checks.filter((r) => r.status === "pass").length} checks passed`;
        }
    }
    return { at: at.toISOString(), trafficPercent: target.trafficPercent, interval: i, canaryRevision: c, stableRevision: s, canaryVersion: cv, stableVersion: target.stableVersion, decision, reason, checks };
}

/** A number for people: at most 4 significant digits. */
export function fmt(v: number | null): string {
    if (v === null) return "n/a";
    if (v === 0) return "0";
    return Math.abs(v) >= 1000 ? v.toFixed(0) : String(Number(v.toPrecision(4)));
}

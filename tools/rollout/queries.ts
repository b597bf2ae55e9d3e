/**
 * The PromQL the rollout analysis runs. Serving checks read queue-proxy's request histogram per Knative revision
 * (the labels the platform's `knative-queue-proxy` PodMonitor copies from the revision pod: see
 * components/monitoring/modelAlertRules.ts, shared here); quality checks read the model monitor's per-version metrics
 * (services/monitor/src/metrics.ts, `version` = the model-version id KServe's logger forwards).
 */
import { predictorSelector, revisionLabels, revisionRequestMetric } from "../../components/monitoring/modelAlertRules";

/** The monitor's per-version metrics (services/monitor/src/metrics.ts). */
export const versionMetrics = {
    driftDetected: "inferstack_version_drift_detected",
    scoredInstances: "inferstack_version_scored_instances_total",
    outlierInstances: "inferstack_version_outlier_instances_total",
    feedbackWindowAccuracy: "inferstack_version_feedback_window_accuracy",
    feedbackWindowCount: "inferstack_version_feedback_window_count",
} as const;

const rev = revisionLabels["serving.knative.dev/revision"];

/** Escapes a value for a PromQL double-quoted string. */
export function promString(v: string): string {
    return JSON.stringify(v);
}

function revisionSelector(model: string, namespace: string, revision: string, extra = ""): string {
    return `{${predictorSelector(model, namespace)}, ${rev}=${promString(revision)}${extra}}`;
}

/** Requests the revision served over the interval. */
export function requestCount(model: string, namespace: string, revision: string, interval: string): string {
    return `sum(increase(${revisionRequestMetric}_count${revisionSelector(model, namespace, revision)}[${interval}]))`;
}

/** The revision's 5xx ratio over the interval (0 when it has requests but no 5xx series). */
export function errorRatio(model: string, namespace: string, revision: string, interval: string): string {
    const errors = `sum(rate(${revisionRequestMetric}_count${revisionSelector(model, namespace, revision, ', http_response_status_code=~"5.."')}[${interval}]))`;
    const total = `sum(rate(${revisionRequestMetric}_count${revisionSelector(model, namespace, revision)}[${interval}]))`;
    return `(${errors} or vector(0)) / ${total}`;
}

/** A latency quantile (seconds) of the revision over the interval. */
export function latencyQuantile(q: number, model: string, namespace: string, revision: string, interval: string): string {
    return `histogram_quantile(${q}, sum by (le) (rate(${revisionRequestMetric}_bucket${revisionSelector(model, namespace, revision)}[${interval}])))`;
}

function versionSelector(model: string, version: string): string {
    return `{model=${promString(model)}, version=${promString(version)}}`;
}

/** 1 while the monitor's last drift check of this version's own window found drift. */
export function versionDrift(model: string, version: string): string {
    return `max(${versionMetrics.driftDetected}${versionSelector(model, version)})`;
}

/** Scored instances of this version over the interval. */
export function versionScored(model: string, version: string, interval: string): string {
    return `sum(increase(${versionMetrics.scoredInstances}${versionSelector(model, version)}[${interval}]))`;
}

/** Outliers / scored instances of this version over the interval. */
export function versionOutlierRate(model: string, version: string, interval: string): string {
    return `(sum(increase(${versionMetrics.outlierInstances}${versionSelector(model, version)}[${interval}])) or vector(0)) / ${versionScored(model, version, interval)}`;
}

/** Feedback accuracy of this version over the monitor's feedback window. */
export function versionAccuracy(model: string, version: string): string {
    return `min(${versionMetrics.feedbackWindowAccuracy}${versionSelector(model, version)})`;
}

/** Labels in this version's feedback window. */
export function versionFeedbackCount(model: string, version: string): string {
    return `min(${versionMetrics.feedbackWindowCount}${versionSelector(model, version)})`;
}

/** The values a user check's placeholders take. */
export interface PlaceholderValues {
    model: string;
    namespace: string;
    canaryRevision: string;
    stableRevision: string;
    canaryVersion: string;
    stableVersion: string;
    interval: string;
}

/** Substitutes {{placeholder}}s (the schema allows only known ones). */
export function expandPlaceholders(query: string, values: PlaceholderValues): string {
    return query.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, name: string) => (name in values ? values[name as keyof PlaceholderValues] : whole));
}

/**
 * Metric names and the label names of their matchers in a PromQL expression built here (every selector has braces):
 * what the tests check against the metric catalogue.
 */
export function selectorsIn(expr: string): { metric: string; labels: string[] }[] {
    const out: { metric: string; labels: string[] }[] = [];
    // Drop string literals first, so values never look like selectors.
    const text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const m of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)) {
        const labels = [...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((x) => x[1]);
        out.push({ metric: m[1], labels });
    }
    return out;
}

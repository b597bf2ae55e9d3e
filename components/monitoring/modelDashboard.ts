import { errorRatioByRevision, latencyQuantileByRevision, requestRateByRevision, revisionLabels } from "./modelAlertRules";

/**
 * A Grafana dashboard for one model (JSON model, schemaVersion 39): traffic split by revision, latency, errors,
 * drift p-values, outlier rate and feedback metrics. Pure, so the tests can read every panel's queries. The
 * serving panels use the same per-revision queries as the canary alerts (Knative 1.23's queue-proxy histogram,
 * with the revision labels the queue-proxy PodMonitor adds).
 */
export interface ModelDashboardSettings {
    /** InferenceService name. */
    model: string;
    /** Namespace of the InferenceService. */
    namespace: string;
    /** Add the adversarial-input detector's panels (when the detector watches this model). */
    adversarial?: boolean;
}

interface Panel {
    title: string;
    unit: string;
    targets: { expr: string; legend: string }[];
}

export function modelDashboard(s: ModelDashboardSettings) {
    const m = `model="${s.model}"`;
    const rev = revisionLabels["serving.knative.dev/revision"];
    const panels: Panel[] = [
        { title: "Traffic by revision (canary split)", unit: "reqps", targets: [{ expr: requestRateByRevision(s.model, s.namespace, "2m"), legend: `{{${rev}}}` }] },
        {
            title: "Latency p50 / p95 by revision",
            unit: "s",
            targets: [
                { expr: latencyQuantileByRevision(0.5, s.model, s.namespace, "5m"), legend: `p50 {{${rev}}}` },
                { expr: latencyQuantileByRevision(0.95, s.model, s.namespace, "5m"), legend: `p95 {{${rev}}}` },
            ],
        },
        {
            title: "Error ratio (5xx) by revision",
            unit: "percentunit",
            targets: [{ expr: errorRatioByRevision(s.model, s.namespace, "5m"), legend: `{{${rev}}}` }],
        },
        { title: "Drift p-value by feature (corrected)", unit: "none", targets: [{ expr: `inferstack_drift_p_value{${m}}`, legend: "{{feature}}" }] },
        { title: "Drift detected", unit: "bool", targets: [{ expr: `max(inferstack_drift_detected{${m}})`, legend: "drift" }] },
        {
            title: "Outlier rate",
            unit: "percentunit",
            targets: [{ expr: `sum(rate(inferstack_outlier_instances_total{${m}}[5m])) / sum(rate(inferstack_scored_instances_total{${m}}[5m]))`, legend: "outliers" }],
        },
        {
            title: "Feedback metrics",
            unit: "none",
            targets: [
                ...["accuracy", "rmse"].map((k) => ({ expr: `inferstack_feedback_window_${k}{${m}}`, legend: `${k} (recent window)` })),
                ...["accuracy", "precision", "recall", "f1", "mae", "rmse"].map((k) => ({ expr: `inferstack_feedback_${k}{${m}}`, legend: `${k} (since start)` })),
            ],
        },
        {
            title: "Monitor events and errors",
            unit: "ops",
            targets: [
                { expr: `sum by (type) (rate(inferstack_monitor_events_total{${m}}[5m]))`, legend: "{{type}}" },
                { expr: `sum by (reason) (rate(inferstack_monitor_event_errors_total{${m}}[5m]))`, legend: "error {{reason}}" },
            ],
        },
        ...(s.adversarial ? adversarialPanels(s.model) : []),
    ];
    return dashboardJson(`inferstack / ${s.namespace} / ${s.model}`, `inferstack-${s.namespace}-${s.model}`, ["inferstack", "model"], panels);
}

/**
 * Panels of the adversarial-input detector (services/explainer, feature squeezing): the score distribution of the
 * sampled instances, the flagged rate, and the detector's events by outcome and its errors.
 */
export function adversarialPanels(model: string): Panel[] {
    const m = `model="${model}"`;
    return [
        {
            title: "Adversarial score (feature squeezing) p50 / p95 / p99 and threshold",
            unit: "none",
            targets: [
                ...[0.5, 0.95, 0.99].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le) (rate(inferstack_adversarial_score_bucket{${m}}[5m])))`, legend: `p${Math.round(q * 100)}` })),
                { expr: `max(inferstack_adversarial_threshold{${m}})`, legend: "threshold" },
            ],
        },
        {
            title: "Adversarial flagged rate",
            unit: "percentunit",
            targets: [{ expr: `sum(rate(inferstack_adversarial_flagged_instances_total{${m}}[5m])) / sum(rate(inferstack_adversarial_scored_instances_total{${m}}[5m]))`, legend: "flagged" }],
        },
        {
            title: "Adversarial detector events and errors",
            unit: "ops",
            targets: [
                { expr: `sum by (outcome) (rate(inferstack_adversarial_events_total{${m}}[5m]))`, legend: "{{outcome}}" },
                { expr: `sum by (reason) (rate(inferstack_adversarial_event_errors_total{${m}}[5m]))`, legend: "error {{reason}}" },
            ],
        },
    ];
}

/** A dashboard of the adversarial detector's panels alone, for a model whose monitor dashboard does not carry them. */
export function adversarialDashboard(s: ModelDashboardSettings) {
    return dashboardJson(`inferstack / ${s.namespace} / ${s.model} / adversarial inputs`, `inferstack-adv-${s.namespace}-${s.model}`, ["inferstack", "model", "adversarial"], adversarialPanels(s.model));
}

function dashboardJson(title: string, uid: string, tags: string[], panels: Panel[]) {
    return {
        title,
        uid: uid.slice(0, 40),
        tags,
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        refresh: "30s",
        panels: panels.map((p, i) => ({
            id: i + 1,
            type: "timeseries",
            title: p.title,
            datasource: { type: "prometheus", uid: "prometheus" },
            gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
            fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
            targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), expr: t.expr, legendFormat: t.legend })),
        })),
    };
}

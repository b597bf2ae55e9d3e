/**
 * A Grafana dashboard for one model (JSON model, schemaVersion 39): traffic split by revision, latency, errors,
 * drift p-values, outlier rate and feedback metrics. Pure, so the tests can read every panel's queries.
 */
export interface ModelDashboardSettings {
    /** InferenceService name. */
    model: string;
    /** Namespace of the InferenceService. */
    namespace: string;
}

interface Panel {
    title: string;
    unit: string;
    targets: { expr: string; legend: string }[];
}

export function modelDashboard(s: ModelDashboardSettings) {
    const m = `model="${s.model}"`;
    const rev = `namespace_name="${s.namespace}", service_name="${s.model}-predictor"`;
    const panels: Panel[] = [
        { title: "Traffic by revision (canary split)", unit: "reqps", targets: [{ expr: `sum by (revision_name) (rate(revision_request_count{${rev}}[1m]))`, legend: "{{revision_name}}" }] },
        {
            title: "Latency p50 / p95 by revision",
            unit: "ms",
            targets: [
                { expr: `histogram_quantile(0.5, sum by (revision_name, le) (rate(revision_request_latencies_bucket{${rev}}[5m])))`, legend: "p50 {{revision_name}}" },
                { expr: `histogram_quantile(0.95, sum by (revision_name, le) (rate(revision_request_latencies_bucket{${rev}}[5m])))`, legend: "p95 {{revision_name}}" },
            ],
        },
        {
            title: "Error ratio (5xx) by revision",
            unit: "percentunit",
            targets: [{ expr: `sum by (revision_name) (rate(revision_request_count{${rev}, response_code_class="5xx"}[5m])) / sum by (revision_name) (rate(revision_request_count{${rev}}[5m]))`, legend: "{{revision_name}}" }],
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
            targets: ["accuracy", "precision", "recall", "f1", "mae", "rmse"].map((k) => ({ expr: `inferstack_feedback_${k}{${m}}`, legend: k })),
        },
        {
            title: "Monitor events and errors",
            unit: "ops",
            targets: [
                { expr: `sum by (type) (rate(inferstack_monitor_events_total{${m}}[5m]))`, legend: "{{type}}" },
                { expr: `sum by (reason) (rate(inferstack_monitor_event_errors_total{${m}}[5m]))`, legend: "error {{reason}}" },
            ],
        },
    ];
    return {
        title: `inferstack / ${s.namespace} / ${s.model}`,
        uid: `inferstack-${s.namespace}-${s.model}`.slice(0, 40),
        tags: ["inferstack", "model"],
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

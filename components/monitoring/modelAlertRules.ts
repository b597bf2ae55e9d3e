/**
 * Alert rules of one model, as a PrometheusRule spec. Every model gets the serving rules (canary worse than
 * stable, not ready); a monitored model also gets the monitor's (drift, outliers, feedback). Pure (no resources), so the tests can check
 * every rule group with `promtool check rules`.
 *
 * Metric sources: the model monitor (`inferstack_*`, see services/monitor), Knative's queue-proxy
 * (`revision_request_*`, one series per revision: the canary is the newest revision while one runs), and
 * kube-state-metrics' custom-resource metrics for the InferenceService's Ready condition.
 */
export interface ModelAlertSettings {
    /** InferenceService name. */
    model: string;
    /** Namespace of the InferenceService. */
    namespace: string;
    /** p95 latency (seconds) above which a revision is slow. */
    maxP95LatencySeconds: number;
    /** Thresholds of the model monitor's rules; absent for a model without a monitor. */
    monitor?: MonitorAlertSettings;
}

/** Thresholds of the rules on the model monitor's metrics. */
export interface MonitorAlertSettings {
    /** classification models get an accuracy rule; regression models an error (RMSE) rule. */
    task: "classification" | "regression";
    /** Fraction of outlier instances above which to alert. */
    outlierRate: number;
    /** Feedback accuracy below which to alert (classification). */
    minAccuracy: number;
}

/** Name of the kube-state-metrics metric for InferenceService conditions (configured by Monitoring). */
export const isvcConditionMetric = "kube_customresource_inferenceservice_status_condition";

export function modelAlertRules(s: ModelAlertSettings) {
    const rev = `namespace_name="${s.namespace}", service_name="${s.model}-predictor"`;
    const labels = (severity: string) => ({ severity, model: s.model, namespace: s.namespace });
    const errorRatioByRevision = `sum by (revision_name) (rate(revision_request_count{${rev}, response_code_class="5xx"}[5m])) / sum by (revision_name) (rate(revision_request_count{${rev}}[5m]))`;
    const p95ByRevision = `histogram_quantile(0.95, sum by (revision_name, le) (rate(revision_request_latencies_bucket{${rev}}[5m])))`;
    const monitorRules = s.monitor ? monitorAlertRules(s.model, s.monitor, labels) : [];
    const rules = [
        ...monitorRules,
        {
            alert: "InferstackCanaryErrorRateWorse",
            expr: `(max(${errorRatioByRevision}) > 2 * min(${errorRatioByRevision})) and (max(${errorRatioByRevision}) > 0.01)`,
            for: "5m",
            labels: labels("critical"),
            annotations: {
                summary: `A revision of model ${s.model} fails far more often than the other`,
                description: `While a canary runs, one revision's 5xx ratio is over twice the other's and above 1%. Roll back with canary.trafficPercent = 0 (see README).`,
            },
        },
        {
            alert: "InferstackCanaryLatencyWorse",
            expr: `(max(${p95ByRevision}) > 1.5 * min(${p95ByRevision})) and (max(${p95ByRevision}) > ${s.maxP95LatencySeconds * 1000})`,
            for: "10m",
            labels: labels("warning"),
            annotations: {
                summary: `A revision of model ${s.model} is much slower than the other`,
                description: `One revision's p95 latency is 1.5x the other's and above ${s.maxP95LatencySeconds}s.`,
            },
        },
        {
            alert: "InferstackModelNotReady",
            expr: `max(${isvcConditionMetric}{name="${s.model}", namespace="${s.namespace}", type="Ready"}) == 0`,
            for: "10m",
            labels: labels("critical"),
            annotations: {
                summary: `InferenceService ${s.namespace}/${s.model} is not Ready`,
                description: `kubectl describe inferenceservice -n ${s.namespace} ${s.model} tells why (storage initializer, image, resources).`,
            },
        },
    ];
    return { groups: [{ name: `inferstack-model-${s.model}`, rules }] };
}

/** The rules on the model monitor's metrics: drift, outlier rate, and accuracy (or error) from feedback. */
function monitorAlertRules(model: string, t: MonitorAlertSettings, labels: (severity: string) => Record<string, string>) {
    const m = `model="${model}"`;
    return [
        {
            alert: "InferstackModelDriftDetected",
            expr: `max(inferstack_drift_detected{${m}}) == 1`,
            for: "10m",
            labels: labels("warning"),
            annotations: {
                summary: `Input drift on model ${model}`,
                description: `The monitor's two-sample tests reject "same distribution" for at least one feature of ${model} (see inferstack_drift_p_value by feature). Check upstream data, then retrain or refresh the reference sample.`,
            },
        },
        {
            alert: "InferstackModelOutlierRateHigh",
            expr: `sum(rate(inferstack_outlier_instances_total{${m}}[10m])) / sum(rate(inferstack_scored_instances_total{${m}}[10m])) > ${t.outlierRate}`,
            for: "10m",
            labels: labels("warning"),
            annotations: {
                summary: `Outlier rate above ${t.outlierRate * 100}% on model ${model}`,
                description: `More than ${t.outlierRate * 100}% of the instances sent to ${model} lie beyond the reference sample's outlier threshold.`,
            },
        },
        t.task === "classification"
            ? {
                  alert: "InferstackModelAccuracyLow",
                  expr: `min(inferstack_feedback_accuracy{${m}}) < ${t.minAccuracy} and on() sum(inferstack_feedback_total{${m}}) >= 50`,
                  for: "15m",
                  labels: labels("critical"),
                  annotations: {
                      summary: `Feedback accuracy of model ${model} below ${t.minAccuracy}`,
                      description: `Accuracy computed from the labels sent to /feedback is {{ $value }} (threshold ${t.minAccuracy}, at least 50 labels).`,
                  },
              }
            : {
                  alert: "InferstackModelErrorHigh",
                  expr: `increase(inferstack_feedback_total{${m}}[1h]) > 0 and on() min(inferstack_feedback_rmse{${m}}) > 2 * min_over_time(inferstack_feedback_rmse{${m}}[7d])`,
                  for: "15m",
                  labels: labels("critical"),
                  annotations: {
                      summary: `Feedback RMSE of model ${model} doubled`,
                      description: `The RMSE computed from the labels sent to /feedback is more than twice its lowest value over the last 7 days.`,
                  },
              },
    ];
}

/**
 * Alert rules of one model, as a PrometheusRule spec. Every model gets the serving rules (canary worse than
 * stable, not ready); a monitored model also gets the monitor's (drift, outliers, feedback). Pure (no resources), so the tests can check
 * every rule group with `promtool check rules` and `promtool test rules`.
 *
 * Metric sources (each name and label is listed, with its upstream file, in test/upstream/metrics/catalogue.json):
 * - the model monitor (`inferstack_*`, services/monitor);
 * - Knative 1.23's queue-proxy: the OpenTelemetry histogram `kn.serving.invocation.duration` (seconds, attribute
 *   `http.response.status_code`), exported to Prometheus as `kn_serving_invocation_duration_seconds_*`. The
 *   revision is only a resource attribute there (in `target_info`), so the `knative-queue-proxy` PodMonitor copies
 *   the pod's `serving.knative.dev/{revision,service,configuration}` labels onto every series as
 *   `kn_revision_name`, `kn_service_name` and `kn_configuration_name` (see {@link revisionLabels}). While a canary
 *   runs, the model's predictor has two revisions with traffic, compared here per revision;
 * - kube-state-metrics' custom-resource metrics for the InferenceService's Ready condition.
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

/**
 * Name of the kube-state-metrics metric for InferenceService conditions: kube-state-metrics prefixes every
 * custom-resource metric with `kube_customresource_` unless the resource sets `metricNamePrefix` (Monitoring
 * configures `inferenceservice_status_condition` and no prefix).
 */
export const isvcConditionMetric = "kube_customresource_inferenceservice_status_condition";

/** Knative's request metric (queue-proxy, OpenTelemetry histogram in seconds) as Prometheus names it. */
export const revisionRequestMetric = "kn_serving_invocation_duration_seconds";

/**
 * Series labels the queue-proxy PodMonitor adds from the revision pod's labels (Knative sets them on every
 * revision pod), keyed by the pod label they come from.
 */
export const revisionLabels = {
    "serving.knative.dev/revision": "kn_revision_name",
    "serving.knative.dev/service": "kn_service_name",
    "serving.knative.dev/configuration": "kn_configuration_name",
} as const;

/** Labels sent to /feedback that the windowed feedback rules need before they judge (fewer are too noisy). */
export const minFeedbackLabels = 50;

/** PromQL selector of one model's predictor revisions (KServe names the Knative Service `<isvc>-predictor`). */
export function predictorSelector(model: string, namespace: string): string {
    return `namespace="${namespace}", ${revisionLabels["serving.knative.dev/service"]}="${model}-predictor"`;
}

/**
 * 5xx ratio per revision over `window`. A revision without any 5xx has no 5xx series; `or ... * 0` gives it a 0
 * so the stable revision still counts in the comparison.
 */
export function errorRatioByRevision(model: string, namespace: string, window: string): string {
    const sel = predictorSelector(model, namespace);
    const rev = revisionLabels["serving.knative.dev/revision"];
    const total = `sum by (${rev}) (rate(${revisionRequestMetric}_count{${sel}}[${window}]))`;
    const errors = `sum by (${rev}) (rate(${revisionRequestMetric}_count{${sel}, http_response_status_code=~"5.."}[${window}]))`;
    return `((${errors}) or (${total} * 0)) / ${total}`;
}

/** A latency quantile (seconds) per revision over `window`. */
export function latencyQuantileByRevision(q: number, model: string, namespace: string, window: string): string {
    const rev = revisionLabels["serving.knative.dev/revision"];
    return `histogram_quantile(${q}, sum by (${rev}, le) (rate(${revisionRequestMetric}_bucket{${predictorSelector(model, namespace)}}[${window}])))`;
}

/** Requests per second per revision over `window`. */
export function requestRateByRevision(model: string, namespace: string, window: string): string {
    const rev = revisionLabels["serving.knative.dev/revision"];
    return `sum by (${rev}) (rate(${revisionRequestMetric}_count{${predictorSelector(model, namespace)}}[${window}]))`;
}

export function modelAlertRules(s: ModelAlertSettings) {
    const labels = (severity: string) => ({ severity, model: s.model, namespace: s.namespace });
    const errorRatio = errorRatioByRevision(s.model, s.namespace, "5m");
    const p95 = latencyQuantileByRevision(0.95, s.model, s.namespace, "5m");
    const monitorRules = s.monitor ? monitorAlertRules(s.model, s.monitor, labels) : [];
    const rules = [
        ...monitorRules,
        {
            alert: "InferstackCanaryErrorRateWorse",
            expr: `(max(${errorRatio}) > 2 * min(${errorRatio})) and (max(${errorRatio}) > 0.01)`,
            for: "5m",
            labels: labels("critical"),
            annotations: {
                summary: `A revision of model ${s.model} fails far more often than the other`,
                description: `While a canary runs, one revision's 5xx ratio is over twice the other's and above 1%. Roll back with canary.trafficPercent = 0 (see README).`,
            },
        },
        {
            alert: "InferstackCanaryLatencyWorse",
            expr: `(max(${p95}) > 1.5 * min(${p95})) and (max(${p95}) > ${s.maxP95LatencySeconds})`,
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

/**
 * The rules on the model monitor's metrics: drift, outlier rate, and accuracy (or error) from feedback.
 *
 * The feedback rules read the monitor's windowed gauges (`inferstack_feedback_window_*`: the last labels only, so a
 * drop shows within one window rather than after all labels since start) and judge only once the window holds
 * {@link minFeedbackLabels} labels.
 */
function monitorAlertRules(model: string, t: MonitorAlertSettings, labels: (severity: string) => Record<string, string>) {
    const m = `model="${model}"`;
    const enoughLabels = `min by (model) (inferstack_feedback_window_count{${m}}) >= ${minFeedbackLabels}`;
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
                  expr: `min by (model) (inferstack_feedback_window_accuracy{${m}}) < ${t.minAccuracy} and on (model) ${enoughLabels}`,
                  for: "15m",
                  labels: labels("critical"),
                  annotations: {
                      summary: `Feedback accuracy of model ${model} below ${t.minAccuracy}`,
                      description: `Accuracy over the monitor's window of recent labels sent to /feedback is {{ $value }} (threshold ${t.minAccuracy}, at least ${minFeedbackLabels} labels in the window).`,
                  },
              }
            : {
                  // Baseline: the lowest windowed RMSE of the last 7 days among windows that held enough labels (a
                  // window of a few labels can be near 0 by chance). Recent labels must exist, so a stale window
                  // does not keep the alert up.
                  alert: "InferstackModelErrorHigh",
                  expr:
                      `min by (model) (inferstack_feedback_window_rmse{${m}}) > 2 * min by (model) (min_over_time((inferstack_feedback_window_rmse{${m}} and on (model) inferstack_feedback_window_count{${m}} >= ${minFeedbackLabels})[7d:5m]))` +
                      ` and on (model) ${enoughLabels}` +
                      ` and on (model) sum by (model) (increase(inferstack_feedback_total{${m}}[1h])) > 0`,
                  for: "15m",
                  labels: labels("critical"),
                  annotations: {
                      summary: `Feedback RMSE of model ${model} doubled`,
                      description: `The RMSE over the monitor's window of recent labels sent to /feedback is more than twice its lowest value (windows of at least ${minFeedbackLabels} labels) over the last 7 days.`,
                  },
              },
    ];
}

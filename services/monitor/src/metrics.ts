import * as prom from "prom-client";
import { Counter, Gauge, Histogram } from "prom-client";
import { createRegistry, type RegistryOptions } from "../../shared/promMetrics";

/**
 * Prometheus metrics. The names are a contract with the platform's alert rules
 * and dashboards: do not rename. Each server gets its own Registry so tests
 * (and several servers in one process) never share state.
 */
export function createMetrics(options: RegistryOptions = {}) {
  const registry = createRegistry(prom, options);
  const registers = [registry];
  return {
    registry,
    eventsTotal: new Counter({
      name: "inferstack_monitor_events_total",
      help: "CloudEvents and feedback messages processed successfully, by model and type (request|response|feedback)",
      labelNames: ["model", "type"] as const,
      registers,
    }),
    eventErrorsTotal: new Counter({
      name: "inferstack_monitor_event_errors_total",
      help: "Rejected events by model (\"unknown\" when absent) and reason",
      labelNames: ["model", "reason"] as const,
      registers,
    }),
    driftPValue: new Gauge({
      name: "inferstack_drift_p_value",
      help: "Corrected (Bonferroni or Benjamini-Hochberg) p-value of the latest per-feature drift test",
      labelNames: ["model", "feature"] as const,
      registers,
    }),
    driftDistance: new Gauge({
      name: "inferstack_drift_distance",
      help: "Latest per-feature drift distance: KS statistic D (numeric) or Cramer's V (categorical)",
      labelNames: ["model", "feature"] as const,
      registers,
    }),
    driftDetected: new Gauge({
      name: "inferstack_drift_detected",
      help: "1 if the latest drift check found drift in any feature, else 0",
      labelNames: ["model"] as const,
      registers,
    }),
    driftWindowSize: new Gauge({
      name: "inferstack_drift_window_size",
      help: "Number of request instances currently in the drift window",
      labelNames: ["model"] as const,
      registers,
    }),
    outlierScore: new Histogram({
      name: "inferstack_outlier_score",
      help: "Mahalanobis distance of scored instances from the reference distribution",
      labelNames: ["model"] as const,
      buckets: [0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 15, 20, 50, 100],
      registers,
    }),
    outlierInstancesTotal: new Counter({
      name: "inferstack_outlier_instances_total",
      help: "Instances whose outlier score exceeded the reference quantile threshold",
      labelNames: ["model"] as const,
      registers,
    }),
    scoredInstancesTotal: new Counter({
      name: "inferstack_scored_instances_total",
      help: "Instances scored by the outlier detector",
      labelNames: ["model"] as const,
      registers,
    }),
    feedbackTotal: new Counter({
      name: "inferstack_feedback_total",
      help: "Ground-truth values joined with logged predictions",
      labelNames: ["model"] as const,
      registers,
    }),
    feedbackAccuracy: new Gauge({ name: "inferstack_feedback_accuracy", help: "Cumulative accuracy (classification)", labelNames: ["model"] as const, registers }),
    feedbackPrecision: new Gauge({ name: "inferstack_feedback_precision", help: "Cumulative precision: for positiveLabel, else macro-average (classification)", labelNames: ["model"] as const, registers }),
    feedbackRecall: new Gauge({ name: "inferstack_feedback_recall", help: "Cumulative recall: for positiveLabel, else macro-average (classification)", labelNames: ["model"] as const, registers }),
    feedbackF1: new Gauge({ name: "inferstack_feedback_f1", help: "Cumulative F1: for positiveLabel, else macro-average (classification)", labelNames: ["model"] as const, registers }),
    feedbackMae: new Gauge({ name: "inferstack_feedback_mae", help: "Cumulative mean absolute error (regression)", labelNames: ["model"] as const, registers }),
    feedbackRmse: new Gauge({ name: "inferstack_feedback_rmse", help: "Cumulative root mean squared error (regression)", labelNames: ["model"] as const, registers }),
    feedbackWindowAccuracy: new Gauge({ name: "inferstack_feedback_window_accuracy", help: "Accuracy over the last feedback.windowSize labelled predictions (classification)", labelNames: ["model"] as const, registers }),
    feedbackWindowPrecision: new Gauge({ name: "inferstack_feedback_window_precision", help: "Precision over the feedback window: for positiveLabel, else macro-average over labels in the window (classification)", labelNames: ["model"] as const, registers }),
    feedbackWindowRecall: new Gauge({ name: "inferstack_feedback_window_recall", help: "Recall over the feedback window: for positiveLabel, else macro-average over labels in the window (classification)", labelNames: ["model"] as const, registers }),
    feedbackWindowF1: new Gauge({ name: "inferstack_feedback_window_f1", help: "F1 over the feedback window: for positiveLabel, else macro-average over labels in the window (classification)", labelNames: ["model"] as const, registers }),
    feedbackWindowMae: new Gauge({ name: "inferstack_feedback_window_mae", help: "Mean absolute error over the last feedback.windowSize labelled predictions (regression)", labelNames: ["model"] as const, registers }),
    feedbackWindowRmse: new Gauge({ name: "inferstack_feedback_window_rmse", help: "Root mean squared error over the last feedback.windowSize labelled predictions (regression)", labelNames: ["model"] as const, registers }),
    feedbackWindowCount: new Gauge({ name: "inferstack_feedback_window_count", help: "Labelled predictions currently in the feedback window (at most feedback.windowSize)", labelNames: ["model"] as const, registers }),
    feedbackRewardTotal: new Counter({ name: "inferstack_feedback_reward_total", help: "Sum of the rewards carried by feedback messages (Seldon feedback API or a reward field)", labelNames: ["model"] as const, registers }),
    feedbackRewardMessagesTotal: new Counter({ name: "inferstack_feedback_reward_messages_total", help: "Feedback messages that carried a reward", labelNames: ["model"] as const, registers }),
    // Per model version (the inferstack.io/model-version annotation KServe's logger forwards; see versions.ts):
    // what the rollout tool's quality gates compare. At most MONITOR_MAX_VERSIONS versions per model.
    versionDriftDetected: new Gauge({ name: "inferstack_version_drift_detected", help: "1 if the latest drift check of this model version's own window found drift, else 0", labelNames: ["model", "version"] as const, registers }),
    versionScoredInstancesTotal: new Counter({ name: "inferstack_version_scored_instances_total", help: "Instances of this model version scored by the outlier detector", labelNames: ["model", "version"] as const, registers }),
    versionOutlierInstancesTotal: new Counter({ name: "inferstack_version_outlier_instances_total", help: "Instances of this model version whose outlier score exceeded the threshold", labelNames: ["model", "version"] as const, registers }),
    versionFeedbackWindowAccuracy: new Gauge({ name: "inferstack_version_feedback_window_accuracy", help: "Accuracy over this model version's last feedback.windowSize labelled predictions (classification)", labelNames: ["model", "version"] as const, registers }),
    versionFeedbackWindowCount: new Gauge({ name: "inferstack_version_feedback_window_count", help: "Labelled predictions in this model version's feedback window", labelNames: ["model", "version"] as const, registers }),
    eventDuration: new Histogram({
      name: "inferstack_monitor_event_duration_seconds",
      help: "Time to process one event, by type (request|response|feedback)",
      labelNames: ["type"] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

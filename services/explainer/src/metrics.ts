import * as prom from "prom-client";
import { Counter, Gauge, Histogram } from "prom-client";
import { createRegistry, type RegistryOptions } from "../../shared/promMetrics";

/**
 * Prometheus metrics of both modes. The names are a contract with the platform's alert rules and dashboards
 * (components/monitoring/adversarialAlertRules.ts, modelDashboard.ts, test/upstream/metrics/catalogue.json): do
 * not rename. Label values are bounded: `model` is a configured model (or "unknown"), `outcome`/`reason` a closed set.
 */
export function createExplainerMetrics(options: RegistryOptions = {}) {
  const reg = createRegistry(prom, options);
  const registers = [reg];
  return {
    registry: reg,
    requests: new Counter({
      name: "inferstack_explainer_requests_total",
      help: "Explain requests by model and outcome (ok, or the error reason)",
      labelNames: ["model", "outcome"] as const,
      registers,
    }),
    duration: new Histogram({
      name: "inferstack_explainer_duration_seconds",
      help: "Time to answer one explain request successfully",
      labelNames: ["model"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    predictorCalls: new Counter({
      name: "inferstack_explainer_predictor_calls_total",
      help: "Predictor calls made for explanations",
      labelNames: ["model"] as const,
      registers,
    }),
    predictorRows: new Counter({
      name: "inferstack_explainer_predictor_rows_total",
      help: "Rows (coalition x background samples) sent to the predictor for explanations",
      labelNames: ["model"] as const,
      registers,
    }),
  };
}
export type ExplainerMetrics = ReturnType<typeof createExplainerMetrics>;

export function createDetectorMetrics(options: RegistryOptions = {}) {
  const reg = createRegistry(prom, options);
  const registers = [reg];
  return {
    registry: reg,
    events: new Counter({
      name: "inferstack_adversarial_events_total",
      help: "Request events handled, by model and outcome: scored, sampled_out, own (the platform's own predictor calls), metadata",
      labelNames: ["model", "outcome"] as const,
      registers,
    }),
    errors: new Counter({
      name: "inferstack_adversarial_event_errors_total",
      help: "Rejected or failed events by model (\"unknown\" when not configured) and reason",
      labelNames: ["model", "reason"] as const,
      registers,
    }),
    score: new Histogram({
      name: "inferstack_adversarial_score",
      help: "Feature-squeezing score of scored instances: max over squeezers of the L1 distance between the predictions",
      labelNames: ["model"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2],
      registers,
    }),
    scored: new Counter({
      name: "inferstack_adversarial_scored_instances_total",
      help: "Instances scored by the feature-squeezing detector",
      labelNames: ["model"] as const,
      registers,
    }),
    threshold: new Gauge({
      name: "inferstack_adversarial_threshold",
      help: "Score above which an instance is flagged: configured, or calibrated on the reference at start",
      labelNames: ["model"] as const,
      registers,
    }),
    flagged: new Counter({
      name: "inferstack_adversarial_flagged_instances_total",
      help: "Scored instances whose score exceeded the model's threshold",
      labelNames: ["model"] as const,
      registers,
    }),
  };
}
export type DetectorMetrics = ReturnType<typeof createDetectorMetrics>;

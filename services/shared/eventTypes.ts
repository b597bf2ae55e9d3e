/**
 * The CloudEvent types the monitor (and the adversarial detector, for requests) takes. Shared with the platform
 * (components/monitoring/modelMonitor.ts and adversarialDetector.ts import this file for their Triggers' filters), so
 * the Triggers and the services cannot disagree. No imports: the root project compiles this file too.
 */
export const EVENT_TYPES = {
  /** KServe's logger, one event per request (kserve pkg/logger, v0.20). */
  request: "org.kubeflow.serving.inference.request",
  /** KServe's logger, one event per response. */
  response: "org.kubeflow.serving.inference.response",
  /** Ground-truth labels sent through the Broker instead of POST /feedback. */
  feedback: "io.inferstack.feedback",
} as const;

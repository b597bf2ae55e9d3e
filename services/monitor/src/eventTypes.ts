/**
 * The CloudEvent types the monitor takes. Shared with the platform (components/monitoring/modelMonitor.ts imports
 * this file for its Triggers' filters), so the Triggers and the monitor cannot disagree. No imports: the root
 * project compiles this file too.
 */
export const EVENT_TYPES = {
  /** KServe's logger, one event per request (kserve pkg/logger, v0.20). */
  request: "org.kubeflow.serving.inference.request",
  /** KServe's logger, one event per response. */
  response: "org.kubeflow.serving.inference.response",
  /** Ground-truth labels sent through the Broker instead of POST /feedback. */
  feedback: "io.inferstack.feedback",
} as const;

/** Reasons are the `reason` label of inferstack_monitor_event_errors_total. */
export type ErrorReason =
  | "malformed"
  | "unknown_model"
  | "feature_count"
  | "length_mismatch"
  | "unknown_id"
  | "unsupported_type"
  | "unsupported_version"
  | "too_deep"
  | "too_large"
  | "not_ready"
  | "internal";

/** An error that maps to an HTTP status and a JSON `{error}` body. */
export class MonitorError extends Error {
  constructor(
    readonly status: number,
    readonly reason: ErrorReason,
    message: string,
    readonly model = "unknown",
  ) {
    super(message);
    this.name = "MonitorError";
  }
}

/**
 * Rejection reasons: the `reason` label of inferstack_explainer_requests_total{outcome} and
 * inferstack_adversarial_event_errors_total. A closed set, so label cardinality stays bounded.
 */
export type ErrorReason =
  | "malformed"
  | "unknown_model"
  | "feature_count"
  | "too_many_instances"
  | "too_deep"
  | "too_large"
  | "unsupported_type"
  | "unsupported_version"
  | "budget_exceeded"
  | "timeout"
  | "predictor_unavailable"
  | "predictor_error"
  | "not_ready"
  | "overloaded"
  | "internal";

/** An error that maps to an HTTP status and a JSON `{error, reason}` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: ErrorReason,
    message: string,
    /** A configured model name or "unknown": never a name taken from untrusted input. */
    readonly model = "unknown",
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

import { MonitorError } from "./errors";

/**
 * Seldon Core feedback (`POST /api/v1.0/feedback`): a Feedback message
 * `{"request": SeldonMessage, "response": SeldonMessage, "reward": number, "truth": SeldonMessage}`
 * whose messages carry `data.ndarray` (nested arrays) or `data.tensor` (`{shape, values}`, row-major).
 */
export interface SeldonFeedback {
  instances?: unknown[];
  predictions?: unknown[];
  truth?: unknown[];
  reward?: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Rows of a SeldonMessage's data: the ndarray's first dimension, or the tensor reshaped to [shape[0], rest]. */
function rows(message: unknown, field: string, model: string): unknown[] | undefined {
  if (message === undefined || message === null) return undefined;
  const bad = (why: string) => new MonitorError(400, "malformed", `Seldon feedback "${field}": ${why}`, model);
  if (!isObject(message)) throw bad("must be a SeldonMessage object");
  const data = message.data;
  if (!isObject(data)) throw bad('needs "data" with "ndarray" or "tensor" (strData, binData and jsonData are not supported)');
  if (data.ndarray !== undefined) {
    if (!Array.isArray(data.ndarray)) throw bad('"data.ndarray" must be an array');
    return data.ndarray;
  }
  if (data.tensor !== undefined) {
    const t = data.tensor;
    if (!isObject(t) || !Array.isArray(t.shape) || !Array.isArray(t.values)) throw bad('"data.tensor" must be {"shape": [...], "values": [...]}');
    const shape = t.shape;
    if (shape.length === 0 || !shape.every((s) => Number.isInteger(s) && (s as number) >= 0)) throw bad('"data.tensor.shape" must be non-negative integers');
    const n = shape[0] as number;
    const width = (shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    if (t.values.length !== n * width) throw bad(`"data.tensor" has ${t.values.length} values but shape [${shape.join(", ")}] needs ${n * width}`);
    if (shape.length === 1) return t.values.slice();
    return Array.from({ length: n }, (_, r) => (t.values as unknown[]).slice(r * width, (r + 1) * width));
  }
  throw bad('needs "data.ndarray" or "data.tensor"');
}

export function seldonFeedback(body: unknown, model: string): SeldonFeedback {
  if (!isObject(body)) throw new MonitorError(400, "malformed", "Seldon feedback must be a JSON object {request, response, reward, truth}", model);
  let reward: number | undefined;
  if (body.reward !== undefined && body.reward !== null) {
    if (typeof body.reward !== "number" || !Number.isFinite(body.reward)) {
      throw new MonitorError(400, "malformed", 'Seldon feedback "reward" must be a finite number', model);
    }
    reward = body.reward;
  }
  const fb: SeldonFeedback = {
    instances: rows(body.request, "request", model),
    predictions: rows(body.response, "response", model),
    truth: rows(body.truth, "truth", model),
    reward,
  };
  if (fb.truth !== undefined && fb.truth.length === 0) throw new MonitorError(400, "malformed", 'Seldon feedback "truth" has no rows', model);
  if (fb.truth === undefined && reward === undefined) {
    throw new MonitorError(400, "malformed", 'Seldon feedback needs "truth" or "reward"', model);
  }
  if (fb.instances !== undefined && fb.instances.length === 0) fb.instances = undefined;
  return fb;
}

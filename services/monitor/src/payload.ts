import type { FeatureSpec, FeatureValue } from "./config";
import { MonitorError } from "./errors";

/**
 * Decoding of KServe payloads: v1 (`instances` / `predictions`) and the v2 Open
 * Inference Protocol (`inputs` / `outputs` tensors).
 */

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON for error messages, bounded in length and safe on anything. */
export function safeJson(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined;
  }
  s ??= String(v);
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

/** Keys of KServe model/server metadata and health answers (v1 and v2), which the logger also forwards. */
const METADATA_KEYS = ["name", "ready", "live", "versions", "platform", "extensions", "models"];

/**
 * A logged response that answers a metadata or health GET (e.g. v1 `{"name","ready"}`, v2
 * `{"name","versions","platform","inputs","outputs"}` whose outputs carry no data) rather than an inference.
 */
export function isMetadataPayload(d: unknown): boolean {
  if (!isObject(d) || "predictions" in d) return false;
  if (Array.isArray(d.outputs) && d.outputs.some((o) => isObject(o) && "data" in o)) return false;
  return METADATA_KEYS.some((k) => k in d);
}

const malformed = (model: string, msg: string): MonitorError => new MonitorError(400, "malformed", msg, model);

function coerce(v: unknown, f: FeatureSpec, where: string, model: string): FeatureValue {
  if (f.type === "numeric") {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "boolean") return v ? 1 : 0;
    throw malformed(model, `${where} feature "${f.name}" must be a finite number, got ${safeJson(v)}`);
  }
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw malformed(model, `${where} feature "${f.name}" must be a string or number, got ${safeJson(v)}`);
}

function expectFeatures(features: readonly FeatureSpec[]): string {
  return `${features.length} features (${features.map((f) => f.name).join(", ")})`;
}

function rowFromInstance(inst: unknown, i: number, features: readonly FeatureSpec[], model: string): FeatureValue[] {
  const where = `instance ${i}`;
  if (Array.isArray(inst)) {
    if (inst.length !== features.length) {
      throw new MonitorError(400, "feature_count", `${where} has ${inst.length} values, model "${model}" expects ${expectFeatures(features)}`, model);
    }
    return inst.map((v, j) => coerce(v, features[j], where, model));
  }
  if (isObject(inst)) {
    // Named instances ({"feature": value}) are mapped by feature name.
    const missing = features.filter((f) => !(f.name in inst)).map((f) => f.name);
    if (missing.length > 0) {
      throw new MonitorError(400, "feature_count", `${where} lacks feature(s) ${missing.join(", ")}; model "${model}" expects ${expectFeatures(features)}`, model);
    }
    return features.map((f) => coerce(inst[f.name], f, where, model));
  }
  if (features.length === 1) return [coerce(inst, features[0], where, model)];
  throw new MonitorError(400, "feature_count", `${where} is a single value, model "${model}" expects ${expectFeatures(features)}`, model);
}

interface Tensor {
  name: string;
  shape: number[];
  flat: unknown[];
}

function flatten(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
}

function decodeTensor(t: unknown, i: number, model: string, what: string): Tensor {
  if (!isObject(t)) throw malformed(model, `${what}[${i}] must be an object`);
  const shape = t.shape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((s) => Number.isInteger(s) && (s as number) >= 0)) {
    throw malformed(model, `${what}[${i}].shape must be a non-empty array of non-negative integers`);
  }
  if (!Array.isArray(t.data)) throw malformed(model, `${what}[${i}].data must be an array`);
  const flat: unknown[] = [];
  flatten(t.data, flat);
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (flat.length !== size) {
    throw malformed(model, `${what}[${i}] has ${flat.length} values but shape [${shape.join(", ")}] needs ${size}`);
  }
  return { name: typeof t.name === "string" ? t.name : `${what}${i}`, shape: shape as number[], flat };
}

/** Per-row width of a tensor: product of all dimensions after the batch one. */
function width(t: Tensor): number {
  return t.shape.slice(1).reduce((a, b) => a * b, 1);
}

function rowsFromInputs(inputs: unknown[], features: readonly FeatureSpec[], model: string): FeatureValue[][] {
  if (inputs.length === 0) throw malformed(model, "request has an empty 'inputs' list");
  const tensors = inputs.map((t, i) => decodeTensor(t, i, model, "inputs"));
  const n = tensors[0].shape[0];
  if (tensors.some((t) => t.shape[0] !== n)) throw malformed(model, "all inputs must have the same batch size (shape[0])");
  const names = features.map((f) => f.name);
  // One scalar column per feature, named after the features: map by name.
  const byName = tensors.length === features.length && tensors.every((t) => width(t) === 1 && names.includes(t.name));
  const ordered = byName ? names.map((name) => tensors.find((t) => t.name === name) as Tensor) : tensors;
  const total = ordered.reduce((a, t) => a + width(t), 0);
  if (total !== features.length) {
    throw new MonitorError(400, "feature_count", `inputs carry ${total} values per instance, model "${model}" expects ${expectFeatures(features)}`, model);
  }
  const rows: FeatureValue[][] = [];
  for (let r = 0; r < n; r++) {
    const row: FeatureValue[] = [];
    for (const t of ordered) {
      const w = width(t);
      for (let k = 0; k < w; k++) row.push(coerce(t.flat[r * w + k], features[row.length], `instance ${r}`, model));
    }
    rows.push(row);
  }
  return rows;
}

/** Feature rows from a request payload (v1 or v2), validated against the model's features. */
export function extractInstances(data: unknown, features: readonly FeatureSpec[], model: string): FeatureValue[][] {
  if (!isObject(data)) throw malformed(model, "request data must be a JSON object with 'instances' (v1) or 'inputs' (v2)");
  let rows: FeatureValue[][];
  if (Array.isArray(data.instances)) {
    rows = data.instances.map((inst, i) => rowFromInstance(inst, i, features, model));
  } else if (Array.isArray(data.inputs)) {
    rows = rowsFromInputs(data.inputs, features, model);
  } else {
    throw malformed(model, "request data has neither an 'instances' array (v1) nor an 'inputs' array (v2)");
  }
  if (rows.length === 0) throw malformed(model, "request has no instances");
  return rows;
}

/** One prediction per instance from a response payload (v1 `predictions` or v2 first output). */
export function extractPredictions(data: unknown, model: string): unknown[] {
  if (!isObject(data)) throw malformed(model, "response data must be a JSON object with 'predictions' (v1) or 'outputs' (v2)");
  if (Array.isArray(data.predictions)) return data.predictions;
  if (Array.isArray(data.outputs)) {
    if (data.outputs.length === 0) throw malformed(model, "response has an empty 'outputs' list");
    const t = decodeTensor(data.outputs[0], 0, model, "outputs");
    const n = t.shape[0];
    const w = width(t);
    if (t.shape.length === 1 || w === 1) return t.flat.slice(0, n);
    const out: unknown[] = [];
    for (let r = 0; r < n; r++) out.push(t.flat.slice(r * w, (r + 1) * w));
    return out;
  }
  throw malformed(model, "response data has neither a 'predictions' array (v1) nor an 'outputs' array (v2)");
}

/**
 * Class label of a prediction or truth value, as a string so 1, 1.0 and "1"
 * compare equal. A vector of scores maps to the index of its maximum.
 */
export function toLabel(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v) && v.length > 0) {
    if (v.length === 1) return toLabel(v[0]);
    if (!v.every((x) => typeof x === "number" && Number.isFinite(x))) return undefined;
    let best = 0;
    for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
    return String(best);
  }
  return undefined;
}

/** Numeric value of a regression prediction or truth (a number or a 1-element array). */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (Array.isArray(v) && v.length === 1) return toNumber(v[0]);
  return undefined;
}

/** Stable key of a validated row, used to join feedback given by instances. */
export function instanceKey(row: readonly FeatureValue[]): string {
  return JSON.stringify(row);
}

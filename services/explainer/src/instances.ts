/**
 * Instances of a request body as numeric rows: v1 `{"instances": [[...], ...]}` (arrays, or objects keyed by
 * feature name) or v2 `{"inputs": [{"shape": [n, d], "data": [...]}]}` (one `[n, d]` tensor, or one column
 * tensor per feature, named like the features or else in order).
 */
import { HttpError } from "./errors";

function flatten(v: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

function num(v: unknown, where: string, model: string): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new HttpError(400, "malformed", `${where} is not a finite number (${JSON.stringify(v)?.slice(0, 40)})`, model);
}

export function extractRows(body: unknown, features: string[], model: string): number[][] {
  const d = features.length;
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "malformed", 'the body must be a JSON object with "instances" (v1) or "inputs" (v2)', model);
  const b = body as { instances?: unknown; inputs?: unknown };
  if (b.instances !== undefined) {
    if (!Array.isArray(b.instances) || b.instances.length === 0) throw new HttpError(400, "malformed", '"instances" must be a non-empty array', model);
    return b.instances.map((inst, i) => {
      if (Array.isArray(inst)) {
        const row = flatten(inst);
        if (row.length !== d) throw new HttpError(400, "feature_count", `instance ${i} has ${row.length} values, the model has ${d} features (${features.join(", ")})`, model);
        return row.map((v, j) => num(v, `instances[${i}][${j}]`, model));
      }
      if (inst && typeof inst === "object") {
        const o = inst as Record<string, unknown>;
        const missing = features.filter((f) => !(f in o));
        if (missing.length > 0) throw new HttpError(400, "feature_count", `instance ${i} lacks feature(s) ${missing.slice(0, 5).join(", ")}`, model);
        return features.map((f) => num(o[f], `instances[${i}].${f}`, model));
      }
      throw new HttpError(400, "malformed", `instance ${i} must be an array of numbers or an object keyed by feature name`, model);
    });
  }
  if (b.inputs !== undefined) {
    if (!Array.isArray(b.inputs) || b.inputs.length === 0) throw new HttpError(400, "malformed", '"inputs" must be a non-empty array of tensors', model);
    const tensors = b.inputs as { name?: unknown; shape?: unknown; data?: unknown }[];
    for (const [i, t] of tensors.entries()) {
      if (!t || typeof t !== "object" || !Array.isArray(t.shape) || !Array.isArray(t.data)) throw new HttpError(400, "malformed", `inputs[${i}] must have "shape" and "data"`, model);
    }
    if (tensors.length === 1) {
      const t = tensors[0];
      const shape = t.shape as number[];
      const data = flatten(t.data);
      const n = shape[0];
      const width = shape.length === 1 ? 1 : shape.slice(1).reduce((a, v) => a * v, 1);
      if (!Number.isInteger(n) || n < 1 || data.length !== n * width) throw new HttpError(400, "malformed", `inputs[0] has shape [${shape.join(", ")}] but ${data.length} values`, model);
      if (width !== d) throw new HttpError(400, "feature_count", `inputs[0] rows have ${width} values, the model has ${d} features`, model);
      return Array.from({ length: n }, (_, r) => data.slice(r * d, r * d + d).map((v, j) => num(v, `inputs[0].data[${r * d + j}]`, model)));
    }
    if (tensors.length !== d) throw new HttpError(400, "feature_count", `${tensors.length} input tensors, the model has ${d} features (one [n, d] tensor or one column per feature)`, model);
    const byName = tensors.every((t) => typeof t.name === "string" && features.includes(t.name)) ? features.map((f) => tensors.find((t) => t.name === f)!) : tensors;
    const columns = byName.map((t) => flatten(t.data));
    const n = columns[0].length;
    if (n === 0 || columns.some((c) => c.length !== n)) throw new HttpError(400, "malformed", "column tensors must all hold the same number of values", model);
    return Array.from({ length: n }, (_, r) => columns.map((c, j) => num(c[r], `inputs[${j}].data[${r}]`, model)));
  }
  throw new HttpError(400, "malformed", 'the body has neither "instances" (v1) nor "inputs" (v2)', model);
}

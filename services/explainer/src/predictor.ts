/**
 * A client of a KServe predictor over the v1 (`POST /v1/models/<name>:predict`, `{"instances"}` ->
 * `{"predictions"}`) or v2 / Open Inference protocol (`POST /v2/models/<name>/infer`, one `[N, d]` input tensor ->
 * the first (or the named) output tensor, `[N]` or `[N, k]`). Returns one numeric output vector per row.
 *
 * Every call carries a `Ce-Id` header starting with {@link OWN_ID_PREFIX}: KServe's logger (v0.20 pkg/logger,
 * getOrCreateID) uses it as the id of the request and response CloudEvents it sends to the Broker, so the
 * explainer's and the detector's own calls are recognisable there and can be filtered out (the detector's
 * Trigger does; see README).
 */
import { randomUUID } from "node:crypto";
import { HttpError } from "./errors";

/** Prefix of the CloudEvent ids of inferstack's own predictor calls (explainer and detector). */
export const OWN_ID_PREFIX = "inferstack-";

export type Protocol = "v1" | "v2";

export interface PredictorOptions {
  /** Base URL, e.g. `http://iris-predictor.models` (KServe passes `--predictor_host iris-predictor.models`). */
  baseUrl: string;
  model: string;
  protocol: Protocol;
  /** v2 input tensor name and datatype. */
  v2InputName?: string;
  v2Datatype?: "FP32" | "FP64";
  /** v2 output to read (by name); the first output when unset. */
  v2Output?: string;
  /** Who calls, for the Ce-Id prefix: `inferstack-<caller>-<uuid>`. */
  caller: "explainer" | "adversarial";
  /** Largest predictor response accepted (bytes). */
  maxResponseBytes?: number;
}

export interface Predictor {
  readonly url: string;
  /** Predicts every row; rejects with an HttpError (502 bad answer, 503 unreachable or aborted). */
  predict(rows: number[][], signal?: AbortSignal): Promise<number[][]>;
}

/** Normalises a base URL or a bare host (`iris-predictor.ns`, `host:port`) to `http(s)://host[:port]`. */
export function predictorBaseUrl(hostOrUrl: string, useSsl = false): string {
  const trimmed = hostOrUrl.replace(/\/+$/, "");
  return /^https?:\/\//.test(trimmed) ? trimmed : `${useSsl ? "https" : "http"}://${trimmed}`;
}

function flatten(v: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

function numericRow(p: unknown, i: number): number[] {
  const fail = () => new HttpError(502, "predictor_error", `prediction ${i} is not a number or an array of numbers (${JSON.stringify(p)?.slice(0, 60)}): explain a numeric output such as probabilities or a regression value`);
  if (typeof p === "number") return [p];
  if (typeof p === "boolean") return [p ? 1 : 0];
  if (Array.isArray(p)) {
    const flat = flatten(p);
    if (flat.length === 0 || !flat.every((x) => typeof x === "number" && Number.isFinite(x))) throw fail();
    return flat as number[];
  }
  throw fail();
}

export function createPredictor(o: PredictorOptions): Predictor {
  const path = o.protocol === "v1" ? `/v1/models/${encodeURIComponent(o.model)}:predict` : `/v2/models/${encodeURIComponent(o.model)}/infer`;
  const url = `${o.baseUrl}${path}`;
  const maxBytes = o.maxResponseBytes ?? 64 * 1024 * 1024;

  function body(rows: number[][]): string {
    if (o.protocol === "v1") return JSON.stringify({ instances: rows });
    const d = rows[0]?.length ?? 0;
    const data = new Array<number>(rows.length * d);
    for (let r = 0; r < rows.length; r++) for (let j = 0; j < d; j++) data[r * d + j] = rows[r][j];
    return JSON.stringify({ inputs: [{ name: o.v2InputName ?? "input-0", shape: [rows.length, d], datatype: o.v2Datatype ?? "FP64", data }] });
  }

  function parse(json: unknown, n: number): number[][] {
    if (o.protocol === "v1") {
      const preds = (json as { predictions?: unknown }).predictions;
      if (!Array.isArray(preds)) throw new HttpError(502, "predictor_error", `the predictor's v1 answer has no "predictions" array`);
      if (preds.length !== n) throw new HttpError(502, "predictor_error", `the predictor returned ${preds.length} predictions for ${n} rows`);
      return preds.map(numericRow);
    }
    const outputs = (json as { outputs?: unknown }).outputs;
    if (!Array.isArray(outputs) || outputs.length === 0) throw new HttpError(502, "predictor_error", `the predictor's v2 answer has no "outputs"`);
    const out = (o.v2Output ? outputs.find((t) => (t as { name?: unknown }).name === o.v2Output) : outputs[0]) as { shape?: unknown; data?: unknown } | undefined;
    if (!out) throw new HttpError(502, "predictor_error", `the predictor's v2 answer has no output named "${o.v2Output}"`);
    const flat = flatten(out.data);
    if (!flat.every((x) => typeof x === "number" && Number.isFinite(x))) throw new HttpError(502, "predictor_error", "the predictor's v2 output is not numeric: explain a numeric output such as probabilities");
    const shape = Array.isArray(out.shape) ? (out.shape as number[]) : [flat.length];
    if (shape[0] !== n) throw new HttpError(502, "predictor_error", `the predictor's v2 output has shape [${shape.join(", ")}] for ${n} rows`);
    const k = flat.length / n;
    if (!Number.isInteger(k) || k < 1) throw new HttpError(502, "predictor_error", `the predictor's v2 output has ${flat.length} values for ${n} rows`);
    return Array.from({ length: n }, (_, r) => (flat as number[]).slice(r * k, r * k + k));
  }

  return {
    url,
    async predict(rows, signal) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "ce-id": `${OWN_ID_PREFIX}${o.caller}-${randomUUID()}` },
          body: body(rows),
          signal,
        });
      } catch (err) {
        if (signal?.aborted) throw signal.reason instanceof HttpError ? signal.reason : new HttpError(503, "timeout", "the request's time budget ran out while waiting for the predictor");
        throw new HttpError(503, "predictor_unavailable", `cannot reach the predictor at ${url}: ${(err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message}`, undefined, { "retry-after": "1" });
      }
      let text: string;
      try {
        const declared = Number(res.headers.get("content-length"));
        if (Number.isFinite(declared) && declared > maxBytes) {
          await res.body?.cancel();
          throw new HttpError(502, "predictor_error", `the predictor's answer of ${declared} bytes exceeds ${maxBytes} bytes: lower batchSize`);
        }
        text = await res.text();
      } catch (err) {
        if (err instanceof HttpError) throw err;
        if (signal?.aborted) throw signal.reason instanceof HttpError ? signal.reason : new HttpError(503, "timeout", "the request's time budget ran out while reading the predictor's answer");
        throw new HttpError(503, "predictor_unavailable", `reading the predictor's answer failed: ${(err as Error).message}`);
      }
      if (!res.ok) {
        const status = res.status === 503 || res.status === 429 ? 503 : 502;
        throw new HttpError(status, status === 503 ? "predictor_unavailable" : "predictor_error", `the predictor answered ${res.status}: ${text.slice(0, 200)}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new HttpError(502, "predictor_error", `the predictor's answer is not JSON: ${text.slice(0, 100)}`);
      }
      return parse(json, rows.length);
    },
  };
}

/**
 * The adversarial-detector mode: a Knative Service fed by a Trigger on the Broker with KServe's request events
 * (`org.kubeflow.serving.inference.request`, the types services/shared/eventTypes.ts defines). For a sampled
 * fraction of requests it asks the model's predictor, in one call, for the predictions on the instances and on
 * their squeezed copies (src/squeeze.ts), scores each instance, and replies to the Trigger with a CloudEvent
 * when one is flagged.
 */
import type http from "node:http";
import { CloudEvent, HTTP, type CloudEventV1 } from "cloudevents";
import { EVENT_TYPES } from "../../shared/eventTypes";
import { calibrationMinimumRows, type DetectorConfig, type DetectorModelConfig } from "./config";
import { subsample } from "./data";
import { HttpError } from "./errors";
import { binaryEventAttributes, exceedsJsonDepth, sendAccepted, sendJson, sendMessage, sendMetrics, serveRoutes } from "../../shared/http";
import { ServiceState, retryWithBackoff, serviceHandle, type RunningService } from "../../shared/lifecycle";
import { parseJson, readBody, sendError } from "./http";
import { extractRows } from "./instances";
import { createLogger, type Logger } from "../../shared/logger";
import { createDetectorMetrics, type DetectorMetrics } from "./metrics";
import { createPredictor, OWN_ID_PREFIX, predictorBaseUrl, type Predictor } from "./predictor";
import { hashUnit } from "./random";
import { l1, rangesOf, squeezeRow } from "./squeeze";

/** Type of the reply event for a request with at least one flagged instance. */
export const FLAGGED_TYPE = "io.inferstack.adversarial.flagged";

const SPEC_VERSIONS = ["1.0"];

/** Reference rows per predictor call while calibrating. */
const CALIBRATION_BATCH = 100;

export interface DetectorOptions {
  config: DetectorConfig;
  /** Loads a model's reference rows (when its config gives `reference` instead of `ranges`); retried until it works. */
  loadReference: (model: string, cfg: DetectorModelConfig) => Promise<number[][]>;
  /** Replaceable for tests; defaults to the KServe v1/v2 client. */
  predictorFor?: (model: string, cfg: DetectorModelConfig) => Predictor;
  maxBodyBytes?: number;
  maxJsonDepth?: number;
  logger?: Logger;
  defaultMetrics?: boolean;
  retryDelayMs?: number;
}

/** `ready` resolves once every model's ranges (and calibrated threshold) are in place, or the server closed. */
export type DetectorServer = RunningService<DetectorMetrics>;

interface ModelRuntime {
  name: string;
  cfg: DetectorModelConfig;
  predictor: Predictor;
  ranges?: [number, number][];
  /** The configured threshold, or the calibrated one once calibration ran. */
  threshold: number;
  /** True once ranges (and, when configured, the calibrated threshold) are in place. */
  ready: boolean;
  error?: string;
}

export interface ScoreResult {
  scores: number[];
  flagged: boolean[];
  flagged_count: number;
  threshold: number;
  squeezers: { bitDepth: number }[];
  /** Instances of the event not scored (beyond maxInstances). */
  not_scored: number;
}

/** Whether a sampled-in event: a deterministic draw on the event id, so redeliveries decide the same way. */
export function sampledIn(id: string, rate: number): boolean {
  return rate >= 1 || hashUnit(id) < rate;
}

export function createDetectorServer(o: DetectorOptions): DetectorServer {
  const log = o.logger ?? createLogger();
  const maxBodyBytes = o.maxBodyBytes ?? 5 * 1024 * 1024;
  const maxJsonDepth = o.maxJsonDepth ?? 64;
  const metrics = createDetectorMetrics({ defaultMetrics: o.defaultMetrics });
  const models = new Map<string, ModelRuntime>();
  for (const [name, cfg] of Object.entries(o.config.models)) {
    const predictor =
      o.predictorFor?.(name, cfg) ??
      createPredictor({ baseUrl: predictorBaseUrl(cfg.predictorHost), model: name, protocol: cfg.protocol, caller: "adversarial", v2InputName: cfg.v2.inputName, v2Datatype: cfg.v2.datatype, v2Output: cfg.v2.output });
    models.set(name, { name, cfg, predictor, ranges: cfg.ranges, threshold: cfg.threshold, ready: false });
  }
  const state = new ServiceState();
  const modelLabel = (name: unknown) => (typeof name === "string" && models.has(name) ? name : "unknown");

  /** Loads the reference (unless ranges are configured) and calibrates the threshold (when configured); retried. */
  async function prepare(rt: ModelRuntime): Promise<void> {
    const { cfg } = rt;
    const reference = cfg.reference ? await o.loadReference(rt.name, cfg) : undefined;
    const ranges = cfg.ranges ?? rangesOf(reference ?? [], cfg.features.length);
    if (cfg.calibration && reference) {
      const rows = subsample(reference, cfg.calibration.rows, 0);
      const need = calibrationMinimumRows(cfg.calibration.falsePositiveRate);
      if (rows.length < need) throw new Error(`${rows.length} reference rows are too few to calibrate at falsePositiveRate ${cfg.calibration.falsePositiveRate}: at least ${need} are needed`);
      const scores: number[] = [];
      for (let i = 0; i < rows.length; i += CALIBRATION_BATCH) scores.push(...(await predictScores(rt, rows.slice(i, i + CALIBRATION_BATCH), ranges)));
      scores.sort((a, b) => a - b);
      // The ceil((n + 1)(1 - rate))-th smallest: P(clean score > it) <= rate for scores exchangeable with these.
      const k = Math.ceil((scores.length + 1) * (1 - cfg.calibration.falsePositiveRate) - 1e-9);
      rt.threshold = scores[k - 1];
      log.info("threshold calibrated", { model: rt.name, threshold: rt.threshold, rows: scores.length, false_positive_rate: cfg.calibration.falsePositiveRate });
    }
    rt.ranges = ranges;
    metrics.threshold.set({ model: rt.name }, rt.threshold);
    rt.ready = true;
  }

  const ready = Promise.all(
    [...models.values()].map((rt) =>
      retryWithBackoff(
        async () => {
          await prepare(rt);
          rt.error = undefined;
          log.info("model ready", { model: rt.name, threshold: rt.threshold });
        },
        {
          initialDelayMs: o.retryDelayMs,
          state,
          done: () => rt.ready,
          onError: (err, delay) => {
            rt.error = (err as Error).message;
            log.error("reference load or calibration failed, retrying", { model: rt.name, error: rt.error, retry_in_ms: delay });
          },
        },
      ),
    ),
  ).then(() => undefined);
  const allReady = () => [...models.values()].every((rt) => rt.ready);

  /** Scores rows: one predictor call with the rows followed by each squeezer's copies of them. */
  async function predictScores(rt: ModelRuntime, rows: number[][], ranges: [number, number][]): Promise<number[]> {
    const { cfg } = rt;
    const batch = [...rows];
    for (const s of cfg.squeezers) for (const r of rows) batch.push(squeezeRow(r, ranges, s.bitDepth));
    const signal = AbortSignal.timeout(cfg.timeoutMs);
    let preds: number[][];
    try {
      preds = await rt.predictor.predict(batch, signal);
    } catch (err) {
      if (signal.aborted && !(err instanceof HttpError && err.reason !== "timeout")) {
        throw new HttpError(503, "timeout", `the predictor did not answer within ${cfg.timeoutMs} ms (timeoutMs)`, rt.name);
      }
      throw err instanceof HttpError ? new HttpError(err.status, err.reason, err.message, rt.name, err.headers) : err;
    }
    const n = rows.length;
    return rows.map((_, i) => {
      let best = 0;
      for (let s = 0; s < cfg.squeezers.length; s++) best = Math.max(best, l1(preds[i], preds[(s + 1) * n + i]));
      return best;
    });
  }

  async function score(rt: ModelRuntime, rows: number[][]): Promise<ScoreResult> {
    const scored = rows.slice(0, rt.cfg.maxInstances);
    const scores = await predictScores(rt, scored, rt.ranges as [number, number][]);
    const flagged = scores.map((s) => s > rt.threshold);
    return { scores, flagged, flagged_count: flagged.filter(Boolean).length, threshold: rt.threshold, squeezers: rt.cfg.squeezers, not_scored: rows.length - scored.length };
  }

  function parseEvent(headers: http.IncomingHttpHeaders, body: string): CloudEventV1<unknown> {
    const version = headers["ce-specversion"];
    const contentType = String(headers["content-type"] ?? "");
    if (version !== undefined && !contentType.startsWith("application/cloudevents")) {
      if (!SPEC_VERSIONS.includes(String(version))) throw new HttpError(400, "unsupported_version", `unsupported CloudEvents specversion ${JSON.stringify(String(version)).slice(0, 40)} (supported: 1.0)`, modelLabel(headers["ce-inferenceservicename"]));
      const { attributes, missing } = binaryEventAttributes(headers, body);
      if (missing.length > 0) throw new HttpError(400, "malformed", `invalid CloudEvent: missing required attribute(s) ${missing.map((a) => `ce-${a}`).join(", ")}`, modelLabel(attributes.inferenceservicename));
      return attributes as unknown as CloudEventV1<unknown>;
    }
    let ev: CloudEventV1<unknown> | CloudEventV1<unknown>[];
    try {
      ev = HTTP.toEvent({ headers, body });
    } catch (err) {
      throw new HttpError(400, "malformed", `not a valid CloudEvent: ${(err as Error).message.split("\n")[0]}`, modelLabel(headers["ce-inferenceservicename"]));
    }
    if (Array.isArray(ev)) throw new HttpError(400, "malformed", "batched CloudEvents are not supported");
    if (!SPEC_VERSIONS.includes(String(ev.specversion))) throw new HttpError(400, "unsupported_version", `unsupported CloudEvents specversion ${JSON.stringify(String(ev.specversion)).slice(0, 40)} (supported: 1.0)`, modelLabel(ev.inferenceservicename));
    const missing = ["id", "source", "type"].filter((a) => typeof (ev as unknown as Record<string, unknown>)[a] !== "string" || (ev as unknown as Record<string, unknown>)[a] === "");
    if (missing.length > 0) throw new HttpError(400, "malformed", `invalid CloudEvent: missing required attribute(s) ${missing.join(", ")}`, modelLabel(ev.inferenceservicename));
    return ev;
  }

  function eventData(ev: CloudEventV1<unknown>, model: string): unknown {
    let d: unknown = ev.data;
    if (ArrayBuffer.isView(d)) d = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("utf8");
    if (typeof d === "string") return parseJson(d, "CloudEvent data", maxJsonDepth, model);
    if (!d || typeof d !== "object") throw new HttpError(400, "malformed", "CloudEvent data must be a JSON object", model);
    return d;
  }

  type Outcome = { reply?: { type: string; model: string; subject: string; namespace?: string; data: unknown } };

  async function handle(ev: CloudEventV1<unknown>): Promise<Outcome> {
    if (ev.type !== EVENT_TYPES.request) {
      throw new HttpError(400, "unsupported_type", `unsupported CloudEvent type "${String(ev.type).slice(0, 80)}" (expected ${EVENT_TYPES.request})`, modelLabel(ev.inferenceservicename));
    }
    const name = ev.inferenceservicename;
    if (typeof name !== "string" || name === "") throw new HttpError(400, "malformed", "missing model name (CloudEvent extension 'inferenceservicename')");
    const rt = models.get(name);
    if (!rt) throw new HttpError(400, "unknown_model", `model "${name.slice(0, 80)}" is not configured (configured: ${[...models.keys()].join(", ")})`);
    const m = { model: rt.name };
    // The platform's own predictor calls (explainer coalitions, this detector's squeezed copies) are logged too.
    if (ev.id.startsWith(OWN_ID_PREFIX)) {
      metrics.events.inc({ ...m, outcome: "own" });
      return {};
    }
    const data = ev.data;
    if (data === undefined || data === null || (typeof data === "string" && data.trim() === "")) {
      metrics.events.inc({ ...m, outcome: "metadata" });
      return {};
    }
    if (!sampledIn(ev.id, rt.cfg.sampleRate)) {
      metrics.events.inc({ ...m, outcome: "sampled_out" });
      return {};
    }
    if (!rt.ready) throw new HttpError(503, "not_ready", `model "${rt.name}" is still loading its reference data${rt.error ? ` (last error: ${rt.error})` : ""}`, rt.name, { "retry-after": "5" });
    const rows = extractRows(eventData(ev, rt.name), rt.cfg.features, rt.name);
    const result = await score(rt, rows);
    metrics.events.inc({ ...m, outcome: "scored" });
    for (const s of result.scores) metrics.score.observe(m, s);
    metrics.scored.inc(m, result.scores.length);
    if (result.flagged_count > 0) metrics.flagged.inc(m, result.flagged_count);
    if (result.flagged_count === 0 || o.config.reply === "never") return {};
    const namespace = typeof ev.namespace === "string" ? ev.namespace : undefined;
    return { reply: { type: FLAGGED_TYPE, model: rt.name, subject: ev.id, namespace, data: { model: rt.name, request_id: ev.id, instances: rows.length, ...result } } };
  }

  function sendReply(res: http.ServerResponse, reply: NonNullable<Outcome["reply"]>): void {
    const attrs: Record<string, unknown> = {
      type: reply.type,
      source: `/inferstack/adversarial-detector/${reply.model}`,
      subject: reply.subject,
      datacontenttype: "application/json",
      data: reply.data,
      inferenceservicename: reply.model,
    };
    if (reply.namespace) attrs.namespace = reply.namespace;
    sendMessage(res, HTTP.binary(new CloudEvent(attrs)));
  }

  async function onPost(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const text = (await readBody(req, maxBodyBytes)).toString("utf8");
      if (exceedsJsonDepth(text, maxJsonDepth)) throw new HttpError(400, "too_deep", `request body nests JSON deeper than ${maxJsonDepth} levels`, modelLabel(req.headers["ce-inferenceservicename"]));
      const outcome = await handle(parseEvent(req.headers, text));
      if (outcome.reply) sendReply(res, outcome.reply);
      else sendAccepted(res);
    } catch (err) {
      const he = err instanceof HttpError ? err : new HttpError(500, "internal", `internal error: ${(err as Error)?.message ?? String(err)}`);
      if (he.reason === "internal") log.error("event handling failed", { error: (err as Error)?.stack ?? String(err) });
      else log.debug("event rejected", { status: he.status, reason: he.reason, model: he.model, error: he.message });
      metrics.errors.inc({ model: he.model, reason: he.reason });
      req.resume();
      sendError(res, he);
    }
  }

  const listening = serveRoutes(
    async (req, res, path) => {
      const method = req.method ?? "GET";
      if (path === "/") {
        if (method !== "POST") return sendJson(res, 405, { error: "use POST for / (CloudEvents)" }, { allow: "POST" });
        return onPost(req, res);
      }
      if (!["/healthz", "/readyz", "/metrics"].includes(path)) {
        req.resume();
        return sendJson(res, 404, { error: `no route for ${method} ${path.slice(0, 200)}` });
      }
      if (method !== "GET" && method !== "HEAD") return sendJson(res, 405, { error: `use GET for ${path}` }, { allow: "GET" });
      if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (path === "/readyz") {
        const ok = allReady() && !state.draining;
        return sendJson(res, ok ? 200 : 503, {
          status: state.draining ? "draining" : ok ? "ready" : "loading",
          models: Object.fromEntries([...models.values()].map((rt) => [rt.name, rt.ready ? { status: "ready", threshold: rt.threshold } : { status: "loading", error: rt.error }])),
        });
      }
      return sendMetrics(res, metrics.registry);
    },
    log,
  );

  return serviceHandle(listening, state, { metrics, ready, isReady: () => allReady() && !state.draining });
}

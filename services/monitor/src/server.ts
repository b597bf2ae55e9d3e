import type http from "node:http";
import { CloudEvent, HTTP, ValidationError, type CloudEventV1 } from "cloudevents";
import { z } from "zod";
import type { FeatureValue, ModelConfig, MonitorConfig, RuntimeOptions } from "./config";
import { DriftDetector, type DriftResult } from "./drift";
import { MonitorError } from "./errors";
import { ExchangeStore, FeedbackStats, type FeedbackSnapshot, type LoggedExchange } from "./feedback";
import { createLogger, type Logger } from "../../shared/logger";
import { binaryEventAttributes, exceedsJsonDepth, readBody, sendAccepted, sendJson, sendMessage, sendMetrics, serveRoutes } from "../../shared/http";
import { ServiceState, retryWithBackoff, serviceHandle, type RunningService } from "../../shared/lifecycle";
import { createMetrics, type Metrics } from "./metrics";
import { OutlierDetector, ReferenceTooSmallError, type OutlierResult } from "./outlier";
import { extractInstances, extractPredictions, instanceKey, isMetadataPayload } from "./payload";
import { seldonFeedback } from "./seldon";
import { loadReference } from "./reference";
import { EVENT_TYPES } from "../../shared/eventTypes";
import { VersionTracker, versionFromEvent } from "./versions";

export { EVENT_TYPES };

export const REPLY_TYPES = {
  drift: "io.inferstack.monitor.drift",
  outlier: "io.inferstack.monitor.outlier",
  feedback: "io.inferstack.monitor.feedback",
} as const;

type EventKind = "request" | "response" | "feedback" | "metadata";

type PostRoute = { kind: "event" } | { kind: "feedback" } | { kind: "seldon"; model?: string };

/** POST routes: CloudEvents at `/`, feedback at `/feedback`, Seldon's feedback API with or without its ingress prefix. */
function postRoute(path: string): PostRoute | undefined {
  if (path === "/") return { kind: "event" };
  if (path === "/feedback") return { kind: "feedback" };
  if (path === "/api/v1.0/feedback") return { kind: "seldon" };
  const m = /^\/seldon\/[^/]+\/([^/]+)\/api\/v1\.0\/feedback$/.exec(path);
  if (m) {
    let model: string;
    try {
      model = decodeURIComponent(m[1]);
    } catch {
      model = m[1];
    }
    return { kind: "seldon", model };
  }
  return undefined;
}

const GET_PATHS = new Set(["/healthz", "/readyz", "/metrics", "/status"]);

/** CloudEvents spec versions accepted (KServe's logger and Knative brokers send 1.0). */
const SPEC_VERSIONS = ["1.0"];

export interface ServerOptions extends Partial<RuntimeOptions> {
  /** Environment for S3 settings (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** Replaceable for tests; defaults to inline/file/S3 loading. */
  loadReference?: (model: string, cfg: ModelConfig) => Promise<FeatureValue[][]>;
  logger?: Logger;
  /** Collect prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** First retry delay after a failed reference load; doubles up to 30 s. */
  retryDelayMs?: number;
  /** Model versions tracked per model (per-version metrics; the least recently seen is evicted). Default 3. */
  maxVersionsPerModel?: number;
}

interface ModelRuntime {
  name: string;
  cfg: ModelConfig;
  status: "loading" | "ready" | "error";
  error?: string;
  referenceSize?: number;
  drift?: DriftDetector;
  outlier?: OutlierDetector;
  store: ExchangeStore;
  stats: FeedbackStats;
  lastDrift?: DriftResult & { checked_at: string };
  /** performance.now() of the last drift check. */
  lastCheckAt?: number;
  /** Trailing check, so the gauges catch up with the window after the last request of a burst. */
  checkTimer?: NodeJS.Timeout;
  /** Per-version windows and stats (events that name a model version). */
  versions?: VersionTracker;
}

/** `ready` resolves once every model's reference is loaded (failed loads are retried until then) or the server is closed. */
export type MonitorServer = RunningService<Metrics>;

type Reply =
  | { kind: "none" }
  | { kind: "event"; type: string; model: string; subject?: string; namespace?: string; data: unknown }
  | { kind: "json"; status: number; body: unknown };

const NONE: Reply = { kind: "none" };

const feedbackSchema = z
  .object({
    model: z.string().min(1),
    id: z.string().min(1).optional(),
    instances: z.array(z.unknown()).min(1).optional(),
    predictions: z.array(z.unknown()).optional(),
    truth: z.array(z.unknown()).min(1),
    reward: z.number().finite().optional(),
  })
  .refine((f) => f.id !== undefined || f.instances !== undefined, {
    message: 'feedback needs either "id" (the request id) or "instances"',
  });

function describeValidation(err: unknown): string {
  if (err instanceof SyntaxError) return `invalid JSON (${err.message})`;
  if (err instanceof ValidationError && Array.isArray(err.errors) && err.errors.length > 0) {
    const details = (err.errors as unknown[])
      .map((e) => (typeof e === "string" ? e : `${(e as { instancePath?: string }).instancePath || "event"} ${(e as { message?: string }).message ?? ""}`.trim()))
      .join("; ");
    // The SDK appends the raw ajv errors to its message; keep only the first line plus readable details.
    return `${err.message.split("\n")[0]}: ${details}`;
  }
  return (err as Error).message;
}

function hasCloudEventHeaders(headers: http.IncomingHttpHeaders): boolean {
  const ct = String(headers["content-type"] ?? "");
  return headers["ce-id"] !== undefined || headers["ce-specversion"] !== undefined || ct.startsWith("application/cloudevents");
}

function isEmptyData(d: unknown): boolean {
  if (d === undefined || d === null) return true;
  if (typeof d === "string") return d.trim() === "";
  if (ArrayBuffer.isView(d)) return d.byteLength === 0;
  return false;
}

export function createServer(config: MonitorConfig, options: ServerOptions = {}): MonitorServer {
  const log = options.logger ?? createLogger();
  const replyMode = options.replyMode ?? "detections";
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const cacheSize = options.responseCacheSize ?? 10_000;
  const maxJsonDepth = options.maxJsonDepth ?? 64;
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics });
  const loader = options.loadReference ?? ((name: string, cfg: ModelConfig) => loadReference(name, cfg, { env: options.env }));
  const state = new ServiceState();

  const models = new Map<string, ModelRuntime>();
  for (const [name, cfg] of Object.entries(config.models)) {
    models.set(name, { name, cfg, status: "loading", store: new ExchangeStore(cacheSize), stats: new FeedbackStats(cfg) });
  }

  // Retried with back-off that close() cuts short.
  function loadModel(rt: ModelRuntime): Promise<void> {
    return retryWithBackoff(
      async () => {
        const reference = await loader(rt.name, rt.cfg);
        rt.drift = new DriftDetector(rt.cfg.features, reference, rt.cfg.drift);
        rt.outlier = new OutlierDetector(rt.cfg.features, reference, rt.cfg.outlier.quantile, rt.cfg.outlier.enabled);
        rt.referenceSize = reference.length;
        rt.versions = new VersionTracker(rt.name, rt.cfg, reference, metrics, options.maxVersionsPerModel ?? 3);
        rt.status = "ready";
        rt.error = undefined;
        metrics.driftWindowSize.set({ model: rt.name }, 0);
        log.info("reference loaded", { model: rt.name, rows: reference.length, outlier_threshold: rt.outlier.threshold });
      },
      {
        initialDelayMs: options.retryDelayMs,
        state,
        onError: (err, delay) => {
          rt.status = "error";
          rt.error = err instanceof ReferenceTooSmallError ? `models.${rt.name}.reference: ${err.message}` : (err as Error).message;
          log.error("reference load failed, retrying", { model: rt.name, error: rt.error, retry_in_ms: delay });
        },
      },
    );
  }

  const ready = Promise.all([...models.values()].map((rt) => loadModel(rt))).then(() => undefined);
  /** Label value for a model name from untrusted input: only configured models create series. */
  function modelLabel(name: unknown): string {
    return typeof name === "string" && models.has(name) ? name : "unknown";
  }

  /** JSON.parse after an iterative depth check, so no recursive code ever sees deep nesting. */
  function parseJson(text: string, what: string, model = "unknown"): unknown {
    if (exceedsJsonDepth(text, maxJsonDepth)) {
      throw new MonitorError(400, "too_deep", `${what} nests JSON deeper than ${maxJsonDepth} levels (MONITOR_MAX_JSON_DEPTH)`, model);
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new MonitorError(400, "malformed", `${what} is not valid JSON (${(err as Error).message})`, model);
    }
  }

  /** Decodes event data to a JSON value: the SDK parses JSON content types, raw text and base64 payloads are parsed here. */
  function eventData(ev: CloudEventV1<unknown>, model: string): unknown {
    let d: unknown = ev.data;
    if (d === undefined || d === null) throw new MonitorError(400, "malformed", "CloudEvent has no data", model);
    if (ArrayBuffer.isView(d)) {
      // Structured-mode data_base64 arrives as a typed array of bytes.
      const bytes = Uint8Array.from(d as unknown as ArrayLike<number>);
      d = Buffer.from(bytes).toString("utf8");
    }
    if (typeof d === "string") return parseJson(d, "CloudEvent data", model);
    if (typeof d !== "object") throw new MonitorError(400, "malformed", "CloudEvent data must be a JSON object", model);
    return d;
  }

  const allReady = (): boolean => [...models.values()].every((rt) => rt.status === "ready");

  function runtimeFor(name: unknown): ModelRuntime {
    if (typeof name !== "string" || name === "") {
      throw new MonitorError(400, "malformed", "missing model name (CloudEvent extension 'inferenceservicename' or feedback field 'model')");
    }
    const rt = models.get(name);
    if (!rt) {
      throw new MonitorError(400, "unknown_model", `model "${name}" is not configured (configured: ${[...models.keys()].join(", ")})`, modelLabel(name));
    }
    if (rt.status !== "ready") {
      throw new MonitorError(503, "not_ready", `model "${name}" is still loading its reference data${rt.error ? ` (last error: ${rt.error})` : ""}`, rt.name);
    }
    return rt;
  }

  // ---- event handlers -------------------------------------------------------

  function onRequest(rt: ModelRuntime, id: string, data: unknown, namespace?: string, version?: string): Reply {
    const drift = rt.drift as DriftDetector;
    const detector = rt.outlier as OutlierDetector;
    const rows = extractInstances(data, rt.cfg.features, rt.name);
    rt.store.recordRequest(id, rows.map(instanceKey));
    const m = { model: rt.name };

    let outlier: OutlierResult | undefined;
    if (detector.enabled) {
      outlier = detector.score(rows);
      for (const s of outlier.scores) metrics.outlierScore.observe(m, s);
      metrics.scoredInstancesTotal.inc(m, rows.length);
      if (outlier.outlier_count > 0) metrics.outlierInstancesTotal.inc(m, outlier.outlier_count);
    }

    if (version !== undefined && rt.versions) {
      const ex = rt.store.get(id);
      if (ex) ex.version = version;
      rt.versions.onRequest(version, rows, outlier ? rows.length : 0, outlier?.outlier_count ?? 0);
    }

    drift.add(rows);
    metrics.driftWindowSize.set(m, drift.size);
    let driftResult: DriftResult | undefined;
    if (drift.size >= drift.minSamples) {
      const interval = rt.cfg.drift.checkIntervalMs;
      const now = performance.now();
      if (interval === 0 || rt.lastCheckAt === undefined || now - rt.lastCheckAt >= interval) {
        driftResult = checkDrift(rt);
      } else if (!rt.checkTimer) {
        rt.checkTimer = setTimeout(() => {
          rt.checkTimer = undefined;
          if (!state.closed) checkDrift(rt);
        }, interval - (now - rt.lastCheckAt));
        rt.checkTimer.unref();
      }
    }
    metrics.eventsTotal.inc({ model: rt.name, type: "request" });

    if (replyMode === "never") return NONE;
    let type: string | undefined;
    if (driftResult?.is_drift) type = REPLY_TYPES.drift;
    else if (outlier && outlier.outlier_count > 0) type = REPLY_TYPES.outlier;
    else if (replyMode === "always") type = driftResult ? REPLY_TYPES.drift : outlier ? REPLY_TYPES.outlier : undefined;
    if (!type) return NONE;
    return {
      kind: "event",
      type,
      model: rt.name,
      subject: id,
      namespace,
      data: { model: rt.name, request_id: id, instances: rows.length, drift: driftResult, outlier },
    };
  }

  /**
   * Tests the current window and publishes the result. Runs at most once per drift.checkIntervalMs while
   * requests arrive (the window moves by a handful of rows between checks, so per-event checks only repeat
   * nearly the same, strongly correlated test), and once more after the last request of a burst.
   */
  function checkDrift(rt: ModelRuntime): DriftResult {
    if (rt.checkTimer) {
      clearTimeout(rt.checkTimer);
      rt.checkTimer = undefined;
    }
    const result = (rt.drift as DriftDetector).check();
    rt.lastCheckAt = performance.now();
    rt.lastDrift = { ...result, checked_at: new Date().toISOString() };
    for (const f of result.features) {
      metrics.driftPValue.set({ model: rt.name, feature: f.name }, f.p_value_corrected);
      metrics.driftDistance.set({ model: rt.name, feature: f.name }, f.distance);
    }
    metrics.driftDetected.set({ model: rt.name }, result.is_drift ? 1 : 0);
    return result;
  }

  function onMetadata(rt: ModelRuntime): Reply {
    metrics.eventsTotal.inc({ model: rt.name, type: "metadata" });
    return NONE;
  }

  function onResponse(rt: ModelRuntime, id: string, data: unknown): Reply {
    rt.store.recordResponse(id, extractPredictions(data, rt.name));
    metrics.eventsTotal.inc({ model: rt.name, type: "response" });
    return NONE;
  }

  interface FeedbackOutcome {
    model: string;
    request_id?: string;
    labelled: number;
    duplicates: number;
    /** Cumulative since start. */
    metrics: FeedbackSnapshot;
    /** Over the last feedback.windowSize labelled predictions. */
    window_metrics: FeedbackSnapshot;
  }

  function onFeedback(body: unknown, fallbackModel?: unknown): FeedbackOutcome {
    const bodyModel = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { model?: unknown }).model : undefined;
    const parsed = feedbackSchema.safeParse(
      bodyModel === undefined && typeof fallbackModel === "string" ? { ...(body as object), model: fallbackModel } : body,
    );
    if (!parsed.success) {
      const msg = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
      throw new MonitorError(400, "malformed", `invalid feedback: ${msg}`, modelLabel(bodyModel ?? fallbackModel));
    }
    return applyFeedback(parsed.data);
  }

  function recordReward(rt: ModelRuntime, reward: number | undefined): void {
    if (reward === undefined) return;
    metrics.feedbackRewardTotal.inc({ model: rt.name }, reward);
    metrics.feedbackRewardMessagesTotal.inc({ model: rt.name });
  }

  function publishFeedbackMetrics(rt: ModelRuntime): void {
    const m = { model: rt.name };
    const snap = rt.stats.snapshot();
    const win = rt.stats.windowSnapshot();
    if (snap.task === "classification" && win.task === "classification") {
      metrics.feedbackAccuracy.set(m, snap.accuracy);
      metrics.feedbackPrecision.set(m, snap.precision);
      metrics.feedbackRecall.set(m, snap.recall);
      metrics.feedbackF1.set(m, snap.f1);
      metrics.feedbackWindowAccuracy.set(m, win.accuracy);
      metrics.feedbackWindowPrecision.set(m, win.precision);
      metrics.feedbackWindowRecall.set(m, win.recall);
      metrics.feedbackWindowF1.set(m, win.f1);
    } else if (snap.task === "regression" && win.task === "regression") {
      metrics.feedbackMae.set(m, snap.mae);
      metrics.feedbackRmse.set(m, snap.rmse);
      metrics.feedbackWindowMae.set(m, win.mae);
      metrics.feedbackWindowRmse.set(m, win.rmse);
    }
    metrics.feedbackWindowCount.set(m, win.count);
  }

  function applyFeedback(fb: z.infer<typeof feedbackSchema>): FeedbackOutcome {
    const rt = runtimeFor(fb.model);
    const name = rt.name;

    // Collect (prediction, truth) pairs first; nothing is counted unless all of them resolve.
    const pairs: { exchange?: LoggedExchange; row: number; prediction: unknown; truth: unknown }[] = [];
    if (fb.id !== undefined) {
      const ex = rt.store.get(fb.id);
      if (!ex) {
        throw new MonitorError(404, "unknown_id", `no logged inference with id "${fb.id}" for model "${name}" (not received yet, or evicted: the monitor keeps the last ${cacheSize})`, name);
      }
      if (!ex.predictions) {
        throw new MonitorError(404, "unknown_id", `request "${fb.id}" of model "${name}" was logged but its response has not arrived yet`, name);
      }
      if (fb.truth.length !== ex.predictions.length) {
        throw new MonitorError(400, "length_mismatch", `truth has ${fb.truth.length} values but request "${fb.id}" has ${ex.predictions.length} predictions`, name);
      }
      ex.predictions.forEach((p, row) => pairs.push({ exchange: ex, row, prediction: p, truth: fb.truth[row] }));
    } else if (fb.instances === undefined) {
      // Predictions without instances (Seldon feedback with a response but no request): paired by position.
      const predictions = fb.predictions ?? [];
      if (fb.truth.length !== predictions.length) {
        throw new MonitorError(400, "length_mismatch", `truth has ${fb.truth.length} values but the response has ${predictions.length} predictions`, name);
      }
      predictions.forEach((p, i) => pairs.push({ row: i, prediction: p, truth: fb.truth[i] }));
    } else {
      const rows = extractInstances({ instances: fb.instances }, rt.cfg.features, name);
      if (fb.truth.length !== rows.length) {
        throw new MonitorError(400, "length_mismatch", `truth has ${fb.truth.length} values but ${rows.length} instances were given`, name);
      }
      if (fb.predictions !== undefined) {
        if (fb.predictions.length !== rows.length) {
          throw new MonitorError(400, "length_mismatch", `predictions has ${fb.predictions.length} values but ${rows.length} instances were given`, name);
        }
        fb.predictions.forEach((p, i) => pairs.push({ row: i, prediction: p, truth: fb.truth[i] }));
      } else {
        rows.forEach((r, i) => {
          const at = rt.store.findInstance(instanceKey(r));
          const ex = at ? rt.store.get(at.id) : undefined;
          if (!at || !ex?.predictions || ex.predictions.length <= at.row) {
            throw new MonitorError(404, "unknown_id", `no logged prediction for instance ${i} of model "${name}" (not received yet, or evicted)`, name);
          }
          pairs.push({ exchange: ex, row: at.row, prediction: ex.predictions[at.row], truth: fb.truth[i] });
        });
      }
    }

    // At-least-once delivery can repeat feedback: rows already labelled are skipped.
    const fresh = pairs.filter((p) => !p.exchange || !p.exchange.labelled.has(p.row));
    const labelled = rt.stats.update(
      fresh.map((p) => p.prediction),
      fresh.map((p) => p.truth),
      name,
    );
    for (const p of fresh) p.exchange?.labelled.add(p.row);
    // Per version: the labels of predictions whose logged request named a version.
    const byVersion = new Map<string, { predictions: unknown[]; truth: unknown[] }>();
    for (const p of fresh) {
      const v = p.exchange?.version;
      if (v === undefined) continue;
      const acc = byVersion.get(v) ?? { predictions: [], truth: [] };
      acc.predictions.push(p.prediction);
      acc.truth.push(p.truth);
      byVersion.set(v, acc);
    }
    for (const [v, acc] of byVersion) rt.versions?.onFeedback(v, acc.predictions, acc.truth);

    const m = { model: name };
    if (labelled > 0) metrics.feedbackTotal.inc(m, labelled);
    publishFeedbackMetrics(rt);
    recordReward(rt, fb.reward);
    metrics.eventsTotal.inc({ model: name, type: "feedback" });
    return {
      model: name,
      request_id: fb.id,
      labelled,
      duplicates: pairs.length - fresh.length,
      metrics: rt.stats.snapshot(),
      window_metrics: rt.stats.windowSnapshot(),
    };
  }

  /**
   * Seldon Core's feedback API (`POST /api/v1.0/feedback`, also under `/seldon/<namespace>/<deployment>/`):
   * `{"request", "response", "reward", "truth"}` SeldonMessages with `data.ndarray` or `data.tensor`.
   * The reward is counted; truth (when given) is scored against the response's predictions, or joined by
   * the request's instances when the response is missing.
   */
  function onSeldonFeedback(body: unknown, pathModel: string | undefined, queryModel: string | null): FeedbackOutcome & { reward?: number } {
    const only = models.size === 1 ? [...models.keys()][0] : undefined;
    const name = pathModel ?? queryModel ?? (typeof (body as { model?: unknown })?.model === "string" ? (body as { model: string }).model : undefined) ?? only;
    if (name === undefined) {
      throw new MonitorError(400, "malformed", `Seldon feedback needs the model: POST /seldon/<namespace>/<model>/api/v1.0/feedback or ?model=<name> (configured: ${[...models.keys()].join(", ")})`);
    }
    const rt = runtimeFor(name);
    const fb = seldonFeedback(body, rt.name);
    if (fb.truth === undefined) {
      recordReward(rt, fb.reward);
      metrics.eventsTotal.inc({ model: rt.name, type: "feedback" });
      return { model: rt.name, labelled: 0, duplicates: 0, metrics: rt.stats.snapshot(), window_metrics: rt.stats.windowSnapshot(), reward: fb.reward };
    }
    if (fb.instances === undefined && fb.predictions === undefined) {
      throw new MonitorError(400, "malformed", "Seldon feedback with truth needs the response (predictions) or the request (instances to join with the logged prediction)", rt.name);
    }
    const outcome = applyFeedback({ model: rt.name, instances: fb.instances, predictions: fb.predictions, truth: fb.truth, reward: fb.reward });
    return { ...outcome, reward: fb.reward };
  }

  function feedbackEventReply(outcome: FeedbackOutcome, namespace?: string): Reply {
    if (replyMode === "never" || outcome.labelled === 0) return NONE;
    return { kind: "event", type: REPLY_TYPES.feedback, model: outcome.model, subject: outcome.request_id, namespace, data: outcome };
  }

  function parseCloudEvent(headers: http.IncomingHttpHeaders, body: string): CloudEventV1<unknown> {
    const unsupportedVersion = (v: unknown, model: unknown) =>
      new MonitorError(400, "unsupported_version", `unsupported CloudEvents specversion ${JSON.stringify(String(v)).slice(0, 40)} (supported: ${SPEC_VERSIONS.join(", ")})`, modelLabel(model));
    const headerVersion = headers["ce-specversion"];
    if (headerVersion !== undefined && !SPEC_VERSIONS.includes(String(headerVersion))) throw unsupportedVersion(headerVersion, headers["ce-inferenceservicename"]);
    const contentType = String(headers["content-type"] ?? "");
    if (headerVersion !== undefined && !contentType.startsWith("application/cloudevents")) return parseBinary(headers, body);
    let ev: CloudEventV1<unknown> | CloudEventV1<unknown>[];
    try {
      ev = HTTP.toEvent({ headers, body });
    } catch (err) {
      // Attribute the error to the model when the binary-mode header names it.
      throw new MonitorError(400, "malformed", `not a valid CloudEvent: ${describeValidation(err)}`, modelLabel(headers["ce-inferenceservicename"]));
    }
    if (Array.isArray(ev)) throw new MonitorError(400, "malformed", "batched CloudEvents are not supported");
    if (!SPEC_VERSIONS.includes(String(ev.specversion))) throw unsupportedVersion(ev.specversion, ev.inferenceservicename);
    try {
      // toEvent does not validate; required attributes (id, source, type, specversion) are checked here.
      (ev instanceof CloudEvent ? ev : new CloudEvent(ev, false)).validate();
    } catch (err) {
      throw new MonitorError(400, "malformed", `invalid CloudEvent: ${describeValidation(err)}`, modelLabel(ev.inferenceservicename));
    }
    return ev;
  }

  /**
   * Binary mode (what KServe's logger and Knative deliver), decoded directly: attributes from the ce-*
   * headers, data left as text for eventData to parse with the depth bound. It checks what the SDK's
   * validation would (required id/source/type, specversion) at a fraction of the cost per event.
   */
  function parseBinary(headers: http.IncomingHttpHeaders, body: string): CloudEventV1<unknown> {
    const { attributes, missing } = binaryEventAttributes(headers, body);
    if (missing.length > 0) {
      throw new MonitorError(400, "malformed", `invalid CloudEvent: missing required attribute(s) ${missing.map((a) => `ce-${a}`).join(", ")}`, modelLabel(attributes.inferenceservicename));
    }
    return attributes as unknown as CloudEventV1<unknown>;
  }

  function handleCloudEvent(ev: CloudEventV1<unknown>): { kind: EventKind; reply: Reply } {
    const namespace = typeof ev.namespace === "string" ? ev.namespace : undefined;
    switch (ev.type) {
      case EVENT_TYPES.request: {
        const rt = runtimeFor(ev.inferenceservicename);
        // KServe's logger also forwards metadata/health GETs (no body): nothing to monitor, not an error.
        if (isEmptyData(ev.data)) return { kind: "metadata", reply: onMetadata(rt) };
        return { kind: "request", reply: onRequest(rt, ev.id, eventData(ev, rt.name), namespace, versionFromEvent(ev.annotations)) };
      }
      case EVENT_TYPES.response: {
        const rt = runtimeFor(ev.inferenceservicename);
        if (isEmptyData(ev.data)) return { kind: "metadata", reply: onMetadata(rt) };
        const data = eventData(ev, rt.name);
        if (isMetadataPayload(data)) return { kind: "metadata", reply: onMetadata(rt) };
        return { kind: "response", reply: onResponse(rt, ev.id, data) };
      }
      case EVENT_TYPES.feedback: {
        const outcome = onFeedback(eventData(ev, modelLabel(ev.inferenceservicename)), ev.inferenceservicename);
        return { kind: "feedback", reply: feedbackEventReply(outcome, namespace) };
      }
      default:
        throw new MonitorError(
          400,
          "unsupported_type",
          `unsupported CloudEvent type "${ev.type}" (expected ${Object.values(EVENT_TYPES).join(", ")})`,
          modelLabel(ev.inferenceservicename),
        );
    }
  }

  // ---- HTTP plumbing ----------------------------------------------------------

  function sendReply(res: http.ServerResponse, reply: Reply): void {
    if (reply.kind === "none") return sendAccepted(res);
    if (reply.kind === "json") {
      sendJson(res, reply.status, reply.body);
      return;
    }
    const attrs: Record<string, unknown> = {
      type: reply.type,
      source: `/inferstack/monitor/${reply.model}`,
      datacontenttype: "application/json",
      data: reply.data,
      inferenceservicename: reply.model,
    };
    if (reply.subject) attrs.subject = reply.subject;
    if (reply.namespace) attrs.namespace = reply.namespace;
    sendMessage(res, HTTP.binary(new CloudEvent(attrs)));
  }

  function countError(err: MonitorError): void {
    metrics.eventErrorsTotal.inc({ model: err.model, reason: err.reason });
  }

  async function handleEventPost(req: http.IncomingMessage, res: http.ServerResponse, route: PostRoute, query: URLSearchParams): Promise<void> {
    const started = process.hrtime.bigint();
    let kind: EventKind | undefined;
    try {
      const raw = await readBody(req, maxBodyBytes, (message) => new MonitorError(413, "too_large", message));
      const text = raw.toString("utf8");
      // Bounded before anything recursive (the SDK, payload decoding) touches it; data_base64 is checked again when decoded.
      if (exceedsJsonDepth(text, maxJsonDepth)) {
        throw new MonitorError(400, "too_deep", `request body nests JSON deeper than ${maxJsonDepth} levels (MONITOR_MAX_JSON_DEPTH)`, modelLabel(req.headers["ce-inferenceservicename"]));
      }
      if (route.kind === "seldon") {
        kind = "feedback";
        const outcome = onSeldonFeedback(parseJson(text, "Seldon feedback body"), route.model, query.get("model"));
        // A SeldonMessage, so Seldon clients can parse it; the outcome travels in meta.tags.
        const { metrics: cumulative, window_metrics: window, ...rest } = outcome;
        sendJson(res, 200, { meta: { tags: { ...rest, metrics: cumulative, window_metrics: window } }, data: { names: [], ndarray: [] } });
      } else if (route.kind === "feedback" && !hasCloudEventHeaders(req.headers)) {
        kind = "feedback";
        const outcome = onFeedback(parseJson(text, "feedback body"));
        sendJson(res, 200, { status: outcome.labelled === 0 && outcome.duplicates > 0 ? "duplicate" : "ok", ...outcome });
      } else {
        const ev = parseCloudEvent(req.headers, text);
        const handled = handleCloudEvent(ev);
        kind = handled.kind;
        sendReply(res, handled.reply);
      }
    } catch (err) {
      const me =
        err instanceof MonitorError ? err : new MonitorError(500, "internal", `internal error: ${(err as Error)?.message ?? String(err)}`);
      if (me.reason === "internal") log.error("event handling failed", { error: (err as Error)?.stack ?? String(err) });
      else log.debug("event rejected", { status: me.status, reason: me.reason, model: me.model, error: me.message });
      countError(me);
      if (!res.headersSent) sendJson(res, me.status, { error: me.message }, me.status === 413 ? { connection: "close" } : {});
    } finally {
      if (kind) metrics.eventDuration.observe({ type: kind }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  function modelStatus(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const rt of models.values()) {
      out[rt.name] = {
        status: rt.status,
        error: rt.error,
        task: rt.cfg.task,
        features: rt.cfg.features,
        reference_size: rt.referenceSize,
        window_size: rt.drift?.size ?? 0,
        min_samples: rt.cfg.drift.minSamples,
        outlier_threshold: rt.outlier?.enabled ? rt.outlier.threshold : undefined,
        last_drift: rt.lastDrift,
        feedback: rt.stats.snapshot(),
        feedback_window: { size: rt.stats.windowSize, ...rt.stats.windowSnapshot() },
      };
    }
    return out;
  }

  const listening = serveRoutes(
    async (req, res, path, query) => {
      const method = req.method ?? "GET";
      const post = postRoute(path);
      if (post) {
        if (method !== "POST") return sendJson(res, 405, { error: `use POST for ${path}` }, { allow: "POST" });
        return handleEventPost(req, res, post, query);
      }
      if (!GET_PATHS.has(path)) {
        req.resume();
        return sendJson(res, 404, { error: `no route for ${method} ${path.slice(0, 200)}` });
      }
      if (method !== "GET" && method !== "HEAD") return sendJson(res, 405, { error: `use GET for ${path}` }, { allow: "GET" });
      switch (path) {
        case "/healthz":
          return sendJson(res, 200, { status: "ok" });
        case "/readyz": {
          const ok = allReady() && !state.draining;
          return sendJson(res, ok ? 200 : 503, {
            status: state.draining ? "draining" : ok ? "ready" : "loading",
            models: Object.fromEntries([...models.values()].map((rt) => [rt.name, rt.error ? { status: rt.status, error: rt.error } : { status: rt.status }])),
          });
        }
        case "/metrics":
          return sendMetrics(res, metrics.registry);
        case "/status":
          return sendJson(res, 200, { ready: allReady(), models: modelStatus() });
        default:
          return sendJson(res, 404, { error: `no route for ${method} ${path}` });
      }
    },
    log,
  );

  return serviceHandle(listening, state, {
    metrics,
    ready,
    isReady: allReady,
    onClose() {
      for (const rt of models.values()) {
        if (rt.checkTimer) clearTimeout(rt.checkTimer);
        rt.checkTimer = undefined;
      }
    },
  });
}

import http from "node:http";
import type { AddressInfo } from "node:net";
import { CloudEvent, HTTP, ValidationError, type CloudEventV1 } from "cloudevents";
import { z } from "zod";
import type { FeatureValue, ModelConfig, MonitorConfig, RuntimeOptions } from "./config";
import { DriftDetector, type DriftResult } from "./drift";
import { MonitorError } from "./errors";
import { ExchangeStore, FeedbackStats, type FeedbackSnapshot, type LoggedExchange } from "./feedback";
import { createLogger, type Logger } from "./logger";
import { createMetrics, type Metrics } from "./metrics";
import { OutlierDetector, type OutlierResult } from "./outlier";
import { extractInstances, extractPredictions, instanceKey } from "./payload";
import { loadReference } from "./reference";

export const EVENT_TYPES = {
  request: "org.kubeflow.serving.inference.request",
  response: "org.kubeflow.serving.inference.response",
  feedback: "io.inferstack.feedback",
} as const;

export const REPLY_TYPES = {
  drift: "io.inferstack.monitor.drift",
  outlier: "io.inferstack.monitor.outlier",
  feedback: "io.inferstack.monitor.feedback",
} as const;

type EventKind = "request" | "response" | "feedback";

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
}

export interface MonitorServer {
  readonly server: http.Server;
  readonly metrics: Metrics;
  /** Resolves once every model's reference is loaded (failed loads are retried until then) or the server is closed. */
  readonly ready: Promise<void>;
  isReady(): boolean;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Fails /readyz from now on (so Kubernetes stops routing here) while still serving. */
  startDraining(): void;
  /** Stops accepting connections, lets in-flight requests finish (up to timeoutMs), then closes. */
  close(timeoutMs?: number): Promise<void>;
}

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
  })
  .refine((f) => f.id !== undefined || f.instances !== undefined, {
    message: 'feedback needs either "id" (the request id) or "instances"',
  });

/** Label value for a model name taken from untrusted input (bounded length). */
function modelLabel(name: unknown): string {
  return typeof name === "string" && name.length > 0 ? name.slice(0, 63) : "unknown";
}

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

/** Decodes event data to a JSON value: the SDK parses JSON content types, raw text and base64 payloads are parsed here. */
function eventData(ev: CloudEventV1<unknown>, model: string): unknown {
  let d: unknown = ev.data;
  if (d === undefined || d === null) throw new MonitorError(400, "malformed", "CloudEvent has no data", model);
  if (ArrayBuffer.isView(d)) {
    // Structured-mode data_base64 arrives as a typed array of bytes.
    const bytes = Uint8Array.from(d as unknown as ArrayLike<number>);
    d = Buffer.from(bytes).toString("utf8");
  }
  if (typeof d === "string") {
    try {
      return JSON.parse(d);
    } catch {
      throw new MonitorError(400, "malformed", "CloudEvent data is not valid JSON", model);
    }
  }
  return d;
}

export function createServer(config: MonitorConfig, options: ServerOptions = {}): MonitorServer {
  const log = options.logger ?? createLogger();
  const replyMode = options.replyMode ?? "detections";
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const cacheSize = options.responseCacheSize ?? 10_000;
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics });
  const loader = options.loadReference ?? ((name: string, cfg: ModelConfig) => loadReference(name, cfg, { env: options.env }));
  let draining = false;
  let closed = false;
  const sleepers = new Map<NodeJS.Timeout, () => void>();

  const models = new Map<string, ModelRuntime>();
  for (const [name, cfg] of Object.entries(config.models)) {
    models.set(name, { name, cfg, status: "loading", store: new ExchangeStore(cacheSize), stats: new FeedbackStats(cfg) });
  }

  // Retry back-off that close() can cut short.
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        sleepers.delete(t);
        resolve();
      }, ms);
      t.unref();
      sleepers.set(t, resolve);
    });

  async function loadModel(rt: ModelRuntime): Promise<void> {
    let delay = options.retryDelayMs ?? 1000;
    while (!closed) {
      try {
        const reference = await loader(rt.name, rt.cfg);
        rt.drift = new DriftDetector(rt.cfg.features, reference, rt.cfg.drift);
        rt.outlier = new OutlierDetector(rt.cfg.features, reference, rt.cfg.outlier.quantile);
        rt.referenceSize = reference.length;
        rt.status = "ready";
        rt.error = undefined;
        metrics.driftWindowSize.set({ model: rt.name }, 0);
        log.info("reference loaded", { model: rt.name, rows: reference.length, outlier_threshold: rt.outlier.threshold });
        return;
      } catch (err) {
        rt.status = "error";
        rt.error = (err as Error).message;
        log.error("reference load failed, retrying", { model: rt.name, error: rt.error, retry_in_ms: delay });
        await sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  const ready = Promise.all([...models.values()].map((rt) => loadModel(rt))).then(() => undefined);
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

  function onRequest(rt: ModelRuntime, id: string, data: unknown, namespace?: string): Reply {
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

    drift.add(rows);
    metrics.driftWindowSize.set(m, drift.size);
    let driftResult: DriftResult | undefined;
    if (drift.size >= drift.minSamples) {
      driftResult = drift.check();
      rt.lastDrift = { ...driftResult, checked_at: new Date().toISOString() };
      for (const f of driftResult.features) {
        metrics.driftPValue.set({ model: rt.name, feature: f.name }, f.p_value_corrected);
        metrics.driftDistance.set({ model: rt.name, feature: f.name }, f.distance);
      }
      metrics.driftDetected.set(m, driftResult.is_drift ? 1 : 0);
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
    metrics: FeedbackSnapshot;
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
    const fb = parsed.data;
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

    const snap = rt.stats.snapshot();
    const m = { model: name };
    if (labelled > 0) metrics.feedbackTotal.inc(m, labelled);
    if (snap.task === "classification") {
      metrics.feedbackAccuracy.set(m, snap.accuracy);
      metrics.feedbackPrecision.set(m, snap.precision);
      metrics.feedbackRecall.set(m, snap.recall);
      metrics.feedbackF1.set(m, snap.f1);
    } else {
      metrics.feedbackMae.set(m, snap.mae);
      metrics.feedbackRmse.set(m, snap.rmse);
    }
    metrics.eventsTotal.inc({ model: name, type: "feedback" });
    return { model: name, request_id: fb.id, labelled, duplicates: pairs.length - fresh.length, metrics: snap };
  }

  function feedbackEventReply(outcome: FeedbackOutcome, namespace?: string): Reply {
    if (replyMode === "never" || outcome.labelled === 0) return NONE;
    return { kind: "event", type: REPLY_TYPES.feedback, model: outcome.model, subject: outcome.request_id, namespace, data: outcome };
  }

  function parseCloudEvent(headers: http.IncomingHttpHeaders, body: string): CloudEventV1<unknown> {
    let ev: CloudEventV1<unknown> | CloudEventV1<unknown>[];
    try {
      ev = HTTP.toEvent({ headers, body });
    } catch (err) {
      // Attribute the error to the model when the binary-mode header names it.
      throw new MonitorError(400, "malformed", `not a valid CloudEvent: ${describeValidation(err)}`, modelLabel(headers["ce-inferenceservicename"]));
    }
    if (Array.isArray(ev)) throw new MonitorError(400, "malformed", "batched CloudEvents are not supported");
    try {
      // toEvent does not validate; required attributes (id, source, type, specversion) are checked here.
      (ev instanceof CloudEvent ? ev : new CloudEvent(ev, false)).validate();
    } catch (err) {
      throw new MonitorError(400, "malformed", `invalid CloudEvent: ${describeValidation(err)}`, modelLabel(ev.inferenceservicename));
    }
    return ev;
  }

  function handleCloudEvent(ev: CloudEventV1<unknown>): { kind: EventKind; reply: Reply } {
    const namespace = typeof ev.namespace === "string" ? ev.namespace : undefined;
    switch (ev.type) {
      case EVENT_TYPES.request: {
        const rt = runtimeFor(ev.inferenceservicename);
        return { kind: "request", reply: onRequest(rt, ev.id, eventData(ev, rt.name), namespace) };
      }
      case EVENT_TYPES.response: {
        const rt = runtimeFor(ev.inferenceservicename);
        return { kind: "response", reply: onResponse(rt, ev.id, eventData(ev, rt.name)) };
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

  function readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBodyBytes) {
        req.resume(); // drain so the 413 reaches the client
        reject(new MonitorError(413, "too_large", `request body of ${declared} bytes exceeds the limit of ${maxBodyBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on("data", (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > maxBodyBytes) {
          failed = true;
          chunks.length = 0;
          reject(new MonitorError(413, "too_large", `request body exceeds the limit of ${maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on("end", () => {
        if (!failed) resolve(Buffer.concat(chunks));
      });
      req.on("error", (err) => {
        if (!failed) reject(err);
      });
    });
  }

  function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: http.OutgoingHttpHeaders = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...extra });
    res.end(text);
  }

  function sendReply(res: http.ServerResponse, reply: Reply): void {
    if (reply.kind === "none") {
      res.writeHead(202, { "content-length": 0 });
      res.end();
      return;
    }
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
    const message = HTTP.binary(new CloudEvent(attrs));
    const body = typeof message.body === "string" ? message.body : JSON.stringify(message.body);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(message.headers)) if (v !== undefined) headers[k] = v;
    headers["content-length"] = Buffer.byteLength(body);
    res.writeHead(200, headers);
    res.end(body);
  }

  function countError(err: MonitorError): void {
    metrics.eventErrorsTotal.inc({ model: err.model, reason: err.reason });
  }

  async function handleEventPost(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const started = process.hrtime.bigint();
    let kind: EventKind | undefined;
    try {
      const raw = await readBody(req);
      if (path === "/feedback" && !hasCloudEventHeaders(req.headers)) {
        kind = "feedback";
        let body: unknown;
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new MonitorError(400, "malformed", "feedback body is not valid JSON");
        }
        const outcome = onFeedback(body);
        sendJson(res, 200, { status: outcome.labelled === 0 && outcome.duplicates > 0 ? "duplicate" : "ok", ...outcome });
      } else {
        const ev = parseCloudEvent(req.headers, raw.toString("utf8"));
        kind = ev.type === EVENT_TYPES.request ? "request" : ev.type === EVENT_TYPES.response ? "response" : ev.type === EVENT_TYPES.feedback ? "feedback" : undefined;
        sendReply(res, handleCloudEvent(ev).reply);
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
      };
    }
    return out;
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const method = req.method ?? "GET";
    const route = async (): Promise<void> => {
      if (path === "/" || path === "/feedback") {
        if (method !== "POST") return sendJson(res, 405, { error: `use POST for ${path}` }, { allow: "POST" });
        return handleEventPost(req, res, path);
      }
      if (method !== "GET" && method !== "HEAD") return sendJson(res, 405, { error: `use GET for ${path}` }, { allow: "GET" });
      switch (path) {
        case "/healthz":
          return sendJson(res, 200, { status: "ok" });
        case "/readyz": {
          const ok = allReady() && !draining;
          return sendJson(res, ok ? 200 : 503, {
            status: draining ? "draining" : ok ? "ready" : "loading",
            models: Object.fromEntries([...models.values()].map((rt) => [rt.name, rt.error ? { status: rt.status, error: rt.error } : { status: rt.status }])),
          });
        }
        case "/metrics": {
          const text = await metrics.registry.metrics();
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(text);
          return;
        }
        case "/status":
          return sendJson(res, 200, { ready: allReady(), models: modelStatus() });
        default:
          return sendJson(res, 404, { error: `no route for ${method} ${path}` });
      }
    };
    route().catch((err) => {
      log.error("request failed", { path, error: (err as Error)?.stack ?? String(err) });
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  // Outlive the idle timeouts of upstream HTTP clients (Knative dispatchers, proxies) so they never
  // reuse a keep-alive connection the server is closing at that moment.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("clientError", (err, socket) => {
    // Malformed HTTP from a client must never take the process down.
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
    log.debug("client error", { error: (err as Error).message });
  });

  return {
    server,
    metrics,
    ready,
    isReady: allReady,
    startDraining() {
      draining = true;
    },
    listen(port = 8080, host?: string) {
      return new Promise<AddressInfo>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close(timeoutMs = 10_000) {
      draining = true;
      closed = true;
      for (const [t, wake] of sleepers) {
        clearTimeout(t);
        wake();
      }
      sleepers.clear();
      return new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * The explainer mode: a KServe explainer container. KServe (v0.20, Knative mode) runs it as the
 * `<isvc>-explainer` Knative Service with `--model_name <isvc> --predictor_host <isvc>-predictor.<ns>
 * --http_port 8080` and routes `POST /v1/models/<isvc>:explain` to it; this server answers that path with
 * KernelSHAP attributions computed by calling the predictor.
 */
import type http from "node:http";
import type { ExplainerConfig } from "./config";
import { subsample } from "./data";
import { HttpError } from "./errors";
import { sendJson, sendMetrics, serveRoutes } from "../../shared/http";
import { ServiceState, retryWithBackoff, serviceHandle, type RunningService } from "../../shared/lifecycle";
import { parseJson, readBody, sendError } from "./http";
import { extractRows } from "./instances";
import { ExplainError, explainInstance, instanceCost, planCoalitions, type Explanation, type Plan } from "./kernelShap";
import { createLogger, type Logger } from "../../shared/logger";
import { createExplainerMetrics, type ExplainerMetrics } from "./metrics";
import type { Predictor } from "./predictor";

export interface ExplainerOptions {
  /** The InferenceService name (KServe's `--model_name`). */
  modelName: string;
  config: ExplainerConfig;
  predictor: Predictor;
  /** Loads the background rows (all of them; the server subsamples to backgroundSize). Retried until it works. */
  loadBackground: () => Promise<number[][]>;
  /** Explanations computed at once; more get 503 `overloaded` (KServe's `--workers`, else 4). */
  maxConcurrent?: number;
  maxBodyBytes?: number;
  maxJsonDepth?: number;
  logger?: Logger;
  defaultMetrics?: boolean;
  /** First retry delay after a failed background load (doubles up to 30 s). */
  retryDelayMs?: number;
}

/** `ready` resolves once the background is loaded (or the server closed). */
export type ExplainerServer = RunningService<ExplainerMetrics>;

/** One explained instance, as the API returns it: scalars for a single-output model, arrays per output otherwise. */
function present(e: Explanation, features: string[], x: number[]) {
  const single = e.output.length === 1;
  const v = (a: number[]) => (single ? a[0] : a);
  return {
    exact: e.exact,
    coalitions: e.coalitions,
    model_output: v(e.output),
    base_value: v(e.base),
    attributions: features.map((name, i) => ({ feature: name, value: x[i], shap: v(e.phi[i]) })),
    additivity_gap: e.additivityGap,
  };
}

export function createExplainerServer(o: ExplainerOptions): ExplainerServer {
  const log = o.logger ?? createLogger();
  const cfg = o.config;
  const model = o.modelName;
  const features = cfg.features;
  const maxBodyBytes = o.maxBodyBytes ?? 5 * 1024 * 1024;
  const maxJsonDepth = o.maxJsonDepth ?? 64;
  const maxConcurrent = o.maxConcurrent && o.maxConcurrent > 0 ? o.maxConcurrent : 4;
  const metrics = createExplainerMetrics({ defaultMetrics: o.defaultMetrics });
  const plan: Plan = planCoalitions(features.length, cfg);
  const explainPath = `/v1/models/${model}:explain`;
  let background: number[][] | undefined;
  let loadError: string | undefined;
  const state = new ServiceState();
  let inflight = 0;

  const ready = retryWithBackoff(
    async () => {
      background = subsample(await o.loadBackground(), cfg.backgroundSize, cfg.seed);
      loadError = undefined;
      const cost = instanceCost(plan, background.length, cfg.batchSize);
      log.info("background loaded", { model, rows: background.length, exact: plan.exact, coalitions: plan.masks.length, rows_per_instance: cost.rows, calls_per_instance: cost.calls });
    },
    {
      initialDelayMs: o.retryDelayMs,
      state,
      onError: (err, delay) => {
        loadError = (err as Error).message;
        log.error("background load failed, retrying", { model, error: loadError, retry_in_ms: delay });
      },
    },
  );

  async function explain(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    if (!background) throw new HttpError(503, "not_ready", `the background data is still loading${loadError ? ` (last error: ${loadError})` : ""}`, model, { "retry-after": "5" });
    if (inflight >= maxConcurrent) throw new HttpError(503, "overloaded", `${inflight} explanations are running (at most ${maxConcurrent} at once); retry shortly`, model, { "retry-after": "1" });
    inflight++;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new HttpError(503, "timeout", `the explanation took longer than its time budget of ${cfg.timeoutMs} ms (timeoutMs); send fewer instances, lower samples or backgroundSize, or raise timeoutMs`, model)),
      cfg.timeoutMs,
    );
    const onClose = () => {
      // The caller gave up: stop calling the predictor for it.
      if (!res.writableEnded) controller.abort(new HttpError(503, "timeout", "the client closed the connection", model));
    };
    res.on("close", onClose);
    try {
      const body = parseJson((await readBody(req, maxBodyBytes)).toString("utf8"), "explain request body", maxJsonDepth, model);
      const rows = extractRows(body, features, model);
      if (rows.length > cfg.maxInstances) {
        throw new HttpError(400, "too_many_instances", `${rows.length} instances in one explain request; at most ${cfg.maxInstances} (maxInstances): split the request`, model);
      }
      const bg = background;
      const cost = instanceCost(plan, bg.length, cfg.batchSize);
      const calls = cost.calls * rows.length;
      if (calls > cfg.maxPredictorCalls) {
        throw new HttpError(
          422,
          "budget_exceeded",
          `explaining ${rows.length} instance(s) needs ${calls} predictor calls (${cost.calls} each: ${cost.rows} rows = 1 + ${bg.length} background + ${plan.masks.length} coalitions x ${bg.length}, in batches of ${cfg.batchSize}); the budget is ${cfg.maxPredictorCalls} (maxPredictorCalls): send fewer instances, or lower samples / backgroundSize, or raise batchSize / maxPredictorCalls`,
          model,
        );
      }
      const explanations = [];
      let predictorCalls = 0;
      let predictorRows = 0;
      for (const x of rows) {
        let e: Explanation;
        try {
          e = await explainInstance(x, bg, plan, cfg, (batch, signal) => o.predictor.predict(batch, signal), controller.signal);
        } catch (err) {
          if (err instanceof ExplainError) throw new HttpError(err.kind === "shape" ? 502 : 422, err.kind === "shape" ? "predictor_error" : "budget_exceeded", err.message, model);
          throw err;
        }
        predictorCalls += e.predictorCalls;
        predictorRows += e.predictorRows;
        metrics.predictorCalls.inc({ model }, e.predictorCalls);
        metrics.predictorRows.inc({ model }, e.predictorRows);
        explanations.push(present(e, features, x));
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requests.inc({ model, outcome: "ok" });
      metrics.duration.observe({ model }, seconds);
      sendJson(res, 200, {
        model_name: model,
        method: "kernel-shap",
        feature_names: features,
        background_size: bg.length,
        explanations,
        predictor_calls: predictorCalls,
        predictor_rows: predictorRows,
        duration_ms: Math.round(seconds * 1e4) / 10,
      });
    } finally {
      clearTimeout(timer);
      res.off("close", onClose);
      inflight--;
    }
  }

  const GET_PATHS = new Set(["/", "/healthz", "/readyz", "/metrics", "/v2/health/live", "/v2/health/ready", `/v1/models/${model}`, "/v1/models"]);

  const listening = serveRoutes(
    async (req, res, path) => {
      const method = req.method ?? "GET";
      if (path === explainPath) {
        if (method !== "POST") return sendJson(res, 405, { error: `use POST for ${path}` }, { allow: "POST" });
        try {
          await explain(req, res);
        } catch (err) {
          const he = err instanceof HttpError ? err : new HttpError(500, "internal", `internal error: ${(err as Error)?.message ?? String(err)}`, model);
          if (he.reason === "internal") log.error("explain failed", { error: (err as Error)?.stack ?? String(err) });
          else log.debug("explain rejected", { status: he.status, reason: he.reason, error: he.message });
          metrics.requests.inc({ model, outcome: he.reason });
          req.resume();
          if (!res.destroyed) sendError(res, he);
        }
        return;
      }
      const explainOther = /^\/v1\/models\/([^/]+):explain$/.exec(path);
      if (explainOther) {
        req.resume();
        metrics.requests.inc({ model, outcome: "unknown_model" });
        return sendJson(res, 404, { error: `this explainer serves model "${model}", not "${decodeURIComponent(explainOther[1]).slice(0, 100)}"`, reason: "unknown_model" });
      }
      if (!GET_PATHS.has(path)) {
        req.resume();
        return sendJson(res, 404, { error: `no route for ${method} ${path.slice(0, 200)}` });
      }
      if (method !== "GET" && method !== "HEAD") return sendJson(res, 405, { error: `use GET for ${path}` }, { allow: "GET" });
      const isReady = background !== undefined && !state.draining;
      switch (path) {
        case "/":
          return sendJson(res, 200, { status: "alive" });
        case "/healthz":
        case "/v2/health/live":
          return sendJson(res, 200, { status: "ok", live: true });
        case "/readyz":
        case "/v2/health/ready":
          return sendJson(res, isReady ? 200 : 503, { ready: isReady, status: state.draining ? "draining" : isReady ? "ready" : "loading", error: loadError });
        case "/v1/models":
          return sendJson(res, 200, { models: [model] });
        case "/metrics":
          return sendMetrics(res, metrics.registry);
        default:
          // GET /v1/models/<name>: KServe's model-ready answer.
          return sendJson(res, isReady ? 200 : 503, { name: model, ready: isReady });
      }
    },
    log,
  );

  return serviceHandle(listening, state, { metrics, ready, isReady: () => background !== undefined && !state.draining });
}

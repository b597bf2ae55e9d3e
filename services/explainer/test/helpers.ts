import { explainerConfigSchema, parseWith, type ExplainerConfig } from "../src/config";
import { createExplainerServer, type ExplainerServer } from "../src/explainer";
import { silentLogger } from "../../shared/logger";
import { createPredictor, type Protocol } from "../src/predictor";

export interface RunningExplainer {
  explainer: ExplainerServer;
  base: string;
  config: ExplainerConfig;
  close(): Promise<void>;
}

export async function startExplainer(
  model: string,
  predictorUrl: string,
  protocol: Protocol,
  config: Record<string, unknown>,
  options: { loadBackground?: () => Promise<number[][]>; maxConcurrent?: number; maxBodyBytes?: number } = {},
): Promise<RunningExplainer> {
  const cfg = parseWith(explainerConfigSchema, config, "explainer config");
  const explainer = createExplainerServer({
    modelName: model,
    config: cfg,
    predictor: createPredictor({ baseUrl: predictorUrl, model, protocol, caller: "explainer", v2InputName: cfg.v2.inputName, v2Datatype: cfg.v2.datatype }),
    loadBackground: options.loadBackground ?? (async () => ("inline" in cfg.background ? cfg.background.inline : [])),
    logger: silentLogger,
    defaultMetrics: false,
    maxConcurrent: options.maxConcurrent,
    maxBodyBytes: options.maxBodyBytes,
    retryDelayMs: 10,
  });
  const addr = await explainer.listen(0, "127.0.0.1");
  if (!options.loadBackground) await explainer.ready;
  return { explainer, base: `http://127.0.0.1:${addr.port}`, config: cfg, close: () => explainer.close(1000) };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

import { CloudEvent, HTTP } from "cloudevents";
import { createServer, type MonitorServer, type ServerOptions } from "../src/server";
import { parseConfig } from "../src/config";
import { silentLogger } from "../../shared/logger";
import { seededRandom as rng } from "../../shared/random";

export { rng };

/** Standard normal draws by Box–Muller on top of rng(). */
export function normal(seed: number): () => number {
  const u = rng(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u1 = 0;
    while (u1 === 0) u1 = u();
    const u2 = u();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

export function normalRows(seed: number, n: number, d: number, shift: number[] = []): number[][] {
  const g = normal(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, (_, j) => g() + (shift[j] ?? 0)));
}

export interface Running {
  monitor: MonitorServer;
  base: string;
  close(): Promise<void>;
}

export async function start(config: unknown, options: ServerOptions = {}): Promise<Running> {
  const monitor = createServer(parseConfig(config), { logger: silentLogger, defaultMetrics: false, ...options });
  const addr = await monitor.listen(0, "127.0.0.1");
  if (!options.loadReference) await monitor.ready;
  return { monitor, base: `http://127.0.0.1:${addr.port}`, close: () => monitor.close(1000) };
}

export interface EventSpec {
  id: string;
  type?: string;
  model?: string;
  data: unknown;
  namespace?: string;
}

export const REQUEST = "org.kubeflow.serving.inference.request";
export const RESPONSE = "org.kubeflow.serving.inference.response";

/** A CloudEvent shaped like the ones KServe's logger emits. */
export function kserveEvent(spec: EventSpec): CloudEvent<unknown> {
  const attrs: Record<string, unknown> = {
    id: spec.id,
    type: spec.type ?? REQUEST,
    source: "http://localhost:9081/",
    datacontenttype: "application/json",
    data: spec.data,
    component: "predictor",
    endpoint: "",
    namespace: spec.namespace ?? "models",
  };
  if (spec.model !== undefined) attrs.inferenceservicename = spec.model;
  return new CloudEvent(attrs);
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  json?: any;
}

async function toReply(r: Response): Promise<Reply> {
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: Object.fromEntries(r.headers), text, json };
}

export async function postEvent(base: string, ev: CloudEvent<unknown>, mode: "binary" | "structured" = "binary", path = "/"): Promise<Reply> {
  const msg = mode === "binary" ? HTTP.binary(ev) : HTTP.structured(ev);
  const r = await fetch(base + path, { method: "POST", headers: msg.headers as Record<string, string>, body: msg.body as string });
  return toReply(r);
}

export async function postRaw(base: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(base + path, { method: "POST", headers, body });
  return toReply(r);
}

export async function get(base: string, path: string): Promise<Reply> {
  return toReply(await fetch(base + path));
}

/** Reads one sample from the Prometheus text format; labels match as a subset. */
export async function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = (await get(base, "/metrics")).text;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const kv of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[kv[1]] = kv[2];
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Starts a monitor, runs `fn` against it, and closes it whatever happens. */
export async function withServer(config: unknown, fn: (s: Running) => Promise<void>): Promise<void>;
export async function withServer(config: unknown, options: ServerOptions, fn: (s: Running) => Promise<void>): Promise<void>;
export async function withServer(config: unknown, ...rest: [(s: Running) => Promise<void>] | [ServerOptions, (s: Running) => Promise<void>]): Promise<void> {
  const [options, fn] = rest.length === 1 ? [{}, rest[0]] : rest;
  const s = await start(config, options);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

/** A model with numeric features `names` and `rows` seeded standard-normal reference rows; `extra` adds or overrides keys. */
export function numericModel(names: string[], task: "classification" | "regression", seed: number, rows: number, extra: Record<string, unknown> = {}) {
  return { features: names.map((name) => ({ name, type: "numeric" })), task, reference: { inline: normalRows(seed, rows, names.length) }, ...extra };
}

/** inferstack_monitor_event_errors_total{model, reason}. */
export const eventErrors = (base: string, model: string, reason: string) => metric(base, "inferstack_monitor_event_errors_total", { model, reason });

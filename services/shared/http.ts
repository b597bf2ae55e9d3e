/**
 * HTTP plumbing both services share (the monitor, and the explainer in both its modes): bounded request bodies, a
 * JSON nesting bound checked before any parser runs, JSON replies, the /metrics reply, an http.Server hardened the
 * same way (keep-alive past proxies' idle timeouts, 400 on malformed HTTP, graceful close), a guard that turns a
 * failed route into a 500, and binary-mode CloudEvents (decoding the ce-* headers, writing a reply message).
 * Node built-ins only: library objects (a prom-client registry, a CloudEvents message) come in as parameters.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "./logger";

/**
 * True when JSON text nests arrays/objects deeper than `limit`. One iterative pass over the characters (strings and
 * escapes skipped), so it is safe on any input; it runs before JSON.parse and before any recursive code (the
 * CloudEvents SDK, payload decoding, JSON.stringify in messages) sees the value. Invalid JSON is left for the parser.
 */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/**
 * Reads a request body of at most `maxBytes` (declared or streamed); beyond it, rejects with `tooLarge(message)` (each
 * service's own 413 error) and drains the rest so the 413 reaches the client.
 */
export function readBody(req: http.IncomingMessage, maxBytes: number, tooLarge: (message: string) => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(tooLarge(`request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(`request body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => !failed && resolve(Buffer.concat(chunks)));
    req.on("error", (err) => !failed && reject(err));
  });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...extra });
  res.end(text);
}

/** What /metrics needs of a prom-client Registry. */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export async function sendMetrics(res: http.ServerResponse, registry: MetricsRegistry): Promise<void> {
  const text = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType });
  res.end(text);
}

/** 202 with no body: an event taken, nothing to reply. */
export function sendAccepted(res: http.ServerResponse): void {
  res.writeHead(202, { "content-length": 0 });
  res.end();
}

/** A CloudEvents SDK message (`HTTP.binary(event)`), written as the 200 reply to the event's sender. */
export function sendMessage(res: http.ServerResponse, message: { headers: Record<string, unknown>; body: unknown }): void {
  const body = typeof message.body === "string" ? message.body : JSON.stringify(message.body);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(message.headers)) if (v !== undefined) headers[k] = v as string;
  headers["content-length"] = Buffer.byteLength(body);
  res.writeHead(200, headers);
  res.end(body);
}

/** Splits `req.url` into path and query. */
export function splitUrl(url: string | undefined): { path: string; query: URLSearchParams } {
  const u = url ?? "/";
  const q = u.indexOf("?");
  return { path: q < 0 ? u : u.slice(0, q), query: new URLSearchParams(q < 0 ? "" : u.slice(q + 1)) };
}

/**
 * A request listener that runs an async route with the request's path and query; a route that throws gets a 500
 * `{error: "internal error"}` (or, once headers are out, a destroyed socket), after `onFailure` has logged it.
 */
export function routed(
  route: (req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams) => Promise<void>,
  onFailure: (path: string, err: unknown) => void,
): http.RequestListener {
  return (req, res) => {
    const { path, query } = splitUrl(req.url);
    route(req, res, path, query).catch((err) => {
      onFailure(path, err);
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  };
}

export interface Listening {
  readonly server: http.Server;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections, lets in-flight requests finish (up to timeoutMs), then closes. */
  close(timeoutMs?: number): Promise<void>;
}

/** An http.Server that outlives upstream keep-alive timeouts and answers malformed HTTP with a 400, never a crash. */
export function hardenedServer(handler: http.RequestListener, onClientError: (err: Error) => void): Listening {
  const server = http.createServer(handler);
  // Outlive the idle timeouts of upstream HTTP clients (Knative dispatchers, proxies) so they never
  // reuse a keep-alive connection the server is closing at that moment.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("clientError", (err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
    onClientError(err);
  });
  return {
    server,
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

/** A hardened server running `route` (see routed), logging failed routes as errors and malformed HTTP at debug. */
export function serveRoutes(route: Parameters<typeof routed>[0], log: Logger): Listening {
  return hardenedServer(
    routed(route, (path, err) => log.error("request failed", { path, error: (err as Error)?.stack ?? String(err) })),
    (err) => log.debug("client error", { error: err.message }),
  );
}

/**
 * Binary-mode CloudEvent (what KServe's logger and Knative deliver), decoded directly: attributes from the ce-*
 * headers, the content type as `datacontenttype`, the body left as text for the caller to parse with its depth bound.
 * `missing` lists the required attributes (id, source, type) absent or empty; the caller turns them into its error.
 */
export function binaryEventAttributes(headers: http.IncomingHttpHeaders, body: string): { attributes: Record<string, unknown>; missing: string[] } {
  const ev: Record<string, unknown> = {};
  for (const key in headers) {
    if (key.length > 3 && key.startsWith("ce-")) {
      const v = headers[key];
      ev[key.slice(3)] = Array.isArray(v) ? v.join(",") : v;
    }
  }
  const missing = ["id", "source", "type"].filter((a) => typeof ev[a] !== "string" || ev[a] === "");
  const contentType = String(headers["content-type"] ?? "");
  if (contentType !== "") ev.datacontenttype = contentType;
  if (body !== "") ev.data = body;
  return { attributes: ev, missing };
}

/** HTTP plumbing both modes share: bounded bodies, JSON with a depth bound, JSON errors, graceful close. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError } from "./errors";

/** True when JSON text nests arrays/objects deeper than `limit`: one iterative scan, before any parser runs. */
export function tooDeep(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function parseJson(text: string, what: string, maxDepth: number, model?: string): unknown {
  if (tooDeep(text, maxDepth)) throw new HttpError(400, "too_deep", `${what} nests JSON deeper than ${maxDepth} levels`, model);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, "malformed", `${what} is not valid JSON (${(err as Error).message})`, model);
  }
}

export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(new HttpError(413, "too_large", `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`));
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
        reject(new HttpError(413, "too_large", `request body exceeds the limit of ${maxBytes} bytes`));
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

export function sendError(res: http.ServerResponse, err: HttpError): void {
  if (res.headersSent) return;
  sendJson(res, err.status, { error: err.message, reason: err.reason }, { ...err.headers, ...(err.status === 413 ? { connection: "close" } : {}) });
}

export interface Listening {
  readonly server: http.Server;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  close(timeoutMs?: number): Promise<void>;
}

/** An http.Server with the same hardening as the monitor's: keep-alive past proxies' idle timeouts, 400 on bad HTTP. */
export function hardenedServer(handler: http.RequestListener, onClientError: (err: Error) => void): Listening {
  const server = http.createServer(handler);
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

/** Splits `req.url` into path and query. */
export function splitUrl(url: string | undefined): { path: string; query: URLSearchParams } {
  const u = url ?? "/";
  const q = u.indexOf("?");
  return { path: q < 0 ? u : u.slice(0, q), query: new URLSearchParams(q < 0 ? "" : u.slice(q + 1)) };
}

/** The explainer's own HTTP pieces (its error type); the plumbing both services share is in services/shared/http.ts. */
import type http from "node:http";
import { exceedsJsonDepth, readBody as readBoundedBody, sendJson } from "../../shared/http";
import { HttpError } from "./errors";

export function parseJson(text: string, what: string, maxDepth: number, model?: string): unknown {
  if (exceedsJsonDepth(text, maxDepth)) throw new HttpError(400, "too_deep", `${what} nests JSON deeper than ${maxDepth} levels`, model);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, "malformed", `${what} is not valid JSON (${(err as Error).message})`, model);
  }
}

/** The request body, at most maxBytes: beyond it a 413 `too_large` HttpError. */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return readBoundedBody(req, maxBytes, (message) => new HttpError(413, "too_large", message));
}

/** The JSON error reply: `{error, reason}`, the error's headers (retry-after), and connection: close after a 413. */
export function sendError(res: http.ServerResponse, err: HttpError): void {
  if (res.headersSent) return;
  sendJson(res, err.status, { error: err.message, reason: err.reason }, { ...err.headers, ...(err.status === 413 ? { connection: "close" } : {}) });
}

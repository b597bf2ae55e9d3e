/**
 * A test model server speaking KServe's v1 (`POST /v1/models/<name>:predict`) and v2 (`POST
 * /v2/models/<name>/infer`) protocols on 127.0.0.1, serving small known functions, so explanations can be
 * checked against ground truth. Counts calls and rows and keeps the Ce-Id headers it saw.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type ModelFn = (row: number[]) => number[];

export interface Fixture {
  url: string;
  calls: number;
  rows: number;
  ceIds: string[];
  /** Delay before answering (ms), for time-budget tests. */
  delayMs: number;
  /** When set, answer every predict with this status. */
  failWith?: number;
  close(): Promise<void>;
}

export async function startFixture(models: Record<string, ModelFn>): Promise<Fixture> {
  const state = { calls: 0, rows: 0, ceIds: [] as string[], delayMs: 0, failWith: undefined as number | undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
          res.end(text);
        };
        if (state.delayMs > 0) setTimeout(send, state.delayMs);
        else send();
      };
      const v1 = /^\/v1\/models\/([^/:]+):predict$/.exec(req.url ?? "");
      const v2 = /^\/v2\/models\/([^/]+)\/infer$/.exec(req.url ?? "");
      const name = v1?.[1] ?? v2?.[1];
      const fn = name ? models[name] : undefined;
      if (!fn) return answer(404, { error: `model ${name} not found` });
      state.calls++;
      if (typeof req.headers["ce-id"] === "string") state.ceIds.push(req.headers["ce-id"]);
      if (state.failWith) return answer(state.failWith, { error: "fixture failure" });
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (v1) {
        const rows = body.instances as number[][];
        state.rows += rows.length;
        return answer(200, { predictions: rows.map((r) => { const o = fn(r); return o.length === 1 ? o[0] : o; }) });
      }
      const t = body.inputs[0];
      const [n, d] = t.shape as number[];
      const rows = Array.from({ length: n }, (_, r) => (t.data as number[]).slice(r * d, r * d + d));
      state.rows += n;
      const outs = rows.map(fn);
      const k = outs[0].length;
      return answer(200, { model_name: name, outputs: [{ name: "output-0", shape: k === 1 ? [n] : [n, k], datatype: "FP64", data: outs.flat() }] });
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const fixture: Fixture = {
    url: `http://127.0.0.1:${port}`,
    get calls() { return state.calls; },
    set calls(v) { state.calls = v; },
    get rows() { return state.rows; },
    set rows(v) { state.rows = v; },
    get ceIds() { return state.ceIds; },
    set ceIds(v) { state.ceIds = v; },
    get delayMs() { return state.delayMs; },
    set delayMs(v) { state.delayMs = v; },
    get failWith() { return state.failWith; },
    set failWith(v) { state.failWith = v; },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fixture;
}

/**
 * The benchmark harness both services' benches use: a server spawned as a child process (it prints a
 * `{"msg":"listening","port":N}` log line), the trivial Node HTTP server that is each bench's floor (it reads the
 * body and answers a constant reply: the same runtime and loader as the service, nothing else), and a keep-alive
 * load driver with a warm-up and a deadline. Each bench keeps its own scenarios, messages and report lines.
 */
import http from "node:http";
import { spawn } from "node:child_process";

export interface Child {
  port: number;
  stop: () => Promise<void>;
}

/** Starts `node <args>` in `cwd` with `env` (plus PATH) and resolves with the port it logs; killed if it does not start in 20 s. */
export async function spawnServer(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start: ${args.join(" ")}`));
    }, 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /"msg":"listening","port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** The floor: a trivial Node HTTP server that reads the body and answers `status` with `body` (JSON when not empty). */
export function startTrivialServer(status: number, body: string, cwd: string): Promise<Child> {
  const source = `
const http = require("node:http");
const answer = ${JSON.stringify(body)};
const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    if (answer === "") { res.writeHead(${status}, { "content-length": 0 }); res.end(); }
    else { res.writeHead(${status}, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) }); res.end(answer); }
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ msg: "listening", port: server.address().port })));
process.on("SIGTERM", () => process.exit(0));
`;
  return spawnServer(["--import", "tsx", "-e", source], {}, cwd);
}

/** Polls GET /readyz until it answers 200 (up to 10 s). */
export async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (r?.status === 200) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`the server on port ${port} never became ready`);
}

export interface Run {
  rate: number;
  count: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
}

export interface Message {
  headers: Record<string, string>;
  body: string;
}

export interface DriveOptions {
  path: string;
  concurrency: number;
  /** The first `warmup` messages are sent untimed (JIT); the rest are timed. */
  warmup: number;
  /** Each pass (warm-up, timed) stops at this many ms even if messages are left. */
  deadlineMs: number;
  /** How a reply is counted in `statuses` (default: its status code). */
  statusKey?: (res: http.IncomingMessage) => string;
}

export const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** POSTs the messages in order with `concurrency` keep-alive connections. */
export async function drive(port: number, messages: Message[], o: DriveOptions): Promise<Run> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const statusKey = o.statusKey ?? ((res: http.IncomingMessage) => String(res.statusCode));
  const send = (msg: Message, timed: boolean) =>
    new Promise<void>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = http.request(
        { host: "127.0.0.1", port, method: "POST", path: o.path, agent, headers: { ...msg.headers, "content-length": String(Buffer.byteLength(msg.body)) } },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (timed) {
              latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
              const key = statusKey(res);
              statuses.set(key, (statuses.get(key) ?? 0) + 1);
            }
            resolve();
          });
        },
      );
      req.on("error", reject);
      req.end(msg.body);
    });
  const pass = async (from: number, to: number, timed: boolean): Promise<number> => {
    const deadline = Date.now() + o.deadlineMs;
    let next = from;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < to && Date.now() < deadline) await send(messages[next++], timed);
      }),
    );
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  await pass(0, o.warmup, false);
  const seconds = await pass(o.warmup, messages.length, true);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / seconds,
    count: latencies.length,
    seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies[latencies.length - 1],
    statuses: Object.fromEntries(statuses),
  };
}

/**
 * Benchmark: (1) HTTP throughput of a local monitor process fed KServe request
 * CloudEvents over loopback; (2) time of one drift check on a 1,000×20 window.
 * Bounded: 10,000 events, 32 in flight, aborts after 50 s. Loopback only.
 */
import http from "node:http";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudEvent, HTTP } from "cloudevents";
import { DriftDetector } from "../src/drift";
import { normalRows } from "../test/helpers";

const EVENTS = 10_000;
const CONCURRENCY = 32;
const FEATURES = 20;
const DEADLINE_MS = 50_000;
const LIMIT_MS = 50;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

async function startMonitor(configFile: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: join(__dirname, ".."),
    env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", MONITOR_CONFIG_FILE: configFile, MONITOR_SHUTDOWN_DELAY_MS: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("monitor did not start")), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /"msg":"listening","port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`monitor exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (r?.status === 200) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("monitor never became ready");
}

async function throughput(): Promise<void> {
  const names = Array.from({ length: FEATURES }, (_, j) => ({ name: `f${j}`, type: "numeric" }));
  // Config and reference go through files, as they would from a ConfigMap.
  const dir = mkdtempSync(join(tmpdir(), "monitor-bench-"));
  const referenceFile = join(dir, "reference.json");
  writeFileSync(referenceFile, JSON.stringify(normalRows(1, 1000, FEATURES)));
  const config = {
    models: {
      bench: {
        features: names,
        task: "classification",
        reference: { file: referenceFile },
        drift: { windowSize: 1000, minSamples: 50, pValue: 0.05, correction: "fdr" },
      },
    },
  };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  const monitor = await startMonitor(join(dir, "config.json"));
  try {
    await waitReady(monitor.port);
    const rows = normalRows(2, EVENTS, FEATURES);
    // Serialise up front so the client spends its time on I/O, not JSON.
    const messages = rows.map((row, i) =>
      HTTP.binary(
        new CloudEvent({
          id: `bench-${i}`,
          type: "org.kubeflow.serving.inference.request",
          source: "http://localhost:9081/",
          inferenceservicename: "bench",
          namespace: "bench",
          component: "predictor",
          datacontenttype: "application/json",
          data: { instances: [row] },
        }),
      ),
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const latencies: number[] = [];
    const statuses = new Map<string, number>();
    let next = 0;
    const deadline = Date.now() + DEADLINE_MS;
    const send = (i: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const msg = messages[i];
        const body = msg.body as string;
        const t0 = process.hrtime.bigint();
        const req = http.request(
          {
            host: "127.0.0.1",
            port: monitor.port,
            method: "POST",
            path: "/",
            agent,
            headers: { ...(msg.headers as Record<string, string>), "content-length": String(Buffer.byteLength(body)) },
          },
          (res) => {
            res.resume();
            res.on("end", () => {
              latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
              const key = `${res.statusCode}${res.headers["ce-type"] ? ` ${res.headers["ce-type"]}` : ""}`;
              statuses.set(key, (statuses.get(key) ?? 0) + 1);
              resolve();
            });
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const worker = async (): Promise<void> => {
      while (next < EVENTS && Date.now() < deadline) await send(next++);
    };
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    console.log(`throughput: ${latencies.length} request events (1 instance × ${FEATURES} features, drift window 1000, check after every event), concurrency ${CONCURRENCY}, keep-alive`);
    console.log(`  ${(latencies.length / seconds).toFixed(0)} events/s over ${seconds.toFixed(2)} s`);
    console.log(`  latency p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms, max ${latencies[latencies.length - 1].toFixed(2)} ms`);
    console.log(`  replies ${JSON.stringify(Object.fromEntries(statuses))}`);
    if (latencies.length < EVENTS) console.log(`  stopped at the ${DEADLINE_MS / 1000} s deadline`);
  } finally {
    await monitor.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function driftCheck(): boolean {
  const features = Array.from({ length: FEATURES }, (_, j) => ({ name: `f${j}`, type: "numeric" as const }));
  let pass = true;
  for (const refRows of [1000, 10_000]) {
    const det = new DriftDetector(features, normalRows(3, refRows, FEATURES), { windowSize: 1000, minSamples: 50, pValue: 0.05, correction: "bonferroni" });
    det.add(normalRows(4, 1000, FEATURES, [0.05]));
    const extra = normalRows(5, 200, FEATURES);
    for (let k = 0; k < 5; k++) det.check(); // warm-up (JIT)
    const checks: number[] = [];
    const perEvent: number[] = [];
    for (let k = 0; k < 200; k++) {
      let t0 = process.hrtime.bigint();
      det.check();
      checks.push(Number(process.hrtime.bigint() - t0) / 1e6);
      // What a request event costs the detector: slide the window by one row, then check.
      t0 = process.hrtime.bigint();
      det.add([extra[k]]);
      det.check();
      perEvent.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const ms = median(checks);
    const ok = ms < LIMIT_MS;
    pass &&= ok;
    console.log(
      `drift check 1000×${FEATURES} window vs ${refRows} reference rows: median ${ms.toFixed(3)} ms over ${checks.length} runs ` +
        `(add 1 row + check: ${median(perEvent).toFixed(3)} ms) — ${ok ? "PASS" : "FAIL"} (< ${LIMIT_MS} ms)`,
    );
  }
  return pass;
}

async function main(): Promise<void> {
  const pass = driftCheck();
  await throughput();
  if (!pass) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

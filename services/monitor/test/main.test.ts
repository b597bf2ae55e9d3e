import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { kserveEvent, metric, normalRows, postEvent } from "./helpers";

const root = join(__dirname, "..");

function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" log line; stderr: ${stderr}`)), 20_000);
    child.stdout.on("data", () => {
      const m = /"msg":"listening","port":(\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      reject(new Error(`exited early; stderr: ${stderr}`));
    });
  });
  return { child, port, output: () => ({ stdout, stderr }) };
}

test("main: serves from MONITOR_CONFIG and exits cleanly on SIGTERM", async () => {
  const config = {
    models: {
      iris: { features: [{ name: "a", type: "numeric" }, { name: "b", type: "numeric" }], task: "classification", reference: { inline: normalRows(900, 200, 2) } },
    },
  };
  const p = launch({ MONITOR_CONFIG: JSON.stringify(config), LOG_LEVEL: "info", MONITOR_SHUTDOWN_DELAY_MS: "300" });
  try {
    const base = `http://127.0.0.1:${await p.port}`;
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await fetch(`${base}/readyz`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(ready, 200);
    const r = await postEvent(base, kserveEvent({ id: "m-1", model: "iris", data: { instances: [[0, 0]] } }));
    assert.equal(r.status, 202);
    assert.equal(await metric(base, "inferstack_monitor_events_total", { model: "iris", type: "request" }), 1);
    assert.ok(((await metric(base, "process_resident_memory_bytes")) ?? 0) > 0, "default process metrics");
    const exited = once(p.child, "exit");
    p.child.kill("SIGTERM");
    // During the drain delay requests are still served but readiness fails.
    await new Promise((r) => setTimeout(r, 100));
    const draining = await fetch(`${base}/readyz`);
    assert.equal(draining.status, 503);
    assert.equal(((await draining.json()) as { status: string }).status, "draining");
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const [code] = await exited;
    assert.equal(code, 0, p.output().stderr);
    assert.match(p.output().stdout, /"msg":"shutting down","signal":"SIGTERM","delay_ms":300/);
  } finally {
    p.child.kill("SIGKILL");
  }
});

test("main: an invalid config exits 1 with a message naming the key", async () => {
  const bad = { models: { iris: { features: [{ name: "a", type: "numeric" }], task: "classification", reference: { inline: [[1], [2]] }, drift: { pValue: 5 } } } };
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", PORT: "0", MONITOR_CONFIG: JSON.stringify(bad) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = await once(child, "exit");
  assert.equal(code, 1);
  assert.match(stderr, /models\.iris\.drift\.pValue/);
});

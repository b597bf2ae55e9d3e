/**
 * Benchmark: explanations per second of a local explainer process (KernelSHAP, config from EXPLAINER_CONFIG_FILE,
 * KServe's arguments) calling a local model server process over KServe's v1 protocol, for 4 features (exact, 14
 * coalitions) and 20 features (sampled, 512 coalitions by default), side by side in the same run with two floors
 * measured the same way:
 * - a trivial Node HTTP server that reads the same explain request and answers a constant JSON (the HTTP floor);
 * - the model server called directly with the same batches the explainer sends (the predictor's own row rate).
 * The ratios, not the absolute rates, are the figures to compare across machines. Bounded: each scenario times a
 * fixed number of explanations after a warm-up, every run stops at a 40 s deadline. Loopback only.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { instanceCost, planCoalitions } from "../src/kernelShap";
import { normalRows } from "../test/random";
import { drive as driveMessages, spawnServer as spawnIn, startTrivialServer, waitReady, type Run } from "../../shared/bench/harness";

const CONCURRENCY = 4;
const DEADLINE_MS = 40_000;
const BACKGROUND = 50;

const SCENARIOS = [
  { name: "4 features (exact)", model: "lin4", features: 4, explanations: 400, warmup: 40, trivialRequests: 4000 },
  { name: "20 features (sampled, 512 coalitions)", model: "lin20", features: 20, explanations: 30, warmup: 4, trivialRequests: 4000 },
];

const spawnServer = (args: string[], env: NodeJS.ProcessEnv) => spawnIn(args, env, join(__dirname, ".."));

/** POSTs the JSON bodies to path with CONCURRENCY keep-alive connections; the first `warmup` are not timed. */
const drive = (port: number, path: string, bodies: string[], warmup: number): Promise<Run> =>
  driveMessages(port, bodies.map((body) => ({ headers: { "content-type": "application/json" }, body })), { path, concurrency: CONCURRENCY, warmup, deadlineMs: DEADLINE_MS });

const line = (label: string, unit: string, r: Run, extra = "") =>
  `  ${label}: ${r.rate.toFixed(1)} ${unit} (${r.count} in ${r.seconds.toFixed(2)} s), p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, replies ${JSON.stringify(r.statuses)}${extra}`;

async function main(): Promise<void> {
  const predictor = await spawnServer(["--import", "tsx", "bench/predictor.ts"], {});
  // The HTTP floor: reads the body, answers a constant explanation-shaped JSON.
  const trivial = await startTrivialServer(200, JSON.stringify({ explanations: [{ attributions: [] }] }), join(__dirname, ".."));
  let failed = false;
  try {
    for (const sc of SCENARIOS) {
      const features = Array.from({ length: sc.features }, (_, j) => `f${j}`);
      const dir = mkdtempSync(join(tmpdir(), "explainer-bench-"));
      writeFileSync(join(dir, "background.json"), JSON.stringify(normalRows(1, 500, sc.features)));
      const config = { features, background: { file: join(dir, "background.json") }, backgroundSize: BACKGROUND, maxPredictorCalls: 1000, timeoutMs: 60_000 };
      writeFileSync(join(dir, "config.json"), JSON.stringify(config));
      const plan = planCoalitions(sc.features, { maxExactFeatures: 10, samples: 512, seed: 0 });
      const cost = instanceCost(plan, BACKGROUND, 2000);
      const explainer = await spawnServer(
        ["--import", "tsx", "src/main.ts", "--model_name", sc.model, "--predictor_host", `127.0.0.1:${predictor.port}`, "--http_port", "0"],
        { EXPLAINER_CONFIG_FILE: join(dir, "config.json"), HOST: "127.0.0.1", LOG_LEVEL: "info", SHUTDOWN_DELAY_MS: "0" },
      );
      try {
        await waitReady(explainer.port);
        const bodies = normalRows(2, sc.warmup + sc.explanations, sc.features).map((x) => JSON.stringify({ instances: [x] }));
        // The predictor's own rate on the explainer's batches: rows of the same width, 2000 per call (or fewer).
        const batchRows = Math.min(2000, cost.rows);
        const batches = Array.from({ length: 8 }, (_, i) => JSON.stringify({ instances: normalRows(10 + i, batchRows, sc.features) }));
        const callsWanted = Math.max(300, Math.ceil((sc.explanations * cost.rows) / batchRows / 2));
        const direct = await drive(predictor.port, `/v1/models/${sc.model}:predict`, Array.from({ length: 10 + callsWanted }, (_, i) => batches[i % batches.length]), 10);
        const floor = await drive(trivial.port, `/v1/models/${sc.model}:explain`, Array.from({ length: sc.trivialRequests }, (_, i) => bodies[i % bodies.length]), 200);
        const ex = await drive(explainer.port, `/v1/models/${sc.model}:explain`, bodies, sc.warmup);
        if (ex.statuses["200"] !== ex.count) failed = true;
        const directRows = direct.rate * batchRows;
        const explainerRows = ex.rate * cost.rows;
        console.log(
          `explain, ${sc.name}: 1 instance per request, background ${BACKGROUND} rows, ${plan.masks.length} coalitions -> ${cost.rows} predictor rows in ${cost.calls} call(s) per explanation, ` +
            `concurrency ${CONCURRENCY}, keep-alive, ${sc.explanations} timed after ${sc.warmup} warm-up`,
        );
        console.log(line("trivial Node server   ", "req/s", floor));
        console.log(line("predictor, called directly", "calls/s", direct, `, ${batchRows} rows per call = ${Math.round(directRows)} rows/s`));
        console.log(line("explainer             ", "explanations/s", ex, ` = ${Math.round(explainerRows)} predictor rows/s`));
        console.log(`  ratio explainer/trivial ${(ex.rate / floor.rate).toFixed(4)}; explainer's predictor rows/s over the predictor's own: ${(explainerRows / directRows).toFixed(2)}`);
      } finally {
        await explainer.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await Promise.all([predictor.stop(), trivial.stop()]);
  }
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

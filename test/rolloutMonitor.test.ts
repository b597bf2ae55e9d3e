/**
 * Issue #14: canary attribution end to end, monitor → Prometheus → the rollout's quality queries.
 *
 * The real monitor (services/monitor, from source) runs with the config the platform builds for the dev stack and is
 * scraped every second by a real Prometheus with the `model-monitor` PodMonitor's target labels. It receives
 * CloudEvents as KServe v0.20's logger sends them with `logger.metadataAnnotations: [inferstack.io/model-version]`
 * (binary mode, the `annotations` extension naming the version): the stable version's traffic is drawn from the
 * reference sample with correct labels, the canary's from a shifted population (the reference rows with the largest
 * petal_length) with wrong labels. The rollout's own quality queries (tools/rollout/queries.ts), run against that
 * Prometheus, must tell the two versions apart: drift and lower accuracy for the canary only.
 *
 * Needs `prometheus` (Debian package); without it the suite is skipped with one loud line.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { monitorConfig } from "../components/monitoring/modelMonitor";
import { modelVersionAnnotation } from "../components/models/rolloutSchema";
import { repoRoot } from "../tools/renderStack";
import { PrometheusHttp } from "../tools/rollout/analysis";
import * as q from "../tools/rollout/queries";
import { parseWithoutRollout } from "../tools/rollout/rollout";
import { Proc, freePort, hasCommand, http, sleep, startProcess, waitFor } from "./e2e/harness";
import { stackFileConfig } from "./helpers";
import { seededRandom as rng } from "../services/shared/random";

const skip = hasCommand("prometheus") ? false : "prometheus not found: install the Debian package `prometheus` (CI's .ci/run does)";
if (skip) console.error(`\n!!! SKIPPING test/rolloutMonitor.test.ts (canary attribution through the real monitor and Prometheus): ${skip} !!!\n`);

const STABLE = "5ab1e0000001";
const CANARY = "ca9a70000002";

describe("canary attribution: real monitor, real Prometheus, the rollout's quality queries", { skip, timeout: 60_000 }, () => {
    const procs: Proc[] = [];
    let dir = "";
    let prom: PrometheusHttp;
    let monitorUrl = "";
    let reference: number[][] = [];
    const model = "sklearn-iris";
    const details = () => procs.map((p) => `--- ${p.name} ---\n${p.tail()}`).join("\n");

    before(
        async () => {
            dir = mkdtempSync(path.join(tmpdir(), "inferstack-rollout-monitor-"));
            const raw = Object.fromEntries(Object.entries(stackFileConfig("dev")).filter(([k]) => k.startsWith("inferstack:")).map(([k, v]) => [k.slice("inferstack:".length), v]));
            const platform = parseWithoutRollout(raw);
            const config = monitorConfig(platform.models.filter((m) => m.monitoring?.enabled).map((m) => ({ name: m.name, settings: m.monitoring! })));
            reference = (config.models[model].reference as { inline: number[][] }).inline;
            writeFileSync(path.join(dir, "monitor.json"), JSON.stringify(config));
            const [monitorPort, promPort] = [await freePort(), await freePort()];
            monitorUrl = `http://127.0.0.1:${monitorPort}`;
            procs.push(
                startProcess("monitor", process.execPath, ["--import", "tsx", path.join(repoRoot, "services", "monitor", "src", "main.ts")], {
                    cwd: repoRoot,
                    env: { ...process.env, MONITOR_CONFIG_FILE: path.join(dir, "monitor.json"), MONITOR_CONFIG: "", PORT: String(monitorPort), HOST: "127.0.0.1", LOG_LEVEL: "warn", MONITOR_SHUTDOWN_DELAY_MS: "0" },
                    limitSeconds: 90,
                }),
            );
            const ns = platform.modelNamespace;
            writeFileSync(
                path.join(dir, "prometheus.yml"),
                yaml.dump({
                    global: { scrape_interval: "1s", scrape_timeout: "1s" },
                    scrape_configs: [{ job_name: `podMonitor/${ns}/model-monitor/0`, static_configs: [{ targets: [`127.0.0.1:${monitorPort}`], labels: { job: `${ns}/model-monitor`, namespace: ns, pod: "model-monitor-00001-deployment-7d9f8c6b5-x2x7q", container: "monitor" } }] }],
                }),
            );
            procs.push(
                startProcess("prometheus", "prometheus", [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"], { cwd: dir, limitSeconds: 90 }),
            );
            prom = new PrometheusHttp(`http://127.0.0.1:${promPort}`);
            await waitFor("the monitor's /readyz", 30_000, async () => ((await http(`${monitorUrl}/readyz`, {}, 1000)).status === 200 ? true : undefined), 200, details);
            await waitFor("Prometheus /-/ready", 30_000, async () => ((await http(`${prom.url}/-/ready`, {}, 1000)).status === 200 ? true : undefined), 200, details);
        },
        { timeout: 40_000 },
    );

    after(async () => {
        await Promise.all(procs.map((p) => p.kill()));
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("the canary version's drift and accuracy, apart from stable's, through the rollout's queries", async (t) => {
        const random = rng(1400);
        const predict = (row: number[]) => (row[2] < 2.5 ? 0 : row[2] < 4.9 ? 1 : 2);
        const upper = [...reference].sort((a, b) => b[2] - a[2]).slice(0, Math.floor(reference.length / 3));
        const send = async (id: string, version: string, pool: number[][], wrong: boolean) => {
            const instances = Array.from({ length: 5 }, () => pool[Math.floor(random() * pool.length)]);
            const predictions = instances.map(predict);
            const headers = (type: string) => ({
                "content-type": "application/json",
                "ce-specversion": "1.0",
                "ce-type": type,
                "ce-source": "http://localhost:9081/",
                "ce-id": id,
                "ce-inferenceservicename": model,
                "ce-namespace": "inferstack-models",
                "ce-component": "predictor",
                "ce-endpoint": "",
                "ce-metadata": "{}",
                "ce-annotations": JSON.stringify({ [modelVersionAnnotation]: version }),
            });
            for (const [type, body] of [
                ["org.kubeflow.serving.inference.request", { instances }],
                ["org.kubeflow.serving.inference.response", { predictions }],
            ] as const) {
                const r = await http(`${monitorUrl}/`, { method: "POST", headers: headers(type), body: JSON.stringify(body) });
                assert.ok(r.status === 200 || r.status === 202, r.text);
            }
            const truth = predictions.map((p) => (wrong ? (p + 1) % 3 : p));
            const fb = await http(`${monitorUrl}/feedback`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, id, truth }) });
            assert.equal(fb.status, 200, fb.text);
        };
        // 90 % stable, 10 % canary, as at the first step; every 2nd canary answer is labelled wrong.
        // Spread over several scrapes, so the counters' increase() has samples to compare.
        for (let i = 0; i < 600; i++) {
            if (i % 10 === 0) await send(`c-${i}`, CANARY, upper, i % 20 === 0);
            else await send(`s-${i}`, STABLE, reference, false);
            if (i % 100 === 99) await sleep(1200);
        }
        const at = () => new Date();
        const value = async (expr: string) => prom.query(expr, at());
        // Every series the quality checks read, scraped for both versions.
        await waitFor(
            "per-version series in Prometheus",
            20_000,
            async () => {
                const v = await Promise.all([STABLE, CANARY].flatMap((ver) => [value(q.versionDrift(model, ver)), value(q.versionFeedbackCount(model, ver)), value(q.versionAccuracy(model, ver))]));
                return v.every((x) => x !== null) && v[1]! >= 50 && v[4]! >= 50 ? true : undefined;
            },
            500,
            details,
        );
        const [driftS, driftC, accS, accC, nC, outS, outC] = await Promise.all([
            value(q.versionDrift(model, STABLE)),
            value(q.versionDrift(model, CANARY)),
            value(q.versionAccuracy(model, STABLE)),
            value(q.versionAccuracy(model, CANARY)),
            value(q.versionFeedbackCount(model, CANARY)),
            value(q.versionOutlierRate(model, STABLE, "1m")),
            value(q.versionOutlierRate(model, CANARY, "1m")),
        ]);
        assert.equal(driftS, 0, "stable: no drift");
        assert.equal(driftC, 1, "canary: drift in its own window");
        assert.equal(accS, 1, "stable: correct labels");
        assert.ok(accC! >= 0.4 && accC! <= 0.6, `canary accuracy about 0.5: ${accC}`);
        assert.equal(nC, 300, "60 canary requests × 5 labels");
        // Outlier ratios are defined for both (instances scored over the interval); reference-like rows are rarely outliers.
        assert.ok(outS !== null && outS >= 0 && outS < 0.05, `stable outlier rate ${outS}`);
        assert.ok(outC !== null && outC >= 0 && outC <= 1, `canary outlier rate ${outC}`);
        t.diagnostic(`stable: drift ${driftS}, accuracy ${accS}, outlier rate ${outS}; canary: drift ${driftC}, accuracy ${accC} over ${nC} labels, outlier rate ${outC}`);
    });
});

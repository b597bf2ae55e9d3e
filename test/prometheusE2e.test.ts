/**
 * Issue 11, item 3: end-to-end test with a real Prometheus.
 *
 * - Starts the real monitor service from source (`node --import tsx services/monitor/src/main.ts`) with the config
 *   the platform writes for the dev stack (`monitorConfig()` of the dev stack's parsed config, checked equal to the
 *   rendered `model-monitor-config` ConfigMap), on a free 127.0.0.1 port, and waits for `/readyz`.
 * - Starts Prometheus (Debian package `prometheus`) on a free 127.0.0.1 port with a temp TSDB, scraping the
 *   monitor's /metrics every second with the target labels the rendered PodMonitor gives (`job`
 *   `<namespace>/<podmonitor>`, `namespace`, `pod`, `container`, `instance`), evaluating every second the dev
 *   render's PrometheusRule groups of the monitored models, time-compressed (below).
 * - Drives the monitor with the CloudEvents KServe's logger sends (binary mode, v1 `instances`/`predictions`,
 *   `ce-id` = request id, `ce-inferenceservicename`) and labels through `POST /feedback`:
 *   1. clean traffic (rows resampled from each model's reference sample, i.e. drawn from the reference
 *      distribution, with correct labels) until every monitor rule judges real data and then for longer than the
 *      longest `for:`: no inferstack alert may be pending or firing at any moment (/api/v1/alerts polled every
 *      second, the `ALERTS` series over the whole phase, /api/v1/rules: every rule healthy and inactive);
 *   2. faults: sklearn-iris gets drifted traffic (a change of population mix inside the reference's support: rows
 *      resampled only from the reference rows with petal_length above its median; correct labels) →
 *      `InferstackModelDriftDetected` fires, while its outlier and accuracy alerts must never become active;
 *      xgboost-iris gets traffic with every 10th instance far outside the reference (10 % > the 5 % alert) and
 *      wrong labels → `InferstackModelOutlierRateHigh` and `InferstackModelAccuracyLow` fire.
 *      Asserted through Prometheus's HTTP API (`/api/v1/alerts`, state `firing`).
 *
 * Time compression (test/e2e/timeCompression.ts, tested below): every duration in the rules is divided by 60, so
 * a minute becomes a second: range selectors (`[10m]` → `[10s]`, `[5m]` → `[5s]`), subquery ranges and
 * resolutions (`[7d:5m]` → `[10080s:5s]`), `offset`s, each rule's `for:` (`10m` → `10s`, `15m` → `15s`) and a
 * group's `interval:`. Thresholds, metric names, matchers, aggregations and `on`/`by` label logic, labels and
 * annotations are unchanged. Scrape and evaluation intervals are 1 s.
 *
 * Needs `prometheus` and `promtool` (Debian package `prometheus`; `.ci/run` installs it). Without them the suite
 * is skipped with one loud line. Every process runs under `timeout -s KILL` in its own process group and is killed
 * in `after`, so nothing outlives the test; the whole file has a hard timeout.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { monitorConfig } from "../components/monitoring/modelMonitor";
import { parsePlatformConfig } from "../stacks/config";
import { renderStack, repoRoot, stackConfig } from "../tools/renderStack";
import { PrometheusApi, Proc, freePort, hasCommand, http, sleep, startProcess, waitFor } from "./e2e/harness";
import { RuleGroup, compressDuration, compressExpr, compressRuleGroups, parseDuration } from "./e2e/timeCompression";
import { stackFileConfig } from "./helpers";
import { seededRandom as rng } from "../services/shared/random";

const missing = ["prometheus", "promtool"].filter((c) => !hasCommand(c));
const skip = missing.length > 0 ? `${missing.join(" and ")} not found: install the Debian package \`prometheus\` (CI's .ci/run does)` : false;
if (skip) console.error(`\n!!! SKIPPING test/prometheusE2e.test.ts (real-Prometheus e2e): ${skip} !!!\n`);

/** A minute of the rules becomes a second of the test. */
const FACTOR = 60;
/** Scrape and rule evaluation interval (s). */
const INTERVAL_S = 1;
/** No child process lives longer than this (s), whatever happens to the test process. */
const PROCESS_LIMIT_S = 170;

const REQUEST = "org.kubeflow.serving.inference.request";
const RESPONSE = "org.kubeflow.serving.inference.response";

describe("time compression of the alert rules (every duration / factor, nothing else)", () => {
    it("parses and formats Prometheus durations", () => {
        assert.equal(parseDuration("10m"), 600_000);
        assert.equal(parseDuration("1h30m"), 5_400_000);
        assert.equal(parseDuration("7d"), 604_800_000);
        assert.equal(parseDuration("250ms"), 250);
        assert.throws(() => parseDuration("10"), /not a Prometheus duration/);
        assert.throws(() => parseDuration("1.5m"), /not a Prometheus duration/);
        assert.equal(compressDuration("10m", 60), "10s");
        assert.equal(compressDuration("15m", 60), "15s");
        assert.equal(compressDuration("1h", 60), "60s");
        assert.equal(compressDuration("7d", 60), "10080s");
        assert.equal(compressDuration("30s", 60), "500ms");
        assert.equal(compressDuration("0s", 60), "0s");
    });

    it("compresses ranges, subqueries and offsets, and leaves thresholds, matchers and strings alone", () => {
        assert.equal(
            compressExpr('sum(rate(x_total{model="m"}[10m])) / sum(rate(y_total{model="m"}[10m])) > 0.05', 60),
            'sum(rate(x_total{model="m"}[10s])) / sum(rate(y_total{model="m"}[10s])) > 0.05',
        );
        assert.equal(compressExpr("min_over_time((a and on (model) b >= 50)[7d:5m]) > 2", 60), "min_over_time((a and on (model) b >= 50)[10080s:5s]) > 2");
        assert.equal(compressExpr("max_over_time(a[1h:]) offset 1h", 60), "max_over_time(a[60s:]) offset 60s");
        assert.equal(compressExpr("increase(a[1h30m])", 60), "increase(a[90s])");
        // Durations inside strings (regex matchers, even ones that look like ranges) stay as they are.
        assert.equal(compressExpr('rate(a{code=~"[45]..", note="[5m]", q=\'[1h]\'}[5m])', 60), 'rate(a{code=~"[45]..", note="[5m]", q=\'[1h]\'}[5s])');
        assert.equal(compressExpr('a{x="say \\"[5m]\\""}[5m]', 60), 'a{x="say \\"[5m]\\""}[5s]');
        // Without durations an expression is returned byte for byte.
        const plain = 'max(inferstack_drift_detected{model="sklearn-iris"}) == 1';
        assert.equal(compressExpr(plain, 60), plain);
    });

    it("changes only `for`, `interval` and the durations of each expr in a rule group", () => {
        const groups: RuleGroup[] = [
            {
                name: "g",
                interval: "1m",
                rules: [{ alert: "A", expr: "rate(a[10m]) > 0.5", for: "15m", labels: { severity: "x" }, annotations: { summary: "over [10m]" } }, { record: "r", expr: "sum(a)" }],
            },
        ];
        const out = compressRuleGroups(groups, 60);
        assert.deepEqual(out, [
            {
                name: "g",
                interval: "1s",
                rules: [{ alert: "A", expr: "rate(a[10s]) > 0.5", for: "15s", labels: { severity: "x" }, annotations: { summary: "over [10m]" } }, { record: "r", expr: "sum(a)" }],
            },
        ]);
        assert.equal(groups[0].rules[0].for, "15m", "the input is not modified");
    });
});

// ------------------------------------------------------------------------------------------------------------
// Traffic: the CloudEvents KServe's logger sends, and feedback.
// ------------------------------------------------------------------------------------------------------------

/** A stand-in for the served model's answer (iris-like classes by petal length): the monitor only joins it. */
const predict = (row: number[]) => (row[2] < 2.5 ? 0 : row[2] < 4.9 ? 1 : 2);

type Mode = "clean" | "drift" | "outliers";

class ModelTraffic {
    private readonly random: () => number;
    private readonly mean: number[];
    private readonly sd: number[];
    /** Reference rows with petal_length above the reference median (drifted traffic is drawn from these only). */
    private readonly upperHalf: number[][];
    private instances = 0;
    private seq = 0;
    mode: Mode = "clean";
    wrongLabels = false;
    sent = { requests: 0, instances: 0, outliers: 0, feedback: 0 };

    constructor(
        readonly model: string,
        readonly namespace: string,
        private readonly reference: number[][],
        seed: number,
    ) {
        this.random = rng(seed);
        const d = reference[0].length;
        this.mean = Array.from({ length: d }, (_, j) => reference.reduce((s, r) => s + r[j], 0) / reference.length);
        const median = [...reference.map((r) => r[2])].sort((a, b) => a - b)[Math.floor(reference.length / 2)];
        this.upperHalf = reference.filter((r) => r[2] > median);
        this.sd = Array.from({ length: d }, (_, j) => Math.sqrt(reference.reduce((s, r) => s + (r[j] - this.mean[j]) ** 2, 0) / (reference.length - 1)));
    }

    /**
     * One instance: a reference row drawn at random (the reference distribution); in drift mode from the upper half
     * by petal_length only; in outlier mode every 10th is replaced by a point 8 standard deviations out.
     */
    private row(): number[] {
        const pool = this.mode === "drift" ? this.upperHalf : this.reference;
        const row = pool[Math.floor(this.random() * pool.length)];
        this.instances++;
        if (this.mode === "outliers" && this.instances % 10 === 0) {
            this.sent.outliers++;
            return this.mean.map((m, j) => +(m + (j % 2 === 0 ? 8 : -8) * this.sd[j]).toFixed(3));
        }
        return row.map((v) => +v.toFixed(3));
    }

    /** One inference: request event (5 instances), response event, then the labels for it. */
    async step(monitor: string): Promise<string | undefined> {
        const id = `${this.model}-${++this.seq}`;
        const instances = Array.from({ length: 5 }, () => this.row());
        const predictions = instances.map(predict);
        const ce = (type: string) => ({
            "content-type": "application/json",
            "ce-specversion": "1.0",
            "ce-type": type,
            "ce-source": `http://localhost:9081/`,
            "ce-id": id,
            "ce-time": new Date().toISOString(),
            "ce-inferenceservicename": this.model,
            "ce-namespace": this.namespace,
            "ce-component": "predictor",
            "ce-endpoint": "",
        });
        const req = await http(`${monitor}/`, { method: "POST", headers: ce(REQUEST), body: JSON.stringify({ instances }) });
        if (req.status !== 200 && req.status !== 202) return `request ${id}: ${req.status} ${req.text.slice(0, 300)}`;
        const res = await http(`${monitor}/`, { method: "POST", headers: ce(RESPONSE), body: JSON.stringify({ predictions }) });
        if (res.status !== 202) return `response ${id}: ${res.status} ${res.text.slice(0, 300)}`;
        const truth = predictions.map((p) => (this.wrongLabels ? (p + 1) % 3 : p));
        const fb = await http(`${monitor}/feedback`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: this.model, id, truth }) });
        if (fb.status !== 200) return `feedback ${id}: ${fb.status} ${fb.text.slice(0, 300)}`;
        this.sent.requests++;
        this.sent.instances += instances.length;
        this.sent.feedback += truth.length;
        return undefined;
    }
}

/** Sends one inference per model every `tickMs` until stopped; the first failure stops it and is kept. */
class TrafficLoop {
    private stopped = false;
    failure: string | undefined;
    private readonly done: Promise<void>;

    constructor(monitor: string, models: ModelTraffic[], tickMs = 100) {
        this.done = (async () => {
            while (!this.stopped) {
                const started = Date.now();
                try {
                    const errors = (await Promise.all(models.map((m) => m.step(monitor)))).filter((e) => e !== undefined);
                    if (errors.length > 0) {
                        this.failure = errors.join("; ");
                        return;
                    }
                } catch (err) {
                    this.failure = (err as Error).message;
                    return;
                }
                await sleep(Math.max(0, tickMs - (Date.now() - started)));
            }
        })();
    }

    async stop(): Promise<void> {
        this.stopped = true;
        await this.done;
    }
}

// ------------------------------------------------------------------------------------------------------------
// The end-to-end test.
// ------------------------------------------------------------------------------------------------------------

describe("real Prometheus: the rendered rules on the real monitor's metrics", { skip, timeout: 110_000 }, () => {
    const procs: Proc[] = [];
    let dir = "";
    let loop: TrafficLoop | undefined;
    let monitorUrl = "";
    let prom: PrometheusApi;
    let models: ModelTraffic[] = [];
    let groupNames: string[] = [];
    let alertNames: string[] = [];
    let longestForMs = 0;
    const started = Date.now();
    const details = () => procs.map((p) => `--- ${p.name} (last output) ---\n${p.tail()}`).join("\n");

    before(
        async () => {
            dir = mkdtempSync(path.join(tmpdir(), "inferstack-prom-e2e-"));

            // The dev stack's config, parsed as the program reads it; the monitor config the platform builds from it.
            const raw = Object.fromEntries(
                Object.entries(stackConfig("inferstack", stackFileConfig("dev")))
                    .filter(([k]) => k.startsWith("inferstack:"))
                    .map(([k, v]) => {
                        let value: unknown = v;
                        try {
                            value = JSON.parse(v);
                        } catch {
                            // plain strings stay strings
                        }
                        return [k.slice("inferstack:".length), value];
                    }),
            );
            const platform = parsePlatformConfig(raw);
            const monitored = platform.models.filter((m) => m.monitoring?.enabled).map((m) => ({ name: m.name, settings: m.monitoring! }));
            const config = monitorConfig(monitored);

            const render = await renderStack("dev");
            const cm = render.manifests.find((m) => m.kind === "ConfigMap" && m.metadata.name === "model-monitor-config") as any;
            assert.deepEqual(JSON.parse(cm.data["config.json"]), JSON.parse(JSON.stringify(config)), "the config built here is the one the dev render deploys");
            const podMonitor = render.manifests.find((m) => m.kind === "PodMonitor" && m.metadata.name === "model-monitor") as any;
            assert.ok(podMonitor, "the dev render has the monitor's PodMonitor");
            const namespace = String(podMonitor.metadata.namespace);
            const metricsPath = String(podMonitor.spec.podMetricsEndpoints[0].path ?? "/metrics");

            // The monitor's rules (the adversarial detector's are promtool-tested in test/adversarial.test.ts).
            const rules = (render.manifests.filter((m) => m.kind === "PrometheusRule") as any[]).filter(
                (pr) => monitored.some((m) => m.name === pr.metadata.labels?.["inferstack.io/model"]) && pr.metadata.labels?.["app.kubernetes.io/name"] !== "adversarial-detector",
            );
            assert.equal(rules.length, monitored.length, "one PrometheusRule per monitored model");
            const groups = compressRuleGroups(rules.flatMap((pr) => pr.spec.groups as RuleGroup[]), FACTOR);
            groupNames = groups.map((g) => g.name);
            alertNames = [...new Set(groups.flatMap((g) => g.rules.map((r) => r.alert!)))];
            longestForMs = Math.max(...groups.flatMap((g) => g.rules.map((r) => parseDuration(r.for ?? "0s"))));
            for (const a of ["InferstackModelDriftDetected", "InferstackModelOutlierRateHigh", "InferstackModelAccuracyLow"]) assert.ok(alertNames.includes(a), `rendered rules have ${a}`);
            writeFileSync(path.join(dir, "rules.yaml"), yaml.dump({ groups }, { lineWidth: -1 }));
            const check = spawnSync("promtool", ["check", "rules", path.join(dir, "rules.yaml")], { encoding: "utf8", timeout: 20_000 });
            assert.equal(check.status, 0, `promtool check rules on the compressed rules:\n${check.stdout}${check.stderr}`);

            // The monitor, from source, as the Knative Service runs it (config file, PORT), on loopback only.
            writeFileSync(path.join(dir, "monitor-config.json"), JSON.stringify(config, null, 2));
            const [monitorPort, promPort] = [await freePort(), await freePort()];
            monitorUrl = `http://127.0.0.1:${monitorPort}`;
            procs.push(
                startProcess("monitor", process.execPath, ["--import", "tsx", path.join(repoRoot, "services", "monitor", "src", "main.ts")], {
                    cwd: repoRoot,
                    env: { ...process.env, MONITOR_CONFIG_FILE: path.join(dir, "monitor-config.json"), MONITOR_CONFIG: "", PORT: String(monitorPort), HOST: "127.0.0.1", LOG_LEVEL: "warn", MONITOR_SHUTDOWN_DELAY_MS: "0" },
                    limitSeconds: PROCESS_LIMIT_S,
                }),
            );

            // Prometheus: the target labels prometheus-operator gives a PodMonitor target (job <ns>/<podmonitor>).
            const promConfig = {
                global: { scrape_interval: `${INTERVAL_S}s`, scrape_timeout: `${INTERVAL_S}s`, evaluation_interval: `${INTERVAL_S}s` },
                rule_files: [path.join(dir, "rules.yaml")],
                scrape_configs: [
                    {
                        job_name: `podMonitor/${namespace}/${podMonitor.metadata.name}/0`,
                        metrics_path: metricsPath,
                        static_configs: [
                            {
                                targets: [`127.0.0.1:${monitorPort}`],
                                labels: { job: `${namespace}/${podMonitor.metadata.name}`, namespace, pod: "model-monitor-00001-deployment-7d9f8c6b5-x2x7q", container: "monitor" },
                            },
                        ],
                    },
                ],
            };
            writeFileSync(path.join(dir, "prometheus.yml"), yaml.dump(promConfig));
            const checkConfig = spawnSync("promtool", ["check", "config", path.join(dir, "prometheus.yml")], { encoding: "utf8", timeout: 20_000 });
            assert.equal(checkConfig.status, 0, `promtool check config:\n${checkConfig.stdout}${checkConfig.stderr}`);
            procs.push(
                startProcess(
                    "prometheus",
                    "prometheus",
                    [
                        `--config.file=${path.join(dir, "prometheus.yml")}`,
                        `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
                        `--web.listen-address=127.0.0.1:${promPort}`,
                        "--storage.tsdb.retention.time=1h",
                        "--log.level=warn",
                    ],
                    { cwd: dir, limitSeconds: PROCESS_LIMIT_S },
                ),
            );
            prom = new PrometheusApi(`http://127.0.0.1:${promPort}`);

            await waitFor("the monitor's /readyz", 30_000, async () => ((await http(`${monitorUrl}/readyz`, {}, 1000)).status === 200 ? true : undefined), 200, details);
            await waitFor("Prometheus /-/ready", 30_000, async () => ((await http(`${prom.base}/-/ready`, {}, 1000)).status === 200 ? true : undefined), 200, details);
            await waitFor("the monitor target to be scraped (up)", 15_000, async () => ((await prom.targets()).some((t) => t.health === "up") ? true : undefined), 250, details);
            const target = (await prom.targets())[0];
            for (const l of ["namespace", "pod", "container", "job", "instance"]) assert.ok(target.labels[l], `target label ${l}`);

            models = monitored.map((m, i) => new ModelTraffic(m.name, namespace, (config.models[m.name].reference as { inline: number[][] }).inline, 1100 + i));
        },
        { timeout: 60_000 },
    );

    after(async () => {
        // Runs on failure too: stop the traffic, SIGKILL both process groups, remove the temp dir.
        await loop?.stop().catch(() => undefined);
        await Promise.all(procs.map((p) => p.kill()));
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Inferstack alerts active now, as "alertname model state". */
    async function activeAlerts(): Promise<string[]> {
        return (await prom.alerts()).filter((a) => alertNames.includes(a.labels.alertname)).map((a) => `${a.labels.alertname} ${a.labels.model} ${a.state}`);
    }

    it("clean traffic from the reference distribution with correct labels: no alert pending or firing", { timeout: 60_000 }, async (t) => {
        const phaseStart = Date.now();
        loop = new TrafficLoop(monitorUrl, models);
        // Every monitor rule must be judging real data: drift checked, outlier ratio defined, enough labels.
        await waitFor(
            "the monitor's rules to have input (drift checked, instances scored, >= 50 labels) for every model",
            30_000,
            async () => {
                if (loop!.failure) throw new Error(`traffic failed: ${loop!.failure}`);
                for (const m of models) {
                    const sel = `model="${m.model}"`;
                    const ready = await Promise.all([
                        prom.query(`inferstack_drift_detected{${sel}}`),
                        prom.query(`sum(rate(inferstack_scored_instances_total{${sel}}[${compressDuration("10m", FACTOR)}])) > 0`),
                        prom.query(`inferstack_feedback_window_count{${sel}} >= 50`),
                    ]);
                    if (ready.some((r) => r.length === 0)) return undefined;
                }
                return true;
            },
            500,
            details,
        );
        // Then longer than the longest `for:` of the rules, watching every evaluation.
        const seen = new Set<string>();
        const watchUntil = Date.now() + longestForMs + 3 * INTERVAL_S * 1000;
        while (Date.now() < watchUntil) {
            for (const a of await activeAlerts()) seen.add(a);
            assert.equal(loop.failure, undefined, `traffic failed: ${loop.failure}`);
            await sleep(1000);
        }
        await loop.stop();
        loop = undefined;
        for (const a of await activeAlerts()) seen.add(a);
        assert.deepEqual([...seen], [], "no inferstack alert may be pending or firing on clean traffic");

        const phaseSeconds = Math.ceil((Date.now() - phaseStart) / 1000) + 2;
        const everActive = await prom.query(`count by (alertname, model, alertstate) (count_over_time(ALERTS{alertname=~"Inferstack.+"}[${phaseSeconds}s]))`);
        assert.deepEqual(everActive.map((s) => s.metric), [], "ALERTS over the clean phase is empty");
        const groups = (await prom.ruleGroups()).filter((g) => groupNames.includes(g.name));
        assert.deepEqual(groups.map((g) => g.name).sort(), [...groupNames].sort(), "Prometheus loaded every rendered group");
        for (const g of groups) {
            for (const r of g.rules) {
                assert.equal(r.health, "ok", `${g.name} ${r.name}: ${r.lastError}`);
                assert.equal(r.state, "inactive", `${g.name} ${r.name}`);
            }
        }
        const values: string[] = [];
        for (const m of models) {
            const sel = `model="${m.model}"`;
            const w = compressDuration("10m", FACTOR);
            const [drift, ratio, acc] = await Promise.all([
                prom.query(`inferstack_drift_detected{${sel}}`),
                prom.query(`sum(rate(inferstack_outlier_instances_total{${sel}}[${w}])) / sum(rate(inferstack_scored_instances_total{${sel}}[${w}]))`),
                prom.query(`inferstack_feedback_window_accuracy{${sel}}`),
            ]);
            values.push(`${m.model}: drift ${drift[0]?.value}, outlier ratio ${ratio[0]?.value ?? "(no outliers yet)"}, window accuracy ${acc[0]?.value}, sent ${JSON.stringify(m.sent)}`);
        }
        t.diagnostic(`clean phase ${((Date.now() - phaseStart) / 1000).toFixed(1)} s; ${values.join("; ")}`);
    });

    it("drift, outliers and wrong labels: each fires its alert", { timeout: 60_000 }, async (t) => {
        const phaseStart = Date.now();
        const [drifted, faulty] = models;
        assert.ok(drifted && faulty, "the dev stack monitors two models");
        drifted.mode = "drift";
        faulty.mode = "outliers";
        faulty.wrongLabels = true;
        loop = new TrafficLoop(monitorUrl, models);
        const expected = [
            `InferstackModelDriftDetected ${drifted.model}`,
            `InferstackModelOutlierRateHigh ${faulty.model}`,
            `InferstackModelAccuracyLow ${faulty.model}`,
        ];
        const firedAt: Record<string, number> = {};
        const seen = new Set<string>();
        await waitFor(
            `firing: ${expected.join(", ")}`,
            50_000,
            async () => {
                if (loop!.failure) throw new Error(`traffic failed: ${loop!.failure}`);
                const active = await activeAlerts();
                for (const a of active) seen.add(a);
                for (const e of expected) if (active.includes(`${e} firing`) && firedAt[e] === undefined) firedAt[e] = Date.now() - phaseStart;
                return expected.every((e) => firedAt[e] !== undefined) ? true : undefined;
            },
            1000,
            () => `active so far: ${[...seen].join(", ")}\n${details()}`,
        );
        await loop.stop();
        loop = undefined;
        // sklearn-iris's drift stays inside the reference's support and its labels stayed correct: only drift.
        assert.deepEqual([...seen].filter((a) => a.includes(` ${drifted.model} `) && !a.startsWith("InferstackModelDriftDetected ")), [], "drifted model: no other alert");
        // The alerts carry the rule's labels through Prometheus.
        const firing = (await prom.alerts()).filter((a) => a.state === "firing" && alertNames.includes(a.labels.alertname));
        for (const e of expected) {
            const [alertname, model] = e.split(" ");
            const a = firing.find((x) => x.labels.alertname === alertname && x.labels.model === model);
            assert.ok(a, `${e} firing`);
            assert.equal(a.labels.namespace, drifted.namespace);
            assert.ok(a.labels.severity);
        }
        t.diagnostic(
            `fired after (ms): ${JSON.stringify(firedAt)}; active seen: ${[...seen].sort().join(", ")}; sent since start ${models.map((m) => `${m.model} ${JSON.stringify(m.sent)}`).join("; ")}; total so far ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
    });
});

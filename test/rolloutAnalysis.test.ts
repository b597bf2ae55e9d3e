/**
 * Issue #14: the rollout's analysis and decisions against a real Prometheus.
 *
 * Prometheus (Debian package `prometheus`) starts on 127.0.0.1 with a TSDB backfilled by
 * `promtool tsdb create-blocks-from openmetrics` from synthetic series in the shape the platform's scrape produces
 * (test/fixtures/rollout/synthetic.ts): queue-proxy's request histogram with the target labels of the rendered
 * `knative-queue-proxy` PodMonitor and the revision labels its relabelings add, and the monitor's per-version
 * metrics with the `model-monitor` PodMonitor's target labels. Six models follow one rollout schedule (10 → 25 → 50 %,
 * 5 minutes each, starting three hours ago); each is rolled out by the real state machine (tools/rollout/rollout.ts)
 * with a fake of the Pulumi side and a virtual clock, querying Prometheus at the virtual time:
 * a healthy canary is promoted (and the config tidied), a canary with more 5xx, slower answers, drift or low
 * accuracy is rolled back, a canary with too little traffic holds.
 *
 * Also (no Prometheus needed): every query the analysis runs names only metrics of the catalogue
 * (test/upstream/metrics/catalogue.json, which lists the monitor's per-version metrics too) and only labels they carry.
 *
 * Set ROLLOUT_EXAMPLE_OUT=<file> to write the progress output and JSON reports of the runs (docs/rollout.md's example).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { revisionLabels } from "../components/monitoring/modelAlertRules";
import { rolloutSchema } from "../components/models/rolloutSchema";
import { renderStack, repoRoot } from "../tools/renderStack";
import { PrometheusHttp, analysisQueries } from "../tools/rollout/analysis";
import { selectorsIn } from "../tools/rollout/queries";
import { inferenceServiceType } from "../tools/rollout/stackOps";
import { EXIT, modelEntry, runRollout, type RolloutReport } from "../tools/rollout/rollout";
import { Proc, freePort, hasCommand, http, startProcess, waitFor } from "./e2e/harness";
import { FakeStackOps, VirtualClock } from "./fixtures/rollout/fakes";
import { ModelScenario, fastLatency, openMetrics, slowLatency } from "./fixtures/rollout/synthetic";
import { stackFileConfig } from "./helpers";

const missing = ["prometheus", "promtool"].filter((c) => !hasCommand(c));
const skip = missing.length > 0 ? `${missing.join(" and ")} not found: install the Debian package \`prometheus\` (CI's .ci/run does)` : false;
if (skip) console.error(`\n!!! SKIPPING test/rolloutAnalysis.test.ts (rollout analysis on a real Prometheus): ${skip} !!!\n`);

const PROCESS_LIMIT_S = 90;
const INTERVAL = "5m";
const INTERVAL_MS = 5 * 60_000;
/** The rollout starts three hours ago (whole minute), so every query is about the backfilled past. */
const T0 = Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000;

/** The canary's share over time when every step advances after one interval (10, 25, 50, then 100). */
function schedule(t: number): number {
    if (t < T0) return 0;
    const step = Math.floor((t - T0) / INTERVAL_MS);
    return [10, 25, 50][step] ?? 100;
}

const rolloutPolicy = {
    steps: [10, 25, 50, 100],
    interval: INTERVAL,
    minRequests: 100,
    maxHolds: 1,
    quality: { failOnDrift: true, maxOutlierRate: 0.05, minAccuracy: 0.8, minFeedback: 50 },
    checks: [{ name: "canary-serves", query: 'sum(rate(kn_serving_invocation_duration_seconds_count{namespace="{{namespace}}", kn_revision_name="{{canaryRevision}}"}[{{interval}}]))', op: ">", threshold: 0.1 }],
};

/** The dev stack's `inferstack:` config with the test models (copies of sklearn-iris with a canary and a policy). */
function rolloutConfig(names: string[]): Record<string, unknown> {
    const file = stackFileConfig("dev");
    const config = Object.fromEntries(Object.entries(file).filter(([k]) => k.startsWith("inferstack:")).map(([k, v]) => [k.slice("inferstack:".length), v]));
    const iris = (config["models"] as Record<string, unknown>[]).find((m) => m["name"] === "sklearn-iris")!;
    config["models"] = names.map((name) => ({ ...structuredClone(iris), name, canary: { storageUri: "s3://models/sklearn/iris/v2", trafficPercent: 10 }, rollout: structuredClone(rolloutPolicy) }));
    return config;
}

const quality = (version: string, over: Partial<{ drift: 0 | 1; outlierRate: number; accuracy: number }> = {}) => ({ version, drift: 0 as 0 | 1, outlierRate: 0.01, accuracy: 0.93, feedbackCount: 200, ...over });

interface Scenario {
    model: string;
    expect: { outcome: RolloutReport["outcome"]; exitCode: number; failed?: string[] };
    build: (s: { model: string; namespace: string; stableVersion: string; canaryVersion: string }) => ModelScenario;
}

const healthy = (s: { model: string; namespace: string; stableVersion: string; canaryVersion: string }): ModelScenario => ({
    model: s.model,
    namespace: s.namespace,
    rps: 10,
    percentAt: schedule,
    stable: { revision: `${s.model}-predictor-00001`, errorRatio: 0.002, latency: fastLatency },
    canary: { revision: `${s.model}-predictor-00002`, errorRatio: 0.002, latency: fastLatency },
    quality: { stable: quality(s.stableVersion), canary: quality(s.canaryVersion) },
});

const scenarios: Scenario[] = [
    { model: "healthy-iris", expect: { outcome: "promoted", exitCode: EXIT.promoted }, build: healthy },
    { model: "errors-iris", expect: { outcome: "rolled-back", exitCode: EXIT.rolledBack, failed: ["error-ratio", "error-ratio-vs-stable"] }, build: (s) => ({ ...healthy(s), canary: { ...healthy(s).canary, errorRatio: 0.05 } }) },
    { model: "slow-iris", expect: { outcome: "rolled-back", exitCode: EXIT.rolledBack, failed: ["p95-latency-ratio", "p99-latency-ratio"] }, build: (s) => ({ ...healthy(s), canary: { ...healthy(s).canary, latency: slowLatency } }) },
    { model: "drifted-iris", expect: { outcome: "rolled-back", exitCode: EXIT.rolledBack, failed: ["canary-drift"] }, build: (s) => ({ ...healthy(s), quality: { stable: quality(s.stableVersion), canary: quality(s.canaryVersion, { drift: 1 }) } }) },
    { model: "inaccurate-iris", expect: { outcome: "rolled-back", exitCode: EXIT.rolledBack, failed: ["canary-accuracy"] }, build: (s) => ({ ...healthy(s), quality: { stable: quality(s.stableVersion), canary: quality(s.canaryVersion, { accuracy: 0.62 }) } }) },
    { model: "quiet-iris", expect: { outcome: "held", exitCode: EXIT.held }, build: (s) => ({ ...healthy(s), rps: 0.05, percentAt: (t) => (t < T0 ? 0 : 10) }) },
];

// ------------------------------------------------------------------------------------------------------------
// The queries name only catalogued metrics and labels (no Prometheus needed).
// ------------------------------------------------------------------------------------------------------------

type Entry = { name: string; type: "counter" | "gauge" | "histogram"; labels: string[]; sources: string[]; scrapedBy: string[] };
const catalogue = JSON.parse(readFileSync(path.join(repoRoot, "test", "upstream", "metrics", "catalogue.json"), "utf8")) as { targetLabels: { labels: string[] }; metrics: Entry[] };
/** The monitor's per-version metrics, which attribute model quality to the canary's version. */
const perVersion = catalogue.metrics.filter((m) => m.name.startsWith("inferstack_version_"));

/** Series names of catalogue entries with the labels each carries (exported, target labels, PodMonitor relabelings). */
function knownSeries(entries: Entry[], relabelled: string[]): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const e of entries) {
        const base = [...e.labels, ...catalogue.targetLabels.labels, ...(e.scrapedBy.includes("knative-queue-proxy") ? relabelled : [])];
        if (e.type === "histogram") {
            out.set(`${e.name}_bucket`, new Set([...base, "le"]));
            out.set(`${e.name}_count`, new Set(base));
            out.set(`${e.name}_sum`, new Set(base));
        } else out.set(e.name, new Set(base));
    }
    return out;
}

/** One line per selector that names a metric or label the catalogue does not know. */
function unknownSelectors(queries: string[], known: Map<string, Set<string>>): string[] {
    const problems: string[] = [];
    for (const q of queries) {
        for (const s of selectorsIn(q)) {
            const labels = known.get(s.metric);
            if (!labels) problems.push(`${s.metric}: not in the metric catalogue (query: ${q})`);
            else for (const l of s.labels) if (!labels.has(l)) problems.push(`${s.metric} has no label ${l} (query: ${q})`);
        }
    }
    return problems;
}

describe("rollout queries use only catalogued metrics and labels", () => {
    const relabelled = Object.values(revisionLabels);
    const target = { model: "sklearn-iris", namespace: "inferstack-models", trafficPercent: 10, canaryRevision: "sklearn-iris-predictor-00002", stableRevision: "sklearn-iris-predictor-00001", canaryVersion: "0123456789ab", stableVersion: "ba9876543210", monitored: true };

    it("every query of a monitored model's analysis (serving, quality, a user check) names catalogued metrics and labels", () => {
        const queries = analysisQueries(target, rolloutSchema.parse(rolloutPolicy));
        assert.ok(queries.length >= 14, `all the analysis's queries (${queries.length})`);
        assert.deepEqual(unknownSelectors(queries, knownSeries(catalogue.metrics, relabelled)), []);
    });

    it("has teeth: an unknown metric or label is reported", () => {
        const known = knownSeries(catalogue.metrics, relabelled);
        assert.deepEqual(
            unknownSelectors(['sum(rate(kn_revision_request_count{namespace="x"}[5m]))', 'sum(rate(kn_serving_invocation_duration_seconds_count{revision_name="x"}[5m]))'], known).map((p) => p.split(" (")[0]),
            ["kn_revision_request_count: not in the metric catalogue", "kn_serving_invocation_duration_seconds_count has no label revision_name"],
        );
    });

    it("the per-version monitor metrics are in the catalogue as the monitor declares them", () => {
        const src = readFileSync(path.join(repoRoot, "services", "monitor", "src", "metrics.ts"), "utf8");
        assert.equal(perVersion.length, 5, perVersion.map((e) => e.name).join(", "));
        for (const e of perVersion) {
            const m = new RegExp(`new (Counter|Gauge|Histogram)\\(\\{\\s*name: "${e.name}"[\\s\\S]*?labelNames: \\[([^\\]]*)\\]`).exec(src);
            assert.ok(m, `${e.name} is not declared in services/monitor/src/metrics.ts`);
            assert.equal(m[1].toLowerCase(), e.type, e.name);
            assert.deepEqual([...m[2].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]).sort(), [...e.labels].sort(), e.name);
        }
    });
});

// ------------------------------------------------------------------------------------------------------------
// Decisions against a real Prometheus.
// ------------------------------------------------------------------------------------------------------------

describe("rollout decisions against a real Prometheus (backfilled with the platform's series)", { skip, timeout: 60_000 }, () => {
    const procs: Proc[] = [];
    let dir = "";
    let prom: PrometheusHttp;
    let config: Record<string, unknown>;
    const reports = new Map<string, { report: RolloutReport; progress: string[]; ops: FakeStackOps }>();
    const started = Date.now();

    before(
        async () => {
            dir = mkdtempSync(path.join(tmpdir(), "inferstack-rollout-"));
            // The scrape's shape from the dev render: the PodMonitors' namespace (job = <namespace>/<name>) and the
            // labels the queue-proxy PodMonitor's relabelings add.
            config = rolloutConfig(scenarios.map((s) => s.model));
            // Rendered without `rollout` (the render does not read it; until the model schema has the key it refuses it).
            const renderConfig = Object.fromEntries(Object.entries(stackFileConfig("dev")).filter(([k]) => !k.startsWith("inferstack:")));
            for (const [k, v] of Object.entries(config)) renderConfig[`inferstack:${k}`] = k === "models" ? (v as Record<string, unknown>[]).map(({ rollout: _r, ...m }) => m) : v;
            const render = await renderStack("dev", { config: renderConfig });
            // The URNs a targeted update of each model names (its ModelService and InferenceService), from the render.
            const urns = (model: string) => {
                const isvc = render.resources.find((r) => r.type === inferenceServiceType && (r.inputs["metadata"] as { name: string }).name === model)!;
                return [isvc.parent!, isvc.urn];
            };
            const pm = (name: string) => render.manifests.find((m) => m.kind === "PodMonitor" && m.metadata.name === name) as any;
            const qp = pm("knative-queue-proxy");
            const mon = pm("model-monitor");
            assert.ok(qp && mon, "the dev render has the queue-proxy and monitor PodMonitors");
            const relabel = (podLabel: string) => qp.spec.podMetricsEndpoints[0].relabelings.find((r: any) => r.sourceLabels[0] === `__meta_kubernetes_pod_label_${podLabel.replace(/[^a-zA-Z0-9_]/g, "_")}`).targetLabel as string;
            const shape = {
                queueProxyJob: `${qp.metadata.namespace}/${qp.metadata.name}`,
                monitorJob: `${mon.metadata.namespace}/${mon.metadata.name}`,
                // The monitor's PodMonitor lives in its pods' namespace (no namespaceSelector).
                monitorNamespace: String(mon.spec.namespaceSelector?.matchNames?.[0] ?? mon.metadata.namespace),
                revisionLabels: { revision: relabel("serving.knative.dev/revision"), service: relabel("serving.knative.dev/service"), configuration: relabel("serving.knative.dev/configuration") },
            };

            const series = scenarios.map((s) => {
                const e = modelEntry(config, s.model);
                return s.build({ model: s.model, namespace: e.namespace, stableVersion: e.stableVersion, canaryVersion: e.canaryVersion! });
            });
            writeFileSync(path.join(dir, "series.om"), openMetrics(series, shape, T0 - 15 * 60_000, T0 + 40 * 60_000));
            const backfill = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", path.join(dir, "series.om"), path.join(dir, "tsdb")], { encoding: "utf8", timeout: 30_000 });
            assert.equal(backfill.status, 0, `promtool backfill:\n${backfill.stdout}${backfill.stderr}`);

            writeFileSync(path.join(dir, "prometheus.yml"), yaml.dump({ global: { scrape_interval: "15s", evaluation_interval: "15s" } }));
            const port = await freePort();
            procs.push(
                startProcess(
                    "prometheus",
                    "prometheus",
                    [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`, "--storage.tsdb.retention.time=30d", "--log.level=warn"],
                    { cwd: dir, limitSeconds: PROCESS_LIMIT_S },
                ),
            );
            prom = new PrometheusHttp(`http://127.0.0.1:${port}`);
            const details = () => procs.map((p) => `--- ${p.name} ---\n${p.tail()}`).join("\n");
            await waitFor("Prometheus /-/ready", 30_000, async () => ((await http(`${prom.url}/-/ready`, {}, 1000)).status === 200 ? true : undefined), 200, details);
            // The backfilled blocks are loaded: the healthy canary's series answer at the first analysis time.
            await waitFor("the backfilled series", 15_000, async () => ((await prom.query('count(kn_serving_invocation_duration_seconds_count{kn_revision_name="healthy-iris-predictor-00002"})', new Date(T0 + INTERVAL_MS))) ? true : undefined), 250, details);

            for (const s of scenarios) {
                const clock = new VirtualClock(T0);
                const ops = new FakeStackOps("dev", structuredClone(config), clock, urns);
                const progress: string[] = [];
                const report = await runRollout({ model: s.model, dryRun: false, readyTimeoutMs: 60_000 }, { ops, prometheus: prom, clock, progress: (l) => progress.push(l) });
                reports.set(s.model, { report, progress, ops });
            }
            const out = process.env["ROLLOUT_EXAMPLE_OUT"];
            if (out) {
                writeFileSync(out, "");
                for (const [model, r] of reports) appendFileSync(out, `### ${model}\n${r.progress.join("\n")}\noutcome: ${r.report.outcome}, exit ${r.report.exitCode}\n\n${JSON.stringify(r.report, null, 2)}\n\n`);
            }
        },
        { timeout: 50_000 },
    );

    after(async () => {
        await Promise.all(procs.map((p) => p.kill()));
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const get = (model: string) => reports.get(model)!;

    it("a healthy canary advances 10 → 25 → 50 on passing checks, is promoted and the config tidied", (t) => {
        const { report, ops } = get("healthy-iris");
        assert.equal(report.outcome, "promoted", report.error ?? report.events.map((e) => e.message).join("\n"));
        assert.equal(report.exitCode, EXIT.promoted);
        assert.deepEqual(report.analyses.map((a) => [a.trafficPercent, a.decision]), [[10, "advance"], [25, "advance"], [50, "advance"]]);
        for (const a of report.analyses) {
            assert.deepEqual(a.checks.filter((c) => c.status !== "pass").map((c) => `${c.name} ${c.status} ${c.detail}`), [], `every check passes at ${a.trafficPercent}%`);
            const names = a.checks.map((c) => c.name);
            for (const n of ["canary-requests", "error-ratio", "error-ratio-vs-stable", "p95-latency-ratio", "p99-latency-ratio", "canary-drift", "canary-outlier-rate", "canary-accuracy", "canary-serves"]) assert.ok(names.includes(n), `${n} judged`);
        }
        // The values Prometheus computed from the series: 10 rps, the canary's share of 5 minutes.
        const requests = report.analyses.map((a) => a.checks.find((c) => c.name === "canary-requests")!.value!);
        for (const [i, pct] of [10, 25, 50].entries()) assert.ok(Math.abs(requests[i] - 10 * (pct / 100) * 300) / (10 * (pct / 100) * 300) < 0.1, `canary requests at ${pct}%: ${requests[i]}`);
        // The stack config: stable is the canary's version, no canary left; the policy stays.
        const model = (ops.config["models"] as any[]).find((m) => m.name === "healthy-iris");
        assert.deepEqual(model.stable, { storageUri: "s3://models/sklearn/iris/v2" });
        assert.equal(model.canary, undefined);
        assert.deepEqual(model.rollout, rolloutPolicy);
        assert.deepEqual(
            ops.calls.filter((c) => c.op !== "status").map((c) => (c.op === "update" ? `update: ${c.args[1]}` : `${c.op} ${JSON.stringify(c.args.slice(1))}`)),
            [
                "update: rollout healthy-iris: canary at 10%",
                "setTrafficPercent [25]",
                "update: rollout healthy-iris: canary at 25%",
                "setTrafficPercent [50]",
                "update: rollout healthy-iris: canary at 50%",
                "setTrafficPercent [100]",
                "update: rollout healthy-iris: promote",
                'promoteInConfig [{"storageUri":"s3://models/sklearn/iris/v2"}]',
                "update: rollout healthy-iris: tidy config after promotion",
            ],
        );
        t.diagnostic(`Prometheus-backed rollouts: ${((Date.now() - started) / 1000).toFixed(1)} s since start`);
    });

    for (const s of scenarios.filter((x) => x.expect.outcome === "rolled-back")) {
        it(`${s.model}: rolled back at the first step, failing ${s.expect.failed!.join(" and ")}`, () => {
            const { report, ops } = get(s.model);
            assert.equal(report.outcome, "rolled-back", report.error ?? report.events.map((e) => e.message).join("\n"));
            assert.equal(report.exitCode, EXIT.rolledBack);
            assert.equal(report.analyses.length, 1);
            const [a] = report.analyses;
            assert.equal(a.decision, "rollback");
            assert.deepEqual(a.checks.filter((c) => c.status === "fail").map((c) => c.name), s.expect.failed);
            // Everything else passed: the failure is the one the series carry.
            assert.deepEqual(a.checks.filter((c) => c.status !== "pass" && c.status !== "fail").map((c) => c.name), []);
            assert.equal(((ops.config["models"] as any[]).find((m) => m.name === s.model).canary as any).trafficPercent, 0, "canary.trafficPercent 0 in the stack config");
            assert.deepEqual(ops.calls.filter((c) => c.op === "setTrafficPercent").map((c) => c.args[1]), [0]);
            assert.equal(ops.calls.filter((c) => c.op === "update").at(-1)!.args[1], `rollout ${s.model}: roll back`);
        });
    }

    it("too little traffic holds (nothing judged), then stops as held after maxHolds, the canary left at its step", () => {
        const { report, ops } = get("quiet-iris");
        assert.equal(report.outcome, "held");
        assert.equal(report.exitCode, EXIT.held);
        assert.deepEqual(report.analyses.map((a) => a.decision), ["hold", "hold"]);
        for (const a of report.analyses) {
            const traffic = a.checks.find((c) => c.name === "canary-requests")!;
            assert.equal(traffic.status, "hold");
            assert.ok(traffic.value! < 100, `canary requests ${traffic.value}`);
            assert.deepEqual(a.checks.filter((c) => c.name !== "canary-requests" && c.status !== "skipped").map((c) => c.name), [], "nothing else is judged on too little traffic");
        }
        assert.equal(((ops.config["models"] as any[]).find((m) => m.name === "quiet-iris").canary as any).trafficPercent, 10);
        assert.deepEqual(ops.calls.filter((c) => c.op === "setTrafficPercent"), []);
        // The second hold was judged one interval later (the virtual clock moved on).
        assert.equal(Date.parse(report.analyses[1].at) - Date.parse(report.analyses[0].at), INTERVAL_MS);
    });

    it("--dry-run analyses the current step once and changes nothing", async () => {
        const clock = new VirtualClock(T0 + INTERVAL_MS);
        const ops = new FakeStackOps("dev", structuredClone(config), clock);
        const errors = await runRollout({ model: "errors-iris", dryRun: true, readyTimeoutMs: 1000 }, { ops, prometheus: prom, clock, progress: () => undefined });
        assert.equal(errors.outcome, "dry-run");
        assert.equal(errors.wouldDo, "rollback");
        assert.equal(errors.exitCode, EXIT.rolledBack);
        const ok = await runRollout({ model: "healthy-iris", dryRun: true, readyTimeoutMs: 1000 }, { ops, prometheus: prom, clock, progress: () => undefined });
        assert.equal(ok.wouldDo, "advance");
        assert.equal(ok.exitCode, EXIT.promoted);
        assert.deepEqual(ops.calls.filter((c) => c.op !== "status").map((c) => c.op), [], "no config change, no update");
        assert.deepEqual(ops.config, config);
    });

    it("a Prometheus that does not answer is an operational failure (exit 5), the canary untouched", async () => {
        const clock = new VirtualClock(T0);
        const ops = new FakeStackOps("dev", structuredClone(config), clock);
        const port = await freePort();
        const r = await runRollout({ model: "healthy-iris", dryRun: false, readyTimeoutMs: 1000 }, { ops, prometheus: new PrometheusHttp(`http://127.0.0.1:${port}`, 2000), clock, progress: () => undefined });
        assert.equal(r.outcome, "failed");
        assert.equal(r.exitCode, EXIT.operational);
        assert.match(r.error!, /did not answer/);
        assert.equal(((ops.config["models"] as any[]).find((m) => m.name === "healthy-iris").canary as any).trafficPercent, 10);
    });
});


/**
 * Issue 11, item 2: `promtool test rules` for every alert the platform renders. For each alert, realistic input
 * series (named and labelled as test/upstream/metrics/catalogue.json says the pinned components export them, plus
 * the labels the scraping monitor adds) where it must fire, and clean series where it must stay silent.
 *
 * Needs promtool (Debian package `prometheus`; `.ci/run` installs it). Without it the suite is skipped with one
 * loud line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { modelAlertRules, minFeedbackLabels } from "../components/monitoring/modelAlertRules";
import { Render, renderStack, repoRoot } from "../tools/renderStack";

const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" });
const skip = promtool.error ? "promtool not found: install the Debian package `prometheus` (CI's .ci/run does)" : false;
if (skip) console.error(`\n!!! SKIPPING test/alertRules.test.ts: ${skip} !!!\n`);

const catalogue = JSON.parse(readFileSync(path.join(repoRoot, "test", "upstream", "metrics", "catalogue.json"), "utf8"));
const catalogued = new Set<string>(
    catalogue.metrics.flatMap((m: any) => (m.type === "histogram" ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name])),
);

interface Rule {
    alert: string;
    expr: string;
    for?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
}

interface Case {
    name: string;
    series: { series: string; values: string }[];
    evalTime: string;
    /** Expected annotations' `$value` (when the description shows it). */
    value?: string;
    fires: boolean;
}

/** A series in promtool's notation; the metric name must be one the catalogue lists. */
function s(metric: string, labels: Record<string, string>, values: string) {
    assert.ok(catalogued.has(metric), `${metric} is not in the metric catalogue`);
    const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ");
    return { series: `${metric}{${l}}`, values };
}

/** The labels a series gets from its scrape (prometheus-operator PodMonitor target labels). */
function target(job: string, namespace: string, pod: string, container: string) {
    return { job, instance: `10.0.0.1:8080`, namespace, pod, container };
}

// Knative queue-proxy: bucket bounds of kn.serving.invocation.duration (knative/serving pkg/queue/request_metric.go).
const bounds = ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "+Inf"];

/** Cumulative request counters of one revision: `perMin` requests a minute, of which `slow` share take ~`slowSecs`. */
function revisionSeries(model: string, ns: string, revision: string, perMin: { ok: number; errors: number }, latency: { fast: number; slow: number; slowSecs: number }) {
    const labels = (extra: Record<string, string>) => ({
        ...target("monitoring/knative-queue-proxy", ns, `${revision}-deployment-abc`, "queue-proxy"),
        kn_revision_name: revision,
        kn_service_name: `${model}-predictor`,
        kn_configuration_name: `${model}-predictor`,
        otel_scope_name: "knative.dev/serving/pkg/queue",
        otel_scope_version: "",
        otel_scope_schema_url: "",
        ...extra,
    });
    const out = [];
    for (const [code, n] of [["200", perMin.ok], ["500", perMin.errors]] as const) {
        if (n === 0) continue;
        out.push(s("kn_serving_invocation_duration_seconds_count", labels({ http_response_status_code: code }), `0+${n}x90`));
        for (const le of bounds) {
            const fastIn = Number(le === "+Inf" ? Infinity : le) >= 0.05 ? latency.fast : 0;
            const slowIn = Number(le === "+Inf" ? Infinity : le) >= latency.slowSecs ? latency.slow : 0;
            out.push(s("kn_serving_invocation_duration_seconds_bucket", labels({ http_response_status_code: code, le }), `0+${((fastIn + slowIn) * n) / (latency.fast + latency.slow)}x90`));
        }
    }
    return out;
}

/** The fire and silent cases of one alert of one model. */
function cases(rule: Rule, model: string, ns: string, settings: { outlierRate: number; minAccuracy: number; maxP95: number }): Case[] {
    const mon = (metric: string, values: string, extra: Record<string, string> = {}) =>
        s(metric, { ...target(`${ns}/model-monitor`, ns, "model-monitor-00001-deployment-xyz", "monitor"), model, ...extra }, values);
    const stable = `${model}-predictor-00001`;
    const canary = `${model}-predictor-00002`;
    switch (rule.alert) {
        case "InferstackModelDriftDetected":
            return [
                { name: "drift flagged for 20m", series: [mon("inferstack_drift_detected", "0x5 1x30")], evalTime: "30m", fires: true },
                { name: "no drift", series: [mon("inferstack_drift_detected", "0x40")], evalTime: "30m", fires: false },
                { name: "drift for less than the for-window", series: [mon("inferstack_drift_detected", "0x20 1x5 0x10")], evalTime: "30m", fires: false },
            ];
        case "InferstackModelOutlierRateHigh": {
            const high = Math.round(settings.outlierRate * 100 * 3);
            const low = Math.max(0, Math.floor(settings.outlierRate * 100 * 0.5));
            return [
                { name: `${high}% outliers`, series: [mon("inferstack_scored_instances_total", "0+100x60"), mon("inferstack_outlier_instances_total", `0+${high}x60`)], evalTime: "40m", fires: true },
                { name: `${low}% outliers (clean traffic)`, series: [mon("inferstack_scored_instances_total", "0+100x60"), mon("inferstack_outlier_instances_total", `0+${low}x60`)], evalTime: "40m", fires: false },
                { name: "no traffic", series: [mon("inferstack_scored_instances_total", "0x60"), mon("inferstack_outlier_instances_total", "0x60")], evalTime: "40m", fires: false },
            ];
        }
        case "InferstackModelAccuracyLow": {
            const bad = Math.round((settings.minAccuracy - 0.3) * 100) / 100;
            return [
                {
                    name: `window accuracy ${bad} over ${minFeedbackLabels * 4} labels`,
                    series: [mon("inferstack_feedback_window_accuracy", `0.95x10 ${bad}x40`), mon("inferstack_feedback_window_count", `${minFeedbackLabels * 4}x50`), mon("inferstack_feedback_total", "0+20x50")],
                    evalTime: "40m",
                    value: String(bad),
                    fires: true,
                },
                {
                    name: "window accuracy 0.95",
                    series: [mon("inferstack_feedback_window_accuracy", "0.95x50"), mon("inferstack_feedback_window_count", `${minFeedbackLabels * 4}x50`), mon("inferstack_feedback_total", "0+20x50")],
                    evalTime: "40m",
                    fires: false,
                },
                {
                    name: `low accuracy on fewer than ${minFeedbackLabels} labels`,
                    series: [mon("inferstack_feedback_window_accuracy", `${bad}x50`), mon("inferstack_feedback_window_count", `${minFeedbackLabels - 1}x50`), mon("inferstack_feedback_total", `0x50`)],
                    evalTime: "40m",
                    fires: false,
                },
            ];
        }
        case "InferstackModelErrorHigh": {
            const full = `${minFeedbackLabels * 4}x300`;
            return [
                {
                    name: "window RMSE triples after 3h at a steady level",
                    series: [mon("inferstack_feedback_window_rmse", "0.5x180 1.5x120"), mon("inferstack_feedback_window_count", full), mon("inferstack_feedback_total", "0+5x300")],
                    evalTime: "4h",
                    fires: true,
                },
                {
                    name: "steady window RMSE with noise (clean traffic)",
                    series: [mon("inferstack_feedback_window_rmse", "0.5x60 0.6x60 0.45x60 0.55x60 0.5x60"), mon("inferstack_feedback_window_count", full), mon("inferstack_feedback_total", "0+5x300")],
                    evalTime: "4h",
                    fires: false,
                },
                {
                    // The first labels can give a near-zero RMSE by chance; that warm-up must not become the baseline.
                    name: "near-zero RMSE while the window fills up, then a steady level",
                    series: [mon("inferstack_feedback_window_rmse", "0.02x30 0.5x270"), mon("inferstack_feedback_window_count", `0+1x30 ${minFeedbackLabels * 4}x270`), mon("inferstack_feedback_total", "0+5x300")],
                    evalTime: "4h",
                    fires: false,
                },
                {
                    name: "high RMSE but no new labels for hours (stale window)",
                    series: [mon("inferstack_feedback_window_rmse", "0.5x180 1.5x120"), mon("inferstack_feedback_window_count", full), mon("inferstack_feedback_total", "0+5x150 750x150")],
                    evalTime: "4h",
                    fires: false,
                },
            ];
        }
        case "InferstackCanaryErrorRateWorse": {
            const fast = { fast: 1, slow: 0, slowSecs: 1 };
            return [
                {
                    name: "canary fails 10%, stable never",
                    series: [...revisionSeries(model, ns, stable, { ok: 900, errors: 0 }, fast), ...revisionSeries(model, ns, canary, { ok: 90, errors: 10 }, fast)],
                    evalTime: "30m",
                    fires: true,
                },
                {
                    name: "both revisions fail 0.5% (clean)",
                    series: [...revisionSeries(model, ns, stable, { ok: 995, errors: 5 }, fast), ...revisionSeries(model, ns, canary, { ok: 199, errors: 1 }, fast)],
                    evalTime: "30m",
                    fires: false,
                },
                {
                    name: "one revision only, failing 10% (no canary to compare)",
                    series: revisionSeries(model, ns, stable, { ok: 90, errors: 10 }, fast),
                    evalTime: "30m",
                    fires: false,
                },
            ];
        }
        case "InferstackCanaryLatencyWorse": {
            const slowSecs = Number(bounds.find((b) => b !== "+Inf" && Number(b) > settings.maxP95 * 1.5) ?? "10");
            return [
                {
                    name: `canary p95 above ${slowSecs / 2}s, stable fast`,
                    series: [
                        ...revisionSeries(model, ns, stable, { ok: 600, errors: 0 }, { fast: 1, slow: 0, slowSecs }),
                        ...revisionSeries(model, ns, canary, { ok: 60, errors: 0 }, { fast: 1, slow: 1, slowSecs }),
                    ],
                    evalTime: "40m",
                    fires: true,
                },
                {
                    name: "both revisions fast (clean)",
                    series: [...revisionSeries(model, ns, stable, { ok: 600, errors: 0 }, { fast: 1, slow: 0, slowSecs }), ...revisionSeries(model, ns, canary, { ok: 60, errors: 0 }, { fast: 1, slow: 0, slowSecs })],
                    evalTime: "40m",
                    fires: false,
                },
            ];
        }
        case "InferstackModelNotReady": {
            const cond = (type: string, values: string) =>
                s(
                    "kube_customresource_inferenceservice_status_condition",
                    {
                        job: "kube-state-metrics",
                        instance: "10.0.0.2:8080",
                        customresource_group: "serving.kserve.io",
                        customresource_version: "v1beta1",
                        customresource_kind: "InferenceService",
                        name: model,
                        namespace: ns,
                        type,
                    },
                    values,
                );
            return [
                { name: "Ready=False for 20m", series: [cond("Ready", "1x5 0x30"), cond("PredictorReady", "1x5 0x30")], evalTime: "30m", fires: true },
                { name: "Ready", series: [cond("Ready", "1x40"), cond("PredictorReady", "1x40")], evalTime: "30m", fires: false },
                { name: "not Ready for 5m only (rollout)", series: [cond("Ready", "1x20 0x5 1x10")], evalTime: "30m", fires: false },
            ];
        }
        default:
            throw new Error(`no promtool cases for alert ${rule.alert}: add them here`);
    }
}

function runPromtool(group: unknown, rule: Rule, list: Case[]): string {
    const dir = mkdtempSync(path.join(tmpdir(), "inferstack-ruletest-"));
    writeFileSync(path.join(dir, "rules.yaml"), yaml.dump(group));
    const expand = (text: string, value?: string) => text.replace(/\{\{\s*\$value\s*\}\}/g, value ?? "");
    const tests = list.map((c) => ({
        name: `${rule.alert}: ${c.name}`,
        interval: "1m",
        input_series: c.series,
        alert_rule_test: [
            {
                eval_time: c.evalTime,
                alertname: rule.alert,
                exp_alerts: c.fires ? [{ exp_labels: rule.labels, exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v, c.value)])) }] : [],
            },
        ],
    }));
    writeFileSync(path.join(dir, "tests.yaml"), yaml.dump({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests }, { lineWidth: -1 }));
    const r = spawnSync("promtool", ["test", "rules", path.join(dir, "tests.yaml")], { encoding: "utf8" });
    return r.status === 0 ? "" : `${r.stdout}${r.stderr}`;
}

const stacks = ["dev", "prod"] as const;
const renders: Partial<Record<(typeof stacks)[number], Render>> = {};

describe("promtool test rules: every rendered alert fires on faulty series and stays silent on clean ones", { skip }, () => {
    before(async () => {
        for (const st of stacks) renders[st] = await renderStack(st);
    });

    for (const st of stacks) {
        it(`${st} stack: every PrometheusRule`, () => {
            // The adversarial detector's rules have their own cases (test/adversarial.test.ts), for the rendered ones too.
            const rules = renders[st]!.manifests.filter((m) => m.kind === "PrometheusRule" && (m.metadata.labels as Record<string, string> | undefined)?.["app.kubernetes.io/name"] !== "adversarial-detector") as any[];
            assert.ok(rules.length > 0);
            const failures: string[] = [];
            for (const pr of rules) {
                const model = pr.metadata.labels["inferstack.io/model"];
                const ns = pr.metadata.namespace;
                for (const rule of pr.spec.groups.flatMap((g: any) => g.rules) as Rule[]) {
                    const p95 = /> ([0-9.]+)\)$/.exec(rule.expr);
                    const outlier = /> ([0-9.]+)$/.exec(rule.expr);
                    const acc = /< ([0-9.]+) and/.exec(rule.expr);
                    const settings = { maxP95: Number(p95?.[1] ?? 1), outlierRate: Number(outlier?.[1] ?? 0.05), minAccuracy: Number(acc?.[1] ?? 0.8) };
                    const out = runPromtool(pr.spec, rule, cases(rule, model, ns, settings));
                    if (out) failures.push(`${st} ${pr.metadata.name} ${rule.alert}:\n${out}`);
                }
            }
            assert.equal(failures.join("\n"), "");
        });
    }

    it("covers the regression rule (InferstackModelErrorHigh) and the serving-only rules of an unmonitored model", () => {
        const alerts = new Set<string>();
        for (const st of stacks) for (const pr of renders[st]!.manifests.filter((m) => m.kind === "PrometheusRule") as any[]) for (const g of pr.spec.groups) for (const r of g.rules) alerts.add(r.alert);
        assert.ok(alerts.has("InferstackModelErrorHigh"), "a shipped stack has a regression model");
        const plain = modelAlertRules({ model: "plain", namespace: "ns", maxP95LatencySeconds: 0.3 });
        for (const rule of plain.groups[0].rules as Rule[]) {
            const out = runPromtool(plain, rule, cases(rule, "plain", "ns", { maxP95: 0.3, outlierRate: 0.05, minAccuracy: 0.8 }));
            assert.equal(out, "", `${rule.alert}:\n${out}`);
        }
    });

    it("has teeth: a rule on the metric names Knative dropped in 1.19 fails its fire case", () => {
        const spec = modelAlertRules({ model: "m", namespace: "ns", maxP95LatencySeconds: 1 });
        const rule = spec.groups[0].rules.find((r) => r.alert === "InferstackCanaryErrorRateWorse")! as Rule;
        rule.expr = rule.expr.replaceAll("kn_serving_invocation_duration_seconds_count", "revision_request_count");
        const out = runPromtool(spec, rule, cases(rule, "m", "ns", { maxP95: 1, outlierRate: 0.05, minAccuracy: 0.8 }));
        assert.match(out, /FAILED/);
    });
});

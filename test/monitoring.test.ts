import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { modelAlertRules } from "../components/monitoring/modelAlertRules";
import { feedbackEventType, inferenceEventTypes, monitorConfig } from "../components/monitoring/modelMonitor";
import { parseConfig as parseMonitorConfig } from "../services/monitor/src/config";
import { modelSchema } from "../components/models/modelSchema";
import { Render, renderStack } from "../tools/renderStack";
import { devModelsWithoutMonitoring, manifest, renderDevWith } from "./helpers";

let dev: Render;
before(async () => {
    dev = await renderStack("dev");
});

/** Why the promtool checks cannot run here (undefined when promtool is installed; CI installs it). */
const promtoolMissing = spawnSync("promtool", ["--version"]).error ? "needs promtool: install the Debian package `prometheus` (CI's .ci/run does)" : undefined;

function promtoolCheck(spec: unknown): { status: number | null; output: string } {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "inferstack-rules-")), "rules.yaml");
    writeFileSync(file, yaml.dump(spec));
    const r = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
    if (r.error) throw new Error(`promtool is needed for this test (Debian package "prometheus"): ${r.error.message}`);
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("model monitoring (dev stack)", () => {
    it("runs one monitor Knative Service, pinned, kept at exactly one replica", () => {
        const svc = manifest(dev, "Service", "model-monitor") as any;
        assert.equal(svc.apiVersion, "serving.knative.dev/v1");
        const annotations = svc.spec.template.metadata.annotations;
        assert.equal(annotations["autoscaling.knative.dev/min-scale"], "1");
        assert.equal(annotations["autoscaling.knative.dev/max-scale"], "1");
        assert.match(annotations["inferstack.io/config-sha256"], /^[a-f0-9]{64}$/);
        const c = svc.spec.template.spec.containers[0];
        assert.match(c.image, /:\d+\.\d+\.\d+$/);
        assert.deepEqual(c.envFrom, [{ secretRef: { name: "kserve-s3-credentials" } }]);
        assert.ok(c.env.some((e: any) => e.name === "S3_ENDPOINT" && e.value === "http://minio.inferstack-storage.svc.cluster.local:9000"));
    });

    it("feeds it with Triggers on the request/response events of each monitored model, with a dead-letter sink", () => {
        const all = dev.manifests.filter((m) => m.kind === "Trigger") as any[];
        // The adversarial detector's Trigger (test/adversarial.test.ts) is the only other one.
        assert.deepEqual(all.filter((t) => t.spec.subscriber.ref.name !== "model-monitor").map((t) => t.metadata.name), ["sklearn-iris-adversarial"]);
        const triggers = all.filter((t) => t.spec.subscriber.ref.name === "model-monitor");
        assert.deepEqual(triggers.map((t) => t.metadata.name).sort(), ["monitor-feedback", "sklearn-iris-requests", "sklearn-iris-responses", "xgboost-iris-requests", "xgboost-iris-responses"]);
        for (const t of triggers) {
            assert.equal(t.spec.broker, "default");
            assert.deepEqual(t.spec.subscriber.ref, { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "model-monitor" });
            assert.deepEqual(t.spec.delivery.deadLetterSink.ref, { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "default-dead-letter" });
            const type = t.spec.filter.attributes.type;
            // Only inference events and feedback reach the monitor: its own io.inferstack.monitor.* replies never loop back.
            assert.ok([...inferenceEventTypes, feedbackEventType].includes(type), type);
            if (type !== feedbackEventType) assert.equal(t.spec.filter.attributes.inferenceservicename, t.metadata.name.replace(/-(requests|responses)$/, ""));
            // Knative applies `filters` when set: the same match, minus the explainer's and detector's own calls.
            assert.deepEqual(t.spec.filters, [{ exact: t.spec.filter.attributes }, { not: { prefix: { id: "inferstack-" } } }]);
        }
    });

    it("hands the monitor each model's features, reference and thresholds", () => {
        const cm = manifest(dev, "ConfigMap", "model-monitor-config") as any;
        const cfg = JSON.parse(cm.data["config.json"]);
        assert.deepEqual(Object.keys(cfg.models).sort(), ["sklearn-iris", "xgboost-iris"]);
        const iris = cfg.models["sklearn-iris"];
        assert.deepEqual(iris.features.map((f: any) => f.name), ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
        assert.equal(iris.reference.inline.length, 100, "enough rows for outlierQuantile 0.98 (the monitor refuses fewer)");
        assert.deepEqual(iris.drift, { windowSize: 500, pValue: 0.05, correction: "bonferroni", minSamples: 50 });
        assert.deepEqual(iris.outlier, { quantile: 0.98 });
        const fromS3 = monitorConfig([
            { name: "m", settings: modelSchema.parse({ name: "m", framework: "sklearn", stable: { storageUri: "s3://b/m" }, monitoring: { features: [{ name: "x" }], reference: { uri: "s3://refs/m/2026/ref.json" } } }).monitoring! },
        ]);
        assert.deepEqual(fromS3.models.m.reference, { s3: { bucket: "refs", key: "m/2026/ref.json" } });
    });

    it("writes a config the monitor service itself accepts (the contract between the two)", () => {
        const cm = manifest(dev, "ConfigMap", "model-monitor-config") as any;
        const parsed = parseMonitorConfig(JSON.parse(cm.data["config.json"]));
        assert.deepEqual(Object.keys(parsed.models).sort(), ["sklearn-iris", "xgboost-iris"]);
        assert.equal(parsed.models["sklearn-iris"].drift.windowSize, 500);
        assert.throws(() => parseMonitorConfig({ models: { m: { features: [], task: "classification", reference: { inline: [[1]] } } } }));
    });

    it("scrapes the monitor with a PodMonitor", () => {
        const pm = manifest(dev, "PodMonitor", "model-monitor") as any;
        assert.deepEqual(pm.spec.selector.matchLabels, { "serving.knative.dev/service": "model-monitor" });
        assert.deepEqual(pm.spec.podMetricsEndpoints[0], { portNumber: 8080, path: "/metrics", interval: "30s" });
    });

    it("gives every model a PrometheusRule that passes promtool check rules, with the monitor's rules when monitored", { skip: promtoolMissing }, async () => {
        const rules = dev.manifests.filter((m) => m.kind === "PrometheusRule" && m.metadata.labels?.["app.kubernetes.io/name"] !== "adversarial-detector") as any[];
        assert.deepEqual(rules.map((r) => r.metadata.labels["inferstack.io/model"]).sort(), ["sklearn-iris", "xgboost-iris"]);
        for (const r of rules) {
            const names = r.spec.groups[0].rules.map((x: any) => x.alert);
            assert.deepEqual(names, ["InferstackModelDriftDetected", "InferstackModelOutlierRateHigh", "InferstackModelAccuracyLow", "InferstackCanaryErrorRateWorse", "InferstackCanaryLatencyWorse", "InferstackModelNotReady"]);
            const check = promtoolCheck(r.spec);
            assert.equal(check.status, 0, check.output);
            assert.match(check.output, /SUCCESS: 6 rules found/);
        }
        const unmonitored = modelAlertRules({ model: "plain", namespace: "ns", maxP95LatencySeconds: 1 });
        assert.deepEqual(
            unmonitored.groups[0].rules.map((r) => r.alert),
            ["InferstackCanaryErrorRateWorse", "InferstackCanaryLatencyWorse", "InferstackModelNotReady"],
        );
        assert.equal(promtoolCheck(unmonitored).status, 0);
    });

    it("a model without a monitor still gets its serving alerts, but no Triggers", async () => {
        const models = devModelsWithoutMonitoring();
        const render = await renderDevWith({ models });
        const rules = render.manifests.filter((m) => m.kind === "PrometheusRule") as any[];
        assert.deepEqual(rules.map((r) => r.metadata.name).sort(), ["sklearn-iris-alerts", "xgboost-iris-alerts"]);
        assert.deepEqual(rules[0].spec.groups[0].rules.map((r: any) => r.alert), ["InferstackCanaryErrorRateWorse", "InferstackCanaryLatencyWorse", "InferstackModelNotReady"]);
        assert.equal(render.manifests.filter((m) => m.kind === "Trigger" && m.metadata.name !== "monitor-feedback").length, 0);
    });

    it("regression models get an error rule instead of accuracy, and it passes promtool too", { skip: promtoolMissing }, () => {
        const spec = modelAlertRules({ model: "price", namespace: "ns", maxP95LatencySeconds: 0.5, monitor: { task: "regression", outlierRate: 0.1, minAccuracy: 0.9 } });
        const names = spec.groups[0].rules.map((r) => r.alert);
        assert.ok(names.includes("InferstackModelErrorHigh") && !names.includes("InferstackModelAccuracyLow"));
        assert.match(JSON.stringify(spec), /> 0\.1/);
        const check = promtoolCheck(spec);
        assert.equal(check.status, 0, check.output);
    });

    it("promtool rejects a broken rule (the check has teeth)", { skip: promtoolMissing }, () => {
        const spec = modelAlertRules({ model: "m", namespace: "ns", maxP95LatencySeconds: 1, monitor: { task: "classification", outlierRate: 0.1, minAccuracy: 0.9 } });
        spec.groups[0].rules[0].expr = "max(inferstack_drift_detected{model=\"m\"} == 1";
        assert.notEqual(promtoolCheck(spec).status, 0);
    });

    it("gives every monitored model a Grafana dashboard the sidecar picks up", () => {
        for (const model of ["sklearn-iris", "xgboost-iris"]) {
            const cm = manifest(dev, "ConfigMap", `${model}-dashboard`) as any;
            assert.equal(cm.metadata.labels.grafana_dashboard, "1");
            const dash = JSON.parse(cm.data[`${model}.json`]);
            const titles = dash.panels.map((p: any) => p.title);
            for (const t of ["Traffic by revision (canary split)", "Latency p50 / p95 by revision", "Error ratio (5xx) by revision", "Drift p-value by feature (corrected)", "Outlier rate", "Feedback metrics"]) {
                assert.ok(titles.includes(t), `${model}: ${t}`);
            }
            const exprs = JSON.stringify(dash.panels.map((p: any) => p.targets.map((t: any) => t.expr)));
            assert.ok(exprs.includes(`kn_service_name=\\"${model}-predictor\\"`));
            assert.ok(exprs.includes(`inferstack_feedback_accuracy{model=\\"${model}\\"}`));
            assert.ok(exprs.includes(`inferstack_feedback_window_accuracy{model=\\"${model}\\"}`));
        }
    });

    it("outputs the feedback endpoint", () => {
        assert.equal(dev.outputs["feedbackUrl"], "http://model-monitor.inferstack-models.svc.cluster.local/feedback");
    });
});

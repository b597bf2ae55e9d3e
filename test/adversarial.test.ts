/**
 * Issue 15, adversarial detection on the Broker: the AdversarialDetector component rendered on its own under
 * Pulumi's mock runtime (strictly valid objects, a Trigger with the Broker's dead-letter sink like the monitor's,
 * a config the detector service itself accepts), its alert rules under `promtool test rules` (fire on faulty
 * series, silent on clean ones), and its metric names against the catalogue and the service's declarations.
 *
 * The promtool cases need promtool (Debian package `prometheus`); without it they skip with one loud line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { z } from "zod";
import { AdversarialDetector, detectorConfig, type AdversarialDetectorArgs } from "../components/monitoring/adversarialDetector";
import { adversarialModelOf, adversarialSettingsSchema, checkAdversarialSettings, type AdversarialModel } from "../components/monitoring/adversarialSchema";
import { adversarialAlertRules } from "../components/monitoring/adversarialAlertRules";
import { adversarialPanels } from "../components/monitoring/modelDashboard";
import { EVENT_TYPES } from "../services/shared/eventTypes";
import { detectorConfigSchema } from "../services/explainer/src/config";
import { versions } from "../components/versions";
import { interceptRegistrations, runAsStack } from "../tools/pulumiSdkInternals";
import { KubernetesObject, RenderedResource, renderStack, repoRoot, toManifests } from "../tools/renderStack";
import { strictFailures } from "./helpers";

const catalogue = JSON.parse(readFileSync(path.join(repoRoot, "test", "upstream", "metrics", "catalogue.json"), "utf8"));
const catalogued = new Map<string, any>(catalogue.metrics.flatMap((m: any) => (m.type === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => [`${m.name}${s}`, m]) : [[m.name, m]])));

interface Captured {
    resources: (Pick<RenderedResource, "urn" | "type" | "name" | "custom" | "inputs" | "provider"> & { parent?: string; dependsOn: string[] })[];
    manifests: KubernetesObject[];
    error?: unknown;
}

/** Runs `program` under Pulumi's mock runtime and returns what it registers (the same mocks as tools/renderStack.ts). */
async function underMocks(program: () => unknown): Promise<Captured> {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "inferstack", "test", false);
    const resources: Captured["resources"] = [];
    interceptRegistrations((req, urn) => {
        resources.push({
            urn,
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() || undefined,
            dependsOn: req.getDependenciesList(),
            provider: req.getProvider() || undefined,
            custom: req.getCustom(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject() as never) as Record<string, unknown>,
        });
    });
    let error: unknown;
    await runAsStack(async () => {
        try {
            program();
        } catch (err) {
            error = err;
        }
    });
    return { resources, manifests: toManifests(resources as RenderedResource[]), error };
}

const deadLetterSink = { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "default-dead-letter" };

/** Builds the detector as the Platform does: the cluster's provider in the options, inherited by every child. */
function detector(models: AdversarialModel[], extra: Partial<AdversarialDetectorArgs> = {}): () => AdversarialDetector {
    return () => {
        const provider = new k8s.Provider("cluster", {});
        const broker = new k8s.apiextensions.CustomResource("broker", { apiVersion: "eventing.knative.dev/v1", kind: "Broker", metadata: { name: "default", namespace: "models" } }, { provider });
        const serving = new k8s.apiextensions.CustomResource("serving", { apiVersion: "operator.knative.dev/v1beta1", kind: "KnativeServing", metadata: { name: "knative-serving", namespace: "knative-serving" } }, { provider });
        const args = { namespace: "models", broker: { brokerName: "default", deadLetterSink, broker }, serving: { serving }, models, dashboardLabel: { grafana_dashboard: "1" }, dependsOn: [], ...extra };
        return new AdversarialDetector("adversarial", args, { providers: [provider] });
    };
}

const iris: AdversarialModel = {
    name: "sklearn-iris",
    protocol: "v1",
    features: ["sepal_length", "sepal_width", "petal_length", "petal_width"],
    reference: { uri: "s3://references/iris/reference.csv" },
    settings: adversarialSettingsSchema.parse({}),
};
const housing: AdversarialModel = {
    name: "housing",
    protocol: "v2",
    features: ["rooms", "age"],
    settings: adversarialSettingsSchema.parse({ sampleRate: 0.05, bitDepths: [3, 5], ranges: [[1, 10], [0, 100]], threshold: 0.8 }),
};

describe("AdversarialDetector (component, under the mock runtime)", () => {
    let render: Captured;
    let own: KubernetesObject[];
    before(async () => {
        render = await underMocks(detector([iris, housing], { s3: { endpoint: "http://minio.storage.svc:9000", credentialsSecretName: "minio-credentials" } }));
        assert.equal(render.error, undefined, String(render.error));
        const component = render.resources.find((r) => r.type === "inferstack:monitoring:AdversarialDetector")!;
        const children = new Set(render.resources.filter((r) => r.parent === component.urn).map((r) => r.urn));
        own = toManifests(render.resources.filter((r) => children.has(r.urn)) as RenderedResource[]);
    });

    it("renders a Knative Service, a ConfigMap, a PodMonitor and per model a Trigger, a PrometheusRule and a dashboard, all children of the component", () => {
        const kinds = own.map((m) => `${m.kind} ${m.metadata.name}`).sort();
        assert.deepEqual(kinds, [
            "ConfigMap adversarial-detector-config",
            "ConfigMap housing-adversarial-dashboard",
            "ConfigMap sklearn-iris-adversarial-dashboard",
            "PodMonitor adversarial-detector",
            "PrometheusRule housing-adversarial-alerts",
            "PrometheusRule sklearn-iris-adversarial-alerts",
            "Service adversarial-detector",
            "Trigger housing-adversarial",
            "Trigger sklearn-iris-adversarial",
        ]);
    });

    it("every object goes to the cluster's provider, inherited from the component's options", () => {
        const component = render.resources.find((r) => r.type === "inferstack:monitoring:AdversarialDetector")!;
        const children = render.resources.filter((r) => r.parent === component.urn);
        assert.ok(children.length >= 9);
        for (const c of children) assert.match(c.provider ?? "", /pulumi:providers:kubernetes::cluster::/, `${c.type} ${c.name}`);
    });

    it("every object is valid against the vendored upstream schemas, strictly", async () => {
        assert.deepEqual(await strictFailures(own), []);
    });

    it("Triggers: the model's request events minus the platform's own calls, to the detector, with the Broker's dead-letter sink", () => {
        for (const model of [iris, housing]) {
            const t = own.find((m) => m.kind === "Trigger" && m.metadata.name === `${model.name}-adversarial`) as any;
            assert.equal(t.metadata.namespace, "models");
            assert.equal(t.spec.broker, "default");
            assert.deepEqual(t.spec.filters, [{ exact: { type: EVENT_TYPES.request, inferenceservicename: model.name } }, { not: { prefix: { id: "inferstack-" } } }]);
            // With both set Knative applies `filters`; `filter` states the same match for the policy pack.
            assert.deepEqual(t.spec.filter, { attributes: { type: EVENT_TYPES.request, inferenceservicename: model.name } });
            assert.deepEqual(t.spec.subscriber, { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "adversarial-detector" } });
            assert.deepEqual(t.spec.delivery.deadLetterSink, { ref: deadLetterSink });
            assert.equal(t.spec.delivery.retry, 3);
            assert.equal(t.metadata.annotations?.["pulumi.com/waitFor"], "condition=Ready");
        }
    });

    it("the Knative Service runs the pinned image in detector mode, restricted, with a config the detector service accepts", () => {
        const svc = own.find((m) => m.kind === "Service") as any;
        const c = svc.spec.template.spec.containers[0];
        assert.equal(c.image, versions.images.explainer);
        assert.deepEqual(c.securityContext, { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
        assert.deepEqual(c.env.find((e: any) => e.name === "INFERSTACK_MODE"), { name: "INFERSTACK_MODE", value: "adversarial-detector" });
        assert.deepEqual(c.envFrom, [{ secretRef: { name: "minio-credentials" } }]);
        assert.equal(svc.spec.template.metadata.annotations["autoscaling.knative.dev/min-scale"], "0");
        const cm = own.find((m) => m.metadata.name === "adversarial-detector-config") as any;
        const parsed = detectorConfigSchema.safeParse(JSON.parse(cm.data["config.json"]));
        assert.ok(parsed.success, JSON.stringify(!parsed.success && parsed.error.issues));
        assert.deepEqual(parsed.data.models["sklearn-iris"].reference, { s3: { bucket: "references", key: "iris/reference.csv" } });
        assert.equal(parsed.data.models["sklearn-iris"].predictorHost, "sklearn-iris-predictor.models");
        assert.deepEqual(parsed.data.models.housing.squeezers, [{ bitDepth: 3 }, { bitDepth: 5 }]);
        assert.equal(parsed.data.models.housing.protocol, "v2");
        assert.equal(parsed.data.models.housing.sampleRate, 0.05);
        // No threshold given: calibrated on the reference at the default 1% false-positive rate; a given one is kept.
        assert.deepEqual(parsed.data.models["sklearn-iris"].calibration, { falsePositiveRate: 0.01, rows: 500 });
        assert.equal(parsed.data.models.housing.calibration, undefined);
        assert.equal(parsed.data.models.housing.threshold, 0.8);
    });

    it("the PodMonitor selects the detector's revision pods on the port the container declares", () => {
        const pm = own.find((m) => m.kind === "PodMonitor") as any;
        const svc = own.find((m) => m.kind === "Service") as any;
        assert.deepEqual(pm.spec.selector.matchLabels, { "serving.knative.dev/service": svc.metadata.name });
        assert.equal(pm.spec.podMetricsEndpoints[0].portNumber, svc.spec.template.spec.containers[0].ports[0].containerPort);
    });

    it("refuses no models, a model listed twice, and a model with neither ranges nor a reference", async () => {
        for (const [models, message] of [
            [[], /must list at least one model/],
            [[iris, iris], /model sklearn-iris is listed twice/],
        ] as const) {
            const r = await underMocks(detector([...models]));
            assert.match(String(r.error), message);
        }
        assert.throws(() => detectorConfig([{ ...iris, reference: undefined }], "models"), /no reference sample to take the ranges from or calibrate the threshold on/);
        const rare = detectorConfigSchema.parse(detectorConfig([{ ...iris, settings: adversarialSettingsSchema.parse({ falsePositiveRate: 0.001, alertFlaggedRate: 0.01 }) }], "models"));
        assert.equal(rare.models["sklearn-iris"].calibration?.rows, 999, "enough rows for the rate");
    });
});

describe("metric names: the catalogue lists the detector's metrics as services/explainer declares them", () => {
    it("catalogue entries match the declarations (name, type, labels), and every query and rule uses catalogued metrics", () => {
        const src = readFileSync(path.join(repoRoot, "services", "explainer", "src", "metrics.ts"), "utf8");
        const declared = new Map<string, { type: string; labels: string[] }>();
        for (const m of src.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name: "([a-z0-9_]+)"[\s\S]*?labelNames: \[([^\]]*)\]/g)) {
            declared.set(m[2], { type: m[1].toLowerCase(), labels: [...m[3].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]) });
        }
        const entries = catalogue.metrics.filter((e: any) => e.sources.includes("inferstack services/explainer/src/metrics.ts"));
        assert.ok(entries.length >= 5);
        for (const e of entries) {
            const d = declared.get(e.name);
            assert.ok(d, `${e.name} is in the catalogue but services/explainer/src/metrics.ts does not declare it`);
            assert.equal(d.type, e.type, e.name);
            assert.deepEqual([...d.labels].sort(), [...e.labels].sort(), e.name);
            assert.deepEqual(e.scrapedBy, ["adversarial-detector"]);
        }
        const exprs = [
            ...adversarialPanels("m").flatMap((p) => p.targets.map((t) => t.expr)),
            ...adversarialAlertRules({ model: "m", namespace: "ns", flaggedRate: 0.05, minScored: 20 }).groups[0].rules.map((r) => r.expr),
        ];
        for (const expr of exprs) for (const [name] of expr.matchAll(/inferstack_[a-z_]+/g)) assert.ok(catalogued.has(name), `${name} (in ${expr}) is not catalogued`);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// promtool test rules

const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" });
const skip = promtool.error ? "promtool not found: install the Debian package `prometheus` (CI's .ci/run does)" : false;
if (skip) console.error(`\n!!! SKIPPING the promtool cases of test/adversarial.test.ts: ${skip} !!!\n`);

interface Case {
    name: string;
    series: { series: string; values: string }[];
    evalTime: string;
    fires: boolean;
}

/** A detector series as Prometheus stores it: the exported labels plus the PodMonitor's target labels. */
function det(metric: string, labels: Record<string, string>, values: string) {
    assert.ok(catalogued.has(metric), `${metric} is not in the metric catalogue`);
    const all = { job: "models/adversarial-detector", instance: "10.0.0.7:8080", namespace: "models", pod: "adversarial-detector-00001-deployment-abc", container: "detector", ...labels };
    return { series: `${metric}{${Object.entries(all).map(([k, v]) => `${k}="${v}"`).join(", ")}}`, values };
}

function cases(alert: string, model: string): Case[] {
    const m = { model };
    switch (alert) {
        case "InferstackAdversarialInputsHigh":
            return [
                // 100 scored instances a minute, 20 of them flagged (20%) for 30 minutes.
                { name: "20% flagged", series: [det("inferstack_adversarial_scored_instances_total", m, "0+100x60"), det("inferstack_adversarial_flagged_instances_total", m, "0+20x60")], evalTime: "40m", fires: true },
                { name: "2% flagged (clean traffic)", series: [det("inferstack_adversarial_scored_instances_total", m, "0+100x60"), det("inferstack_adversarial_flagged_instances_total", m, "0+2x60")], evalTime: "40m", fires: false },
                // 1 scored instance a minute, every other one flagged: 50%, but only 10 in the window.
                { name: "50% flagged of too few scored", series: [det("inferstack_adversarial_scored_instances_total", m, "0+1x60"), det("inferstack_adversarial_flagged_instances_total", m, "0+0.5x60")], evalTime: "40m", fires: false },
                { name: "a 5-minute burst only", series: [det("inferstack_adversarial_scored_instances_total", m, "0+100x60"), det("inferstack_adversarial_flagged_instances_total", m, "0+2x30 60+50x5 310+2x25")], evalTime: "60m", fires: false },
                { name: "no traffic", series: [det("inferstack_adversarial_scored_instances_total", m, "0x60"), det("inferstack_adversarial_flagged_instances_total", m, "0x60")], evalTime: "40m", fires: false },
            ];
        case "InferstackAdversarialDetectorFailing":
            return [
                {
                    name: "predictor unreachable for every sampled event (no scored series at all)",
                    series: [det("inferstack_adversarial_event_errors_total", { ...m, reason: "predictor_unavailable" }, "0+10x60")],
                    evalTime: "40m",
                    fires: true,
                },
                {
                    name: "half the sampled events time out",
                    series: [det("inferstack_adversarial_events_total", { ...m, outcome: "scored" }, "0+10x60"), det("inferstack_adversarial_event_errors_total", { ...m, reason: "timeout" }, "0+10x60")],
                    evalTime: "40m",
                    fires: true,
                },
                {
                    name: "bad input only (a client's fault, not the detector's)",
                    series: [det("inferstack_adversarial_events_total", { ...m, outcome: "scored" }, "0+10x60"), det("inferstack_adversarial_event_errors_total", { ...m, reason: "feature_count" }, "0+10x60")],
                    evalTime: "40m",
                    fires: false,
                },
                {
                    name: "1 failure in 100 (clean)",
                    series: [det("inferstack_adversarial_events_total", { ...m, outcome: "scored" }, "0+100x60"), det("inferstack_adversarial_event_errors_total", { ...m, reason: "predictor_error" }, "0+1x60")],
                    evalTime: "40m",
                    fires: false,
                },
            ];
        default:
            throw new Error(`no promtool cases for alert ${alert}: add them here`);
    }
}

function runPromtool(spec: unknown, rule: { alert: string; labels: Record<string, string>; annotations: Record<string, string> }, list: Case[]): string {
    const dir = mkdtempSync(path.join(tmpdir(), "inferstack-adversarial-"));
    writeFileSync(path.join(dir, "rules.yaml"), yaml.dump(spec));
    const tests = list.map((c) => ({
        name: `${rule.alert}: ${c.name}`,
        interval: "1m",
        input_series: c.series,
        alert_rule_test: [{ eval_time: c.evalTime, alertname: rule.alert, exp_alerts: c.fires ? [{ exp_labels: rule.labels, exp_annotations: rule.annotations }] : [] }],
    }));
    writeFileSync(path.join(dir, "tests.yaml"), yaml.dump({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests }, { lineWidth: -1 }));
    const check = spawnSync("promtool", ["check", "rules", path.join(dir, "rules.yaml")], { encoding: "utf8" });
    if (check.status !== 0) return `${check.stdout}${check.stderr}`;
    const r = spawnSync("promtool", ["test", "rules", path.join(dir, "tests.yaml")], { encoding: "utf8" });
    return r.status === 0 ? "" : `${r.stdout}${r.stderr}`;
}

describe("promtool test rules: the adversarial alerts fire on faulty series and stay silent on clean ones", { skip }, () => {
    const spec = adversarialAlertRules({ model: "sklearn-iris", namespace: "models", flaggedRate: 0.05, minScored: 20 });

    for (const rule of spec.groups[0].rules) {
        it(rule.alert, () => {
            assert.equal(runPromtool(spec, rule, cases(rule.alert, "sklearn-iris")), "");
        });
    }

    it("the dev stack renders these rules for its watched model, with the model's thresholds, and they pass the same cases", async () => {
        const dev = await renderStack("dev");
        const rendered = dev.manifests.filter((m) => m.kind === "PrometheusRule" && m.metadata.labels?.["app.kubernetes.io/name"] === "adversarial-detector") as any[];
        assert.deepEqual(rendered.map((r) => r.metadata.labels["inferstack.io/model"]), ["sklearn-iris"]);
        const pr = rendered[0];
        const expected = adversarialAlertRules({ model: "sklearn-iris", namespace: pr.metadata.namespace, flaggedRate: 0.05, minScored: 20 });
        assert.deepEqual(pr.spec, JSON.parse(JSON.stringify(expected)));
        for (const rule of pr.spec.groups[0].rules) assert.equal(runPromtool(pr.spec, rule, cases(rule.alert, "sklearn-iris")), "", rule.alert);
    });

    it("has teeth: the flagged-rate rule without its minimum-count guard fires on too few scored instances", () => {
        const bare = structuredClone(spec);
        const rule = bare.groups[0].rules[0];
        rule.expr = rule.expr.replace(/ and sum\(increase.*$/, "");
        const out = runPromtool(bare, rule, cases(rule.alert, "sklearn-iris").filter((c) => c.name === "50% flagged of too few scored"));
        assert.match(out, /FAILED/);
    });

    it("has teeth: the failing rule without `or vector(0)` never fires when no event was scored", () => {
        const bare = structuredClone(spec);
        const rule = bare.groups[0].rules[1];
        rule.expr = rule.expr.replace(" or vector(0)", "");
        const out = runPromtool(bare, rule, cases(rule.alert, "sklearn-iris").filter((c) => c.name.startsWith("predictor unreachable")));
        assert.match(out, /FAILED/);
    });
});

describe("the model entry's adversarial block", () => {
    const entry = z
        .object({ name: z.string(), logging: z.enum(["all", "request", "response", "off"]).default("all"), adversarial: adversarialSettingsSchema.optional(), monitoring: z.any().optional() })
        .superRefine((m, ctx) => checkAdversarialSettings(m, ctx));
    const monitoring = { features: [{ name: "a" }, { name: "b" }], reference: { uri: "s3://references/m/reference.csv" } };
    const issues = (v: unknown) => {
        const r = entry.safeParse(v);
        return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };

    it("needs request events and the monitoring block; ranges must fit the features", () => {
        assert.deepEqual(issues({ name: "m", adversarial: {}, monitoring }), []);
        assert.deepEqual(issues({ name: "m", adversarial: { enabled: false } }), []);
        assert.deepEqual(issues({ name: "m", adversarial: {} }), ["adversarial: needs the model's monitoring block (its features, and its reference sample for the squeeze ranges)"]);
        assert.deepEqual(issues({ name: "m", logging: "response", adversarial: {}, monitoring }), ["adversarial: needs the model's request events, but logging is response: set logging to all or request"]);
        assert.deepEqual(issues({ name: "m", adversarial: { ranges: [[0, 1]] }, monitoring }), ["adversarial.ranges: has 1 entries, expected 2 (one per monitoring feature)"]);
        assert.deepEqual(issues({ name: "m", adversarial: { ranges: [[0, 1], [2, 2]] }, monitoring }), ["adversarial.ranges.1: must be [min, max] with min < max, got [2, 2]"]);
        assert.match(issues({ name: "m", adversarial: { sampleRate: 0 }, monitoring })[0], /adversarial\.sampleRate/);
        const small = { ...monitoring, reference: { inline: Array.from({ length: 50 }, () => [1, 2]) } };
        assert.deepEqual(issues({ name: "m", adversarial: {}, monitoring: small }), [
            "adversarial.falsePositiveRate: needs at least 99 reference rows to calibrate the threshold on, and monitoring.reference.inline has 50: raise falsePositiveRate, add rows, or set threshold",
        ]);
        assert.deepEqual(issues({ name: "m", adversarial: { falsePositiveRate: 0.02 }, monitoring: small }), []);
        assert.deepEqual(issues({ name: "m", adversarial: { threshold: 0.4 }, monitoring: small }), []);
        assert.match(issues({ name: "m", adversarial: { falsePositiveRate: 0.1 }, monitoring })[0], /adversarial\.alertFlaggedRate: must be above falsePositiveRate \(0\.1\)/);
    });

    it("becomes the detector's model, whose config the detector service accepts", () => {
        const parsed = entry.parse({ name: "m", adversarial: { threshold: 0.3 }, monitoring });
        const model = adversarialModelOf(parsed, "v2");
        assert.deepEqual(model.features, ["a", "b"]);
        const cfg = detectorConfigSchema.parse(detectorConfig([model], "models"));
        assert.equal(cfg.models.m.threshold, 0.3);
        assert.equal(cfg.models.m.protocol, "v2");
    });
});

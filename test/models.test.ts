import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { before, describe, it } from "node:test";
import { inferenceServiceAnnotations, inferenceServiceSpec, predictPath } from "../components/models/modelService";
import { runPolicies } from "../policies/offline";
import { policies } from "../policies/rules";
import { ModelConfig, defaultRunAsUser, frameworkRuntime, frameworks, knativeReservedPorts, kserveBlockedEnvNames, modelSchema, storageSchemes } from "../components/models/modelSchema";
import { Render, repoRoot } from "../tools/renderStack";
import { validateObjects } from "../tools/validateManifests";
import { parsePlatformConfig } from "../stacks/config";
import { configErrorOf, manifest, renderDevWith, stackFileConfig, stackRaw } from "./helpers";

const sa = "kserve-models";
const broker = "http://broker-ingress.knative-eventing.svc.cluster.local/inferstack-models/default";

function model(entry: Record<string, unknown>): ModelConfig {
    return modelSchema.parse({ name: "m", framework: "sklearn", stable: { storageUri: "s3://models/m/v1" }, ...entry });
}

function spec(entry: Record<string, unknown>): any {
    return JSON.parse(JSON.stringify(inferenceServiceSpec(model(entry), sa, broker)));
}

describe("ModelService: InferenceService fields", () => {
    it("maps every framework onto a KServe model format, runtime and protocol", () => {
        const expected: Record<string, [string, string | undefined, string | undefined]> = {
            // named, not left to KServe's priorities (which pick kserve-mlserver for v2)
            sklearn: ["sklearn", "kserve-sklearnserver", undefined],
            xgboost: ["xgboost", "kserve-xgbserver", undefined],
            lightgbm: ["lightgbm", "kserve-lgbserver", undefined],
            pytorch: ["pytorch", undefined, undefined],
            tensorflow: ["tensorflow", undefined, undefined],
            onnx: ["onnx", "kserve-tritonserver", "v2"],
            triton: ["triton", "kserve-tritonserver", "v2"],
            mlflow: ["mlflow", "kserve-mlserver", "v2"],
            huggingface: ["huggingface", "kserve-huggingfaceserver", undefined],
            pmml: ["pmml", "kserve-pmmlserver", undefined],
            paddle: ["paddle", "kserve-paddleserver", undefined],
            autogluon: ["autogluon", "kserve-autogluonserver", undefined],
            tensorrt: ["tensorrt", "kserve-tritonserver", "v2"],
        };
        for (const fw of frameworks.filter((f) => f !== "custom")) {
            const p = spec({ framework: fw }).predictor;
            assert.deepEqual([p.model.modelFormat.name, p.model.runtime, p.model.protocolVersion], expected[fw], fw);
        }
        const p = spec({ framework: "pytorch", formatVersion: "2", runtime: "my-torchserve", protocolVersion: "v2" }).predictor;
        assert.deepEqual(p.model.modelFormat, { name: "pytorch", version: "2" });
        assert.equal(p.model.runtime, "my-torchserve");
        assert.equal(p.model.protocolVersion, "v2");
    });

    it("serves a custom container as the predictor's kserve-container", () => {
        const p = spec({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3", args: ["--port=8080"], env: [{ name: "MODEL_NAME", value: "m" }] } }).predictor;
        assert.equal(p.model, undefined);
        assert.deepEqual(p.containers[0].name, "kserve-container");
        assert.equal(p.containers[0].image, "ghcr.io/acme/model:1.2.3");
        assert.deepEqual(p.containers[0].args, ["--port=8080"]);
        assert.deepEqual(p.containers[0].env, [{ name: "MODEL_NAME", value: "m" }]);
        assert.equal(p.containers[0].securityContext.runAsNonRoot, true, "custom images run non-root");
        assert.equal(p.containers[0].securityContext.allowPrivilegeEscalation, false);
    });

    it("passes every storage scheme through with the object store's ServiceAccount", () => {
        for (const uri of ["s3://models/m/v1", "gs://kfserving-examples/models/sklearn/1.0/model", "https://acct.blob.core.windows.net/models/m", "pvc://model-pvc/m"]) {
            const p = spec({ stable: { storageUri: uri } }).predictor;
            assert.equal(p.model.storageUri, uri);
            assert.equal(p.serviceAccountName, sa);
        }
    });

    it("maps autoscaling: scale to zero only when asked, metric, target, concurrency, timeout", () => {
        const byDefault = spec({}).predictor;
        assert.equal(byDefault.minReplicas, undefined, "KServe's default (1) applies unless minReplicas is set");
        assert.equal(byDefault.maxReplicas, 3);
        const zero = spec({ scaling: { minReplicas: 0, maxReplicas: 5, scaleMetric: "rps", scaleTarget: 20, containerConcurrency: 4, timeout: 30 } }).predictor;
        assert.deepEqual(
            [zero.minReplicas, zero.maxReplicas, zero.scaleMetric, zero.scaleTarget, zero.containerConcurrency, zero.timeout],
            [0, 5, "rps", 20, 4, 30],
        );
    });

    it("requests GPUs as requests = limits and tolerates the GPU taint", () => {
        const p = spec({ resources: { gpu: 2, cpu: "2", memory: "8Gi", cpuLimit: "4", memoryLimit: "16Gi" }, nodeSelector: { "inferstack.io/gpu": "true" } }).predictor;
        assert.deepEqual(p.model.resources, { requests: { cpu: "2", memory: "8Gi", "nvidia.com/gpu": "2" }, limits: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": "2" } });
        assert.deepEqual(p.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
        assert.deepEqual(p.nodeSelector, { "inferstack.io/gpu": "true" });
        const cpu = spec({}).predictor;
        assert.equal(cpu.tolerations, undefined);
        assert.equal(cpu.model.resources, undefined);
        assert.deepEqual(spec({ resources: { gpu: 1 } }).predictor.model.resources, { requests: { "nvidia.com/gpu": "1" }, limits: { "nvidia.com/gpu": "1" } }, "only the GPUs: cpu and memory stay the runtime's");
        const own = spec({ resources: { gpu: 1 }, tolerations: [{ key: "dedicated", value: "ml", effect: "NoSchedule" }] }).predictor;
        assert.deepEqual(
            own.tolerations,
            [
                { key: "dedicated", operator: "Equal", value: "ml", effect: "NoSchedule" },
                { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
            ],
            "explicit tolerations are kept, and a GPU model still tolerates the GPU taint",
        );
    });

    it("adds the GPU toleration unless one the model lists actually tolerates the taint (key, value unless Exists, effect)", () => {
        const platform = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };
        // The schema refuses a GPU-keyed toleration that does not tolerate the taint; a ModelConfig built in code can
        // still carry one, and the GPU toleration must then be added beside it (matching by key alone left none).
        const withTolerations = (tolerations: ModelConfig["tolerations"]) => {
            const m = model({ resources: { gpu: 1 } });
            return JSON.parse(JSON.stringify(inferenceServiceSpec({ ...m, tolerations }, sa, broker))).predictor.tolerations;
        };
        for (const wrong of [
            { key: "nvidia.com/gpu", operator: "Equal" as const, value: "true", effect: "NoSchedule" as const },
            { key: "nvidia.com/gpu", operator: "Equal" as const, value: "present", effect: "NoExecute" as const },
            { key: "nvidia.com/gpu", operator: "Equal" as const },
        ]) {
            assert.deepEqual(withTolerations([wrong]), [wrong, platform], JSON.stringify(wrong));
        }
        for (const right of [
            { key: "nvidia.com/gpu", operator: "Equal" as const, value: "present", effect: "NoSchedule" as const },
            { key: "nvidia.com/gpu", operator: "Equal" as const, value: "present" },
            { key: "nvidia.com/gpu", operator: "Exists" as const },
            { key: "", operator: "Exists" as const },
        ]) {
            assert.deepEqual(withTolerations([right]), [right], `${JSON.stringify(right)} tolerates the taint: nothing added`);
        }
    });

    it("refuses a GPU model's toleration with the GPU taint's key that does not tolerate it, naming the key and the value", () => {
        const base = { name: "m", framework: "sklearn", stable: { storageUri: "s3://models/m/v1" }, resources: { gpu: 1 } };
        const wrongValue = configErrorOf({ ...stackRaw("dev"), models: [{ ...base, tolerations: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }] }] });
        assert.match(wrongValue, /inferstack:models\[0\]\.tolerations\[0\]: .*does not tolerate the GPU nodes' taint nvidia\.com\/gpu=present:NoSchedule/);
        assert.match(wrongValue, /with key nvidia\.com\/gpu use value "present" \(operator Equal\) or operator Exists, with effect NoSchedule or none/);
        assert.match(configErrorOf({ ...stackRaw("dev"), models: [{ ...base, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoExecute" }] }] }), /models\[0\]\.tolerations\[0\]: got \{"key":"nvidia\.com\/gpu","operator":"Exists","effect":"NoExecute"\}; does not tolerate/);
        const pre = { image: "ghcr.io/acme/pre:1.0.0", resources: { gpu: 1 } };
        assert.match(configErrorOf({ ...stackRaw("dev"), models: [{ ...base, resources: { gpu: 0 }, transformer: { ...pre, tolerations: [{ key: "nvidia.com/gpu", value: "yes" }] } }] }), /models\[0\]\.transformer\.tolerations\[0\]: .*does not tolerate/);
        // Without GPUs the toleration is only unused; with a matching one it is accepted.
        assert.doesNotThrow(() => parsePlatformConfig({ ...stackRaw("dev"), models: [{ ...base, resources: { gpu: 0 }, tolerations: [{ key: "nvidia.com/gpu", value: "true" }] }] }));
        assert.doesNotThrow(() => parsePlatformConfig({ ...stackRaw("dev"), models: [{ ...base, tolerations: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }] }] }));
        assert.doesNotThrow(() => parsePlatformConfig({ ...stackRaw("dev"), models: [{ ...base, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists" }] }] }));
    });

    it("adds a transformer and an explainer, each with its own scaling", () => {
        const s = spec({
            transformer: { image: "ghcr.io/acme/pre:1.0.0", scaling: { minReplicas: 1, maxReplicas: 4 } },
            explainer: { image: "ghcr.io/acme/explain:2.0.0", args: ["--method=shap"], scaling: { maxReplicas: 1 } },
        });
        assert.equal(s.transformer.containers[0].image, "ghcr.io/acme/pre:1.0.0");
        assert.equal(s.transformer.containers[0].name, "kserve-container");
        assert.equal(s.transformer.containers[0].securityContext.runAsNonRoot, true);
        assert.deepEqual([s.transformer.minReplicas, s.transformer.maxReplicas], [1, 4]);
        assert.equal(s.explainer.containers[0].image, "ghcr.io/acme/explain:2.0.0");
        assert.deepEqual(s.explainer.containers[0].args, ["--method=shap"]);
        assert.equal(s.explainer.maxReplicas, 1);
        assert.equal(spec({}).transformer, undefined);
    });

    it("logs requests and responses to the Broker by default, in the chosen mode, or not at all", () => {
        assert.deepEqual(spec({}).predictor.logger, { mode: "all", url: broker, metadataAnnotations: ["inferstack.io/model-version"] });
        assert.deepEqual(spec({ logging: "response" }).predictor.logger, { mode: "response", url: broker, metadataAnnotations: ["inferstack.io/model-version"] });
        assert.equal(spec({ logging: "off" }).predictor.logger, undefined);
    });

    it("names the protocol's predict path", () => {
        assert.equal(predictPath(model({})), "/v1/models/m:predict");
        assert.equal(predictPath(model({ framework: "onnx" })), "/v2/models/m/infer");
        assert.equal(predictPath(model({ protocolVersion: "v2" })), "/v2/models/m/infer");
    });
});

describe("ModelService: canary rollout, promotion and rollback (three renders of one model)", () => {
    const renders: Record<string, Render> = {};
    const irisWith = (canary: Record<string, unknown> | undefined, stable = "s3://models/sklearn/iris/v1") => {
        const models = stackFileConfig("dev")["inferstack:models"] as any[];
        models[0].stable = { storageUri: stable };
        if (canary) models[0].canary = canary;
        else delete models[0].canary;
        return renderDevWith({ models });
    };
    before(async () => {
        renders.canary = await irisWith({ storageUri: "s3://models/sklearn/iris/v2", trafficPercent: 20 });
        renders.promoted = await irisWith({ storageUri: "s3://models/sklearn/iris/v2", trafficPercent: 100 });
        renders.rolledBack = await irisWith({ storageUri: "s3://models/sklearn/iris/v2", trafficPercent: 0 });
        renders.settled = await irisWith(undefined, "s3://models/sklearn/iris/v2");
    });
    const predictor = (r: Render) => (manifest(r, "InferenceService", "sklearn-iris") as any).spec.predictor;

    it("canary: the new version's spec with canaryTrafficPercent", () => {
        const p = predictor(renders.canary);
        assert.equal(p.model.storageUri, "s3://models/sklearn/iris/v2");
        assert.equal(p.canaryTrafficPercent, 20);
        const isvc = manifest(renders.canary, "InferenceService", "sklearn-iris") as any;
        // The canary's annotations stay the same through promotion and the tidy after it (KServe copies them onto the
        // revision template: a changed one would roll an extra revision of the same version).
        for (const r of [renders.promoted, renders.settled]) assert.deepEqual((manifest(r, "InferenceService", "sklearn-iris") as any).metadata.annotations, isvc.metadata.annotations);
        assert.equal(isvc.metadata.annotations["serving.kserve.io/enable-tag-routing"], "true");
    });

    it("promote (trafficPercent 100): the field is dropped, all traffic to the new version", () => {
        const p = predictor(renders.promoted);
        assert.equal(p.model.storageUri, "s3://models/sklearn/iris/v2");
        assert.equal("canaryTrafficPercent" in p, false);
    });

    it("rollback (trafficPercent 0): traffic pinned to the previous revision, spec unchanged", () => {
        const p = predictor(renders.rolledBack);
        assert.equal(p.canaryTrafficPercent, 0);
        assert.equal(p.model.storageUri, "s3://models/sklearn/iris/v2");
    });

    it("after promotion, moving the canary into stable is a no-op for the InferenceService", () => {
        assert.deepEqual(predictor(renders.settled), predictor(renders.promoted));
    });
});

describe("ModelService: rendered InferenceServices against the upstream KServe CRD", () => {
    const isvc = (spec: unknown) => ({ apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", metadata: { name: "m", namespace: "models" }, spec });
    it("every option validates strictly", async () => {
        const everything = [
            spec({ scaling: { minReplicas: 0, maxReplicas: 5, scaleMetric: "rps", scaleTarget: 20, containerConcurrency: 4, timeout: 30 }, resources: { gpu: 1 }, nodeSelector: { a: "b" }, canary: { storageUri: "s3://models/m/v2", trafficPercent: 10 } }),
            spec({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3", env: [{ name: "A", value: "b" }] }, transformer: { image: "ghcr.io/acme/pre:1.0.0" }, explainer: { image: "ghcr.io/acme/x:1.0.0" } }),
            ...frameworks.filter((f) => f !== "custom").map((framework) => spec({ framework, formatVersion: frameworkRuntime[framework].formatVersions?.[0] ?? "1", stable: { storageUri: "gs://b/m", runtimeVersion: "1.0.0" } })),
            spec({ scaling: { scaleMetric: "cpu", scaleTarget: 80, minReplicas: 1 }, resources: { cpu: "1", memoryLimit: "4Gi" } }),
            spec({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3", runAsUser: 5000, runAsGroup: 5000 }, resources: { cpu: "2", cpuLimit: "2", memory: "4Gi", memoryLimit: "4Gi" } }),
        ];
        const results = await validateObjects(everything.map(isvc));
        assert.deepEqual(results.filter((r) => !r.valid).map((r) => r.errors), []);
        assert.ok(results.every((r) => r.sources.includes("crd")), "checked against the KServe CRD");
        // The check has teeth: a misspelt field is refused.
        const [typo] = await validateObjects([isvc({ predictor: { ...spec({}).predictor, canaryTrafficPercnt: 10 } })]);
        assert.equal(typo.valid, false);
        assert.match(typo.errors.join("\n"), /\/spec\/predictor has unknown field 'canaryTrafficPercnt'/);
    });
});

/** Every problem the schema reports for a model entry, as `path: message`. */
function problems(entry: Record<string, unknown>): string[] {
    const r = modelSchema.safeParse({ name: "m", framework: "sklearn", stable: { storageUri: "s3://models/m/v1" }, ...entry });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

/**
 * What KServe v0.20's webhook decides for one component's scaling in Knative mode, restated from
 * kserve/kserve@v0.20.0:pkg/apis/serving/v1beta1/inference_service_validation.go (validateAutoScalingCompExtension and
 * the KPA/HPA checks it calls): the class is the InferenceService's Knative class annotation; under the HPA class an
 * unset metric is cpu and only cpu/memory pass, with a target of at most 100; otherwise (KPA) an unset metric is
 * concurrency and only concurrency/rps pass.
 */
function kserveScalingVerdict(annotations: Record<string, string>, c: { scaleMetric?: string; scaleTarget?: number }): string | undefined {
    if (annotations["autoscaling.knative.dev/class"] === "hpa.autoscaling.knative.dev") {
        const metric = c.scaleMetric ?? "cpu";
        if (!["cpu", "memory"].includes(metric)) return `[${metric}] is not a supported metric`;
        if (c.scaleTarget !== undefined && ((metric === "cpu" && c.scaleTarget < 1) || c.scaleTarget > 100)) return "the target utilization percentage should be a [1-100] integer";
        return undefined;
    }
    const metric = c.scaleMetric ?? "concurrency";
    return ["concurrency", "rps"].includes(metric) ? undefined : `[${metric}] is not a supported metric`;
}

describe("ModelService: KServe v0.20 and Knative 1.23 admission rules, mirrored in the schema", () => {
    describe("scaleMetric cpu|memory needs Knative's HPA class (KServe validates Knative-mode scaling against it)", () => {
        const verdicts = (entry: Record<string, unknown>) => {
            const m = model(entry);
            const s = JSON.parse(JSON.stringify(inferenceServiceSpec(m, sa, broker)));
            const annotations = inferenceServiceAnnotations(m);
            return ["predictor", "transformer", "explainer"].filter((c) => s[c]).map((c) => kserveScalingVerdict(annotations, s[c]));
        };
        it("renders the HPA class annotation for cpu or memory on any component, and only then", () => {
            const hpa = { "autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev" };
            assert.deepEqual(inferenceServiceAnnotations(model({ scaling: { scaleMetric: "cpu" } }))["autoscaling.knative.dev/class"], hpa["autoscaling.knative.dev/class"]);
            assert.equal(inferenceServiceAnnotations(model({ scaling: { scaleMetric: "memory", scaleTarget: 100 } }))["autoscaling.knative.dev/class"], hpa["autoscaling.knative.dev/class"]);
            assert.equal(inferenceServiceAnnotations(model({ transformer: { image: "ghcr.io/acme/pre:1.0.0", scaling: { scaleMetric: "cpu" } } }))["autoscaling.knative.dev/class"], hpa["autoscaling.knative.dev/class"]);
            for (const metric of [undefined, "concurrency", "rps"]) {
                assert.equal("autoscaling.knative.dev/class" in inferenceServiceAnnotations(model({ scaling: { scaleMetric: metric } })), false, `${metric}: KServe's default (KPA)`);
            }
        });
        it("every accepted scaling config renders into one KServe's webhook admits", () => {
            const accepted = [
                {},
                { scaling: { scaleMetric: "rps", scaleTarget: 500 } },
                { scaling: { scaleMetric: "cpu" } },
                { scaling: { scaleMetric: "cpu", scaleTarget: 80, minReplicas: 1 } },
                { scaling: { scaleMetric: "memory", scaleTarget: 100 } },
                { scaling: { scaleMetric: "cpu" }, transformer: { image: "ghcr.io/acme/pre:1.0.0" }, explainer: { image: "ghcr.io/acme/x:1.0.0", scaling: { scaleMetric: "memory" } } },
                { scaling: { scaleMetric: "concurrency", scaleTarget: 1000 }, transformer: { image: "ghcr.io/acme/pre:1.0.0", scaling: { scaleMetric: "rps" } } },
            ];
            for (const entry of accepted) {
                assert.deepEqual(problems(entry), [], JSON.stringify(entry));
                assert.deepEqual(verdicts(entry).filter(Boolean), [], JSON.stringify(entry));
            }
            // Without the annotation (the render before this rule), KServe refused a bare cpu metric as KPA.
            assert.equal(kserveScalingVerdict({}, { scaleMetric: "cpu" }), "[cpu] is not a supported metric");
        });
        it("refuses what KServe's webhook (or Knative's HPA) would reject or ignore", () => {
            const hpaBy = "an InferenceService has one autoscaler class";
            const cases: [Record<string, unknown>, RegExp][] = [
                // the transformer keeps KPA's metric while the predictor needs the HPA class: KServe refuses [concurrency]
                [{ scaling: { scaleMetric: "cpu" }, transformer: { image: "ghcr.io/acme/pre:1.0.0", scaling: { scaleMetric: "concurrency" } } }, new RegExp(`^transformer\\.scaling\\.scaleMetric: must be cpu or memory .*${hpaBy}`)],
                [{ scaling: { scaleMetric: "rps" }, explainer: { image: "ghcr.io/acme/x:1.0.0", scaling: { scaleMetric: "memory" } } }, /^scaling\.scaleMetric: must be cpu or memory .*explainer\.scaling\.scaleMetric is memory/],
                // an HPA target above 100: "the target utilization percentage should be a [1-100] integer"
                [{ scaling: { scaleMetric: "cpu", scaleTarget: 150 } }, /^scaling\.scaleTarget: must be at most 100 with scaleMetric cpu/],
                [{ scaling: { scaleMetric: "memory", scaleTarget: 2048 } }, /^scaling\.scaleTarget: must be at most 100 with scaleMetric memory/],
                [{ scaling: { scaleMetric: "cpu" }, transformer: { image: "ghcr.io/acme/pre:1.0.0", scaling: { scaleTarget: 200 } } }, /^transformer\.scaling\.scaleTarget: must be at most 100 because/],
                // scale to zero under the HPA class silently keeps one replica
                [{ scaling: { scaleMetric: "cpu", minReplicas: 0 } }, /^scaling\.minReplicas: must be at least 1 with scaleMetric cpu: the HPA autoscaler never scales to zero/],
                [{ scaling: { scaleMetric: "memory" }, transformer: { image: "ghcr.io/acme/pre:1.0.0", scaling: { minReplicas: 0 } } }, /^transformer\.scaling\.minReplicas: must be at least 1 because/],
            ];
            for (const [entry, expected] of cases) {
                const found = problems(entry);
                assert.ok(found.some((p) => expected.test(p)), `${JSON.stringify(entry)}: ${JSON.stringify(found)}`);
            }
        });
    });

    it("timeout: at most serving.maxRevisionTimeoutSeconds (Knative's 600 unless raised), a cross-key rule", () => {
        const withModels = (models: unknown[], serving?: Record<string, unknown>) => ({ ...stackRaw("dev"), models, ...(serving ? { serving } : {}) });
        const entry = (scaling: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ name: "m", framework: "sklearn", stable: { storageUri: "s3://models/m/v1" }, scaling, ...rest });
        assert.deepEqual(problems({ scaling: { timeout: 3600 } }), [], "the model schema alone has no fixed bound");
        assert.equal(spec({ scaling: { timeout: 600 } }).predictor.timeout, 600);
        assert.doesNotThrow(() => parsePlatformConfig(withModels([entry({ timeout: 600 })])));
        for (const timeout of [601, 3600]) {
            assert.match(configErrorOf(withModels([entry({ timeout })])), /inferstack:models\[0\]\.scaling\.timeout: got \d+; must be at most serving\.maxRevisionTimeoutSeconds \(600, Knative's default\): Knative refuses a longer revision timeout; raise serving\.maxRevisionTimeoutSeconds to allow it/);
        }
        assert.match(configErrorOf(withModels([entry({}, { transformer: { image: "ghcr.io/acme/pre:1.0.0", scaling: { timeout: 900 } } })])), /inferstack:models\[0\]\.transformer\.scaling\.timeout: got 900; must be at most serving\.maxRevisionTimeoutSeconds \(600/);
        // raised: the bound follows the platform key
        assert.doesNotThrow(() => parsePlatformConfig(withModels([entry({ timeout: 1800 })], { maxRevisionTimeoutSeconds: 1800 })));
        assert.match(configErrorOf(withModels([entry({ timeout: 1801 })], { maxRevisionTimeoutSeconds: 1800 })), /inferstack:models\[0\]\.scaling\.timeout: got 1801; must be at most serving\.maxRevisionTimeoutSeconds \(1800\)/);
        // Knative's config-defaults refuses a maximum below revision-timeout-seconds (300)
        assert.match(configErrorOf(withModels([], { maxRevisionTimeoutSeconds: 200 })), /inferstack:serving\.maxRevisionTimeoutSeconds: got 200; must be at least 300: Knative's config-defaults refuses a maximum below its revision-timeout-seconds/);
    });

    it("env: names KServe's webhook blocks (PYTHONPATH) are refused in every container, with the list", () => {
        assert.deepEqual([...kserveBlockedEnvNames], ["PYTHONPATH"]);
        const env = [{ name: "PYTHONPATH", value: "/opt/extra" }];
        const message = "is refused by KServe's admission webhook (blocked env names: PYTHONPATH)";
        assert.deepEqual(problems({ stable: { storageUri: "s3://models/m/v1", env } }), [`stable.env.0.name: ${message}`]);
        assert.deepEqual(problems({ canary: { storageUri: "s3://models/m/v2", env, trafficPercent: 10 } }), [`canary.env.0.name: ${message}`]);
        assert.deepEqual(problems({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3", env } }), [`stable.env.0.name: ${message}`]);
        assert.deepEqual(problems({ transformer: { image: "ghcr.io/acme/pre:1.0.0", env } }), [`transformer.env.0.name: ${message}`]);
        assert.deepEqual(problems({ explainer: { image: "ghcr.io/acme/x:1.0.0", env } }), [`explainer.env.0.name: ${message}`]);
        // Exact and case-sensitive, as KServe's check is.
        assert.deepEqual(problems({ stable: { storageUri: "s3://models/m/v1", env: [{ name: "pythonpath", value: "x" }, { name: "PYTHONPATH_EXTRA", value: "x" }] } }), []);
    });

    it("custom containers run as a numeric user: 1000 (KServe's convention) unless the model names its own", () => {
        const custom = (v: Record<string, unknown>, rest: Record<string, unknown> = {}) => spec({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3", ...v }, ...rest });
        const byDefault = custom({}).predictor.containers[0].securityContext;
        assert.deepEqual([byDefault.runAsNonRoot, byDefault.runAsUser, byDefault.runAsGroup], [true, 1000, undefined]);
        const own = custom({ runAsUser: 12345, runAsGroup: 0 }).predictor.containers[0].securityContext;
        assert.deepEqual([own.runAsNonRoot, own.runAsUser, own.runAsGroup], [true, 12345, 0]);
        const sidecars = spec({ transformer: { image: "ghcr.io/acme/pre:1.0.0" }, explainer: { image: "ghcr.io/acme/x:1.0.0", runAsUser: 65532, runAsGroup: 65532 } });
        assert.equal(sidecars.transformer.containers[0].securityContext.runAsUser, 1000);
        assert.deepEqual([sidecars.explainer.containers[0].securityContext.runAsUser, sidecars.explainer.containers[0].securityContext.runAsGroup], [65532, 65532]);
        // a canary image with another user is a change of its own
        const canary = custom({ runAsUser: 1000 }, { canary: { image: "ghcr.io/acme/model:1.2.3", runAsUser: 2000, trafficPercent: 10 } });
        assert.equal(canary.predictor.containers[0].securityContext.runAsUser, 2000);
        assert.match(problems({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3", runAsUser: 0 } }).join("\n"), /^stable\.runAsUser: must be at least 1/);
        assert.match(problems({ stable: { storageUri: "s3://models/m/v1", runAsUser: 1000 } }).join("\n"), /^stable\.runAsUser: is only allowed when framework is custom/);
        // runtime models keep the ServingRuntime's own securityContext
        assert.equal(spec({}).predictor.model.securityContext, undefined);
    });

    it("resources: none unless asked (the runtime's own apply), exactly what was asked otherwise", () => {
        assert.equal(spec({}).predictor.model.resources, undefined);
        assert.equal(spec({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3" } }).predictor.containers[0].resources, undefined);
        assert.equal(spec({ transformer: { image: "ghcr.io/acme/pre:1.0.0" } }).transformer.containers[0].resources, undefined);
        assert.deepEqual(spec({ resources: { memoryLimit: "4Gi" } }).predictor.model.resources, { limits: { memory: "4Gi" } });
        assert.deepEqual(spec({ resources: { cpu: "2", memory: "8Gi", cpuLimit: "4", memoryLimit: "16Gi" } }).predictor.model.resources, {
            requests: { cpu: "2", memory: "8Gi" },
            limits: { cpu: "4", memory: "16Gi" },
        });
        // Kubernetes refuses a request above its limit.
        assert.deepEqual(problems({ resources: { cpu: "1500m", cpuLimit: "1" } }), ["resources.cpu: must be at most cpuLimit (1): Kubernetes refuses a request above its limit"]);
        assert.deepEqual(problems({ transformer: { image: "ghcr.io/acme/pre:1.0.0", resources: { memory: "2Gi", memoryLimit: "1024Mi" } } }), [
            "transformer.resources.memory: must be at most memoryLimit (1024Mi): Kubernetes refuses a request above its limit",
        ]);
        assert.deepEqual(problems({ resources: { memory: "1Gi", memoryLimit: "1024Mi", cpu: "500m", cpuLimit: "0.5" } }), []);
    });

    it("runtimes: named per framework, and the model's format version and protocol must be the named runtime's", () => {
        for (const [framework, runtime] of [["sklearn", "kserve-sklearnserver"], ["xgboost", "kserve-xgbserver"], ["lightgbm", "kserve-lgbserver"]]) {
            const p = spec({ framework, protocolVersion: "v2" }).predictor;
            assert.deepEqual([p.model.runtime, p.model.protocolVersion], [runtime, "v2"], `${framework} v2 is served by ${runtime}, not kserve-mlserver`);
        }
        assert.match(problems({ formatVersion: "0" }).join("\n"), /^formatVersion: is not served by kserve-sklearnserver, which inferstack picks for sklearn \(it supports sklearn 1\)/);
        assert.match(problems({ framework: "xgboost", formatVersion: "1" }).join("\n"), /^formatVersion: is not served by kserve-xgbserver/);
        assert.match(problems({ framework: "onnx", protocolVersion: "v1" }).join("\n"), /^protocolVersion: is not spoken by kserve-tritonserver/);
        // naming a runtime is the way out, and then it is the user's choice
        assert.deepEqual(problems({ formatVersion: "0", runtime: "kserve-mlserver", protocolVersion: "v2" }), []);
        assert.equal(spec({ formatVersion: "0", runtime: "kserve-mlserver", protocolVersion: "v2" }).predictor.model.runtime, "kserve-mlserver");
    });
});

describe("ModelService: the runtime table against KServe's vendored ClusterServingRuntimes", () => {
    type Runtime = { metadata: { name: string }; spec: { protocolVersions: string[]; supportedModelFormats: { name: string; version?: string }[]; containers: { securityContext?: { runAsUser?: number } }[] } };
    const runtimes = new Map(
        (yaml.loadAll(readFileSync(path.join(repoRoot, "test/upstream/charts/kserve-runtime-configs/files/runtimes/resources.yaml"), "utf8")) as (Runtime | null)[])
            .filter((d): d is Runtime => !!d)
            .map((d) => [d.metadata.name, d.spec]),
    );
    it("every runtime inferstack names exists, serves exactly the format versions and protocols the table says", () => {
        for (const [framework, fw] of Object.entries(frameworkRuntime)) {
            if (!fw.runtime) continue;
            const rt = runtimes.get(fw.runtime);
            assert.ok(rt, `${framework}: ${fw.runtime} is a ClusterServingRuntime`);
            const versions = rt.supportedModelFormats.filter((f) => f.name === fw.format).map((f) => f.version);
            assert.deepEqual(fw.formatVersions, versions, `${framework}: format versions of ${fw.runtime}`);
            assert.deepEqual([...(fw.protocols ?? [])].sort(), rt.protocolVersions.filter((p) => p === "v1" || p === "v2").sort(), `${framework}: protocols of ${fw.runtime}`);
        }
    });
    it("KServe's runtimes that set a user all use the default custom user", () => {
        const users = new Set([...runtimes.values()].flatMap((r) => r.containers.map((c) => c.securityContext?.runAsUser)).filter((u) => u !== undefined));
        assert.deepEqual([...users], [defaultRunAsUser]);
    });
});

describe("ModelService: LLMs, every storage scheme, env from Secrets and ConfigMaps, gRPC ports (issue 12, items 1-3)", () => {
    const isvc = (spec: unknown) => ({ apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", metadata: { name: "m", namespace: "models" }, spec });
    const hfToken = { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "HF_TOKEN" } } };
    const custom = (v: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3", ...v }, ...rest });
    const h2c = [{ name: "h2c", containerPort: 8081, protocol: "TCP" }];

    it("storage: s3, gs, https (any host), pvc, hf and oci (modelcars) URIs pass through unchanged", () => {
        assert.deepEqual([...storageSchemes], ["s3://", "gs://", "https://", "pvc://", "hf://", "oci://"]);
        const uris = [
            "s3://models/m/v1",
            "gs://kfserving-examples/models/sklearn/1.0/model",
            "https://acct.blob.core.windows.net/models/m",
            "https://acct.blob.core.windows.net/models/m/",
            "https://github.com/acme/models/releases/download/v1/model.tar.gz",
            "pvc://model-pvc/m",
            "hf://meta-llama/Meta-Llama-3-8B-Instruct",
            "hf://google-bert/bert-base-uncased:86b5e0934494bd15c9632b12f734a8a67f723594",
            "oci://ghcr.io/acme/models/iris:1.0.0",
            "oci://registry.example.com:5000/iris@sha256:" + "a".repeat(64),
        ];
        for (const uri of uris) {
            assert.deepEqual(problems({ stable: { storageUri: uri } }), [], uri);
            assert.equal(spec({ stable: { storageUri: uri } }).predictor.model.storageUri, uri);
        }
    });

    it("storage: oci:// needs no switch, as KServe's chart enables modelcars and the platform keeps its value", () => {
        const values = yaml.load(readFileSync(path.join(repoRoot, "test/upstream/charts/kserve-resources/values.yaml"), "utf8")) as any;
        assert.equal(values.kserve.storage.enableModelcar, true, "kserve-resources v0.20.0 values.yaml: kserve.storage.enableModelcar");
        assert.match(readFileSync(path.join(repoRoot, "test/upstream/charts/kserve-resources/files/common/configmap-patch.yaml"), "utf8"), /"enableModelcar": \{\{ \.Values\.kserve\.storage\.enableModelcar \}\}/);
        assert.doesNotMatch(readFileSync(path.join(repoRoot, "components/kserve/kserve.ts"), "utf8"), /enableModelcar/, "the platform does not override it");
    });

    it("storage: refuses URIs KServe's storage initializer or modelcar injector cannot read", () => {
        const cases: [string, RegExp][] = [
            // kserve_storage.py _download_hf: exactly owner/model[:revision]
            ["hf://bert-base-uncased", /^stable\.storageUri: must be hf:\/\/<owner>\/<model>\[:<revision>\]/],
            ["hf://a/b/c", /^stable\.storageUri: must be hf:\/\//],
            // _download_from_uri: a plain URL must name a file
            ["https://example.com/models/", /^stable\.storageUri: must be https:\/\/<host>\/<path to a file>/],
            ["https://example.com", /^stable\.storageUri: must be https:\/\//],
            ["oci://Not A Reference", /^stable\.storageUri: must be oci:\/\/<registry>\/<repository>/],
            ["oci+native://ghcr.io/acme/iris:1", /^stable\.storageUri: must start with one of s3:\/\/, gs:\/\/, https:\/\/, pvc:\/\/, hf:\/\/, oci:\/\//],
            ["http://example.com/model.joblib", /^stable\.storageUri: must start with one of/],
            ["pvc://", /^stable\.storageUri: must be pvc:\/\/<claim>\/<path>/],
        ];
        for (const [uri, expected] of cases) {
            const found = problems({ stable: { storageUri: uri } });
            assert.ok(found.some((p) => expected.test(p)), `${uri}: ${JSON.stringify(found)}`);
        }
    });

    it("huggingface: a model given only by --model_id needs no storageUri; every other framework does", () => {
        for (const args of [["--model_id=meta-llama/Meta-Llama-3-8B-Instruct"], ["--model_id", "google-bert/bert-base-uncased", "--task=fill_mask"]]) {
            const entry = { framework: "huggingface", stable: { args } };
            assert.deepEqual(problems(entry), [], JSON.stringify(args));
            const p = spec(entry).predictor;
            assert.equal("storageUri" in p.model, false);
            assert.deepEqual(p.model.args, args);
        }
        assert.deepEqual(problems({ framework: "huggingface", stable: { args: ["--task=fill_mask"] } }), ["stable.storageUri: is required for framework huggingface unless args name the model with --model_id"]);
        assert.deepEqual(problems({ framework: "huggingface", stable: { args: ["--model_id", "--task=fill_mask"] } }), ["stable.storageUri: is required for framework huggingface unless args name the model with --model_id"]);
        assert.deepEqual(problems({ framework: "sklearn", stable: { args: ["--model_id=a/b"] } }), ["stable.storageUri: is required for framework sklearn"]);
    });

    it("env: values, Secret and ConfigMap keys (valueFrom) and whole Secrets/ConfigMaps (envFrom), in Kubernetes' shapes", () => {
        const env = [{ name: "MODE", value: "fast" }, hfToken, { name: "LOG_LEVEL", valueFrom: { configMapKeyRef: { name: "model-settings", key: "log.level", optional: true } } }];
        const envFrom = [{ secretRef: { name: "model-creds" } }, { prefix: "APP_", configMapRef: { name: "model-settings", optional: false } }];
        const rendered = spec({ stable: { storageUri: "s3://models/m/v1", env, envFrom } }).predictor.model;
        assert.deepEqual(rendered.env, env);
        assert.deepEqual(rendered.envFrom, envFrom);
        const c = spec(custom({ env, envFrom })).predictor.containers[0];
        assert.deepEqual([c.env, c.envFrom], [env, envFrom]);
        const t = spec({ transformer: { image: "ghcr.io/acme/pre:1.0.0", env: [hfToken], envFrom: [{ secretRef: { name: "pre-creds" } }] } }).transformer.containers[0];
        assert.deepEqual([t.env, t.envFrom], [[hfToken], [{ secretRef: { name: "pre-creds" } }]]);
        assert.equal("envFrom" in spec({}).predictor.model, false, "nothing rendered unless asked");
    });

    it("env: refuses what Kubernetes would, and any credential written into the config", () => {
        const cases: [unknown, RegExp][] = [
            [[{ name: "HF_TOKEN", value: "hf_abcdefghijklmnop" }], /^stable\.env\.0\.value: looks like a credential \(HF_TOKEN\): keep it in a Secret and use valueFrom\.secretKeyRef/],
            [[{ name: "DB_PASSWORD", value: "hunter22" }], /^stable\.env\.0\.value: looks like a credential/],
            [[{ name: "A", value: "b", valueFrom: hfToken.valueFrom }], /^stable\.env\.0: must set exactly one of value, valueFrom/],
            [[{ name: "A" }], /^stable\.env\.0: must set exactly one of value, valueFrom/],
            [[{ name: "A", valueFrom: { secretKeyRef: { name: "s", key: "k" }, configMapKeyRef: { name: "c", key: "k" } } }], /^stable\.env\.0\.valueFrom: must set exactly one of secretKeyRef, configMapKeyRef/],
            [[{ name: "A", valueFrom: { secretKeyRef: { name: "Bad_Name", key: "k" } } }], /^stable\.env\.0\.valueFrom\.secretKeyRef\.name: must be a DNS-1123 subdomain/],
            [[{ name: "A", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }], /^stable\.env\.0\.valueFrom: Unrecognized key/],
        ];
        for (const [env, expected] of cases) {
            const found = problems({ stable: { storageUri: "s3://models/m/v1", env } });
            assert.ok(found.some((p) => expected.test(p)), `${JSON.stringify(env)}: ${JSON.stringify(found)}`);
        }
        // A name that refers to where a credential is, not the credential, stays a plain value.
        assert.deepEqual(problems({ stable: { storageUri: "s3://models/m/v1", env: [{ name: "TOKEN_PATH", value: "/var/run/token" }] } }), []);
        assert.match(problems({ stable: { storageUri: "s3://models/m/v1", envFrom: [{ secretRef: { name: "a" }, configMapRef: { name: "b" } }] } }).join("\n"), /^stable\.envFrom\.0: must set exactly one of secretRef, configMapRef/);
        assert.match(problems({ explainer: { image: "ghcr.io/acme/x:1.0.0", env: [{ name: "API_KEY", value: "abcd1234" }] } }).join("\n"), /^explainer\.env\.0\.value: looks like a credential/);
    });

    it("ports: one serving port (h2c for gRPC) on the model, a custom predictor or a transformer", () => {
        assert.deepEqual(spec({ protocolVersion: "v2", logging: "off", stable: { storageUri: "s3://models/m/v1", ports: h2c } }).predictor.model.ports, h2c);
        assert.deepEqual(spec(custom({ ports: [{ name: "http1", containerPort: 9000 }] })).predictor.containers[0].ports, [{ name: "http1", containerPort: 9000 }]);
        assert.deepEqual(spec({ transformer: { image: "ghcr.io/acme/pre:1.0.0", ports: h2c } }).transformer.containers[0].ports, h2c, "the transformer has no logger agent");
        assert.equal("ports" in spec({}).predictor.model, false);
    });

    it("ports: refuses what Knative's webhook (validateContainerPorts) or KServe's logger agent would break", () => {
        assert.deepEqual([...knativeReservedPorts], [8008, 8012, 8013, 8022, 9090, 9091]);
        const cases: [Record<string, unknown>, RegExp][] = [
            [{ logging: "off", stable: { storageUri: "s3://models/m/v1", ports: [...h2c, { name: "http1", containerPort: 8080 }] } }, /^stable\.ports: must list at most one port: Knative routes to a single port per revision/],
            [{ logging: "off", stable: { storageUri: "s3://models/m/v1", ports: [{ name: "grpc", containerPort: 8081 }] } }, /^stable\.ports\.0\.name: /],
            [{ logging: "off", stable: { storageUri: "s3://models/m/v1", ports: [{ name: "h2c", containerPort: 8012 }] } }, /^stable\.ports\.0\.containerPort: is reserved by Knative/],
            [{ logging: "off", stable: { storageUri: "s3://models/m/v1", ports: [{ name: "h2c", containerPort: 8081, protocol: "UDP" }] } }, /^stable\.ports\.0\.protocol: /],
            [{ logging: "off", stable: { storageUri: "s3://models/m/v1", ports: [{ name: "h2c", containerPort: 8081, hostPort: 8081 }] } }, /^stable\.ports\.0: Unrecognized key/],
            [custom({ ports: [{ containerPort: 70000 }] }, { logging: "off" }), /^stable\.ports\.0\.containerPort: must be from 1 to 65535/],
            [{ stable: { storageUri: "s3://models/m/v1", ports: h2c } }, /^stable\.ports\.0\.name: h2c \(gRPC\) needs logging: off/],
            [{ logging: "request", canary: { storageUri: "s3://models/m/v2", trafficPercent: 10, ports: h2c } }, /^canary\.ports\.0\.name: h2c \(gRPC\) needs logging: off/],
            [{ transformer: { image: "ghcr.io/acme/pre:1.0.0", ports: [{ containerPort: 9091 }] } }, /^transformer\.ports\.0\.containerPort: is reserved by Knative/],
        ];
        for (const [entry, expected] of cases) {
            const found = problems(entry);
            assert.ok(found.some((p) => expected.test(p)), `${JSON.stringify(entry)}: ${JSON.stringify(found)}`);
        }
        // logging off is the way out for the predictor
        assert.equal(spec({ logging: "off", canary: { storageUri: "s3://models/m/v2", trafficPercent: 10, ports: h2c } }).predictor.logger, undefined);
    });

    it("every new option validates strictly against KServe's CRD", async () => {
        const all = [
            spec({ framework: "huggingface", stable: { args: ["--model_id=meta-llama/Meta-Llama-3-8B-Instruct"], env: [hfToken], envFrom: [{ configMapRef: { name: "vllm-settings" } }] }, resources: { gpu: 1 } }),
            ...["hf://meta-llama/Meta-Llama-3-8B-Instruct:main", "oci://ghcr.io/acme/models/iris:1.0.0", "https://example.com/models/iris.tar.gz", "pvc://model-pvc/m"].map((storageUri) => spec({ stable: { storageUri } })),
            spec({ protocolVersion: "v2", logging: "off", stable: { storageUri: "s3://models/m/v1", ports: h2c } }),
            spec(custom({ ports: h2c, env: [hfToken], envFrom: [{ prefix: "X_", secretRef: { name: "x", optional: true } }] }, { logging: "off", transformer: { image: "ghcr.io/acme/pre:1.0.0", ports: [{ name: "http1", containerPort: 9000 }], env: [hfToken] } })),
        ];
        const results = await validateObjects(all.map(isvc));
        assert.deepEqual(results.filter((r) => !r.valid).map((r) => r.errors), []);
        assert.ok(results.every((r) => r.sources.includes("crd")));
    });

    describe("the LLM example of docs/llm.md (huggingface, 1 GPU, --model_id, HF_TOKEN from a Secret)", () => {
        const doc = readFileSync(path.join(repoRoot, "docs/llm.md"), "utf8");
        const block = /<!-- llm-example[^>]*-->\s*```yaml\n([\s\S]*?)```/.exec(doc);
        const entries = yaml.load(block?.[1] ?? "") as Record<string, unknown>[];
        let render: Render;
        before(async () => {
            const models = [...(stackFileConfig("dev")["inferstack:models"] as unknown[]), ...entries];
            render = await renderDevWith({ models });
        });
        it("is one model entry the schema accepts, with the token only as a Secret reference", () => {
            assert.ok(block, "docs/llm.md has the marked yaml block");
            assert.equal(entries.length, 1);
            assert.deepEqual(problems(entries[0]), []);
            assert.doesNotMatch(block[1], /hf_[A-Za-z0-9]{8,}/, "no token in the snippet");
        });
        it("renders an InferenceService with the runtime, the GPU, --model_id and HF_TOKEN from the Secret, valid against the CRD", async () => {
            const llm = manifest(render, "InferenceService", "llama3-8b-instruct") as any;
            const m = llm.spec.predictor.model;
            assert.deepEqual([m.modelFormat.name, m.runtime, m.storageUri], ["huggingface", "kserve-huggingfaceserver", undefined]);
            assert.ok(m.args.some((a: string) => a.startsWith("--model_id=")));
            assert.deepEqual(m.env, [hfToken]);
            assert.equal(m.resources.limits["nvidia.com/gpu"], "1");
            assert.ok(llm.spec.predictor.tolerations.some((t: { key: string }) => t.key === "nvidia.com/gpu"));
            const [result] = await validateObjects([llm]);
            assert.deepEqual(result.errors, []);
            assert.ok(result.valid && result.sources.includes("crd"));
        });
        it("passes the policy pack with the dev pack config", async () => {
            const config = JSON.parse(readFileSync(path.join(repoRoot, "policies/config/dev.json"), "utf8"));
            const run = await runPolicies(policies, render.resources, config);
            const mandatory = run.violations.filter((v) => v.level === "mandatory");
            assert.deepEqual(mandatory, []);
        });
    });
});

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { inferenceServiceSpec, predictPath } from "../components/models/modelService";
import { ModelConfig, frameworks, modelSchema } from "../stacks/config";
import { Render } from "../tools/renderStack";
import { validateObjects } from "../tools/validateManifests";
import { manifest, renderDevWith, stackFileConfig } from "./helpers";

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
            sklearn: ["sklearn", undefined, undefined],
            xgboost: ["xgboost", undefined, undefined],
            lightgbm: ["lightgbm", undefined, undefined],
            pytorch: ["pytorch", undefined, undefined],
            tensorflow: ["tensorflow", undefined, undefined],
            onnx: ["onnx", "kserve-tritonserver", "v2"],
            triton: ["triton", "kserve-tritonserver", "v2"],
            mlflow: ["mlflow", "kserve-mlserver", "v2"],
            huggingface: ["huggingface", "kserve-huggingfaceserver", undefined],
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
        assert.equal(cpu.model.resources.limits["nvidia.com/gpu"], undefined);
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
        assert.deepEqual(spec({}).predictor.logger, { mode: "all", url: broker });
        assert.deepEqual(spec({ logging: "response" }).predictor.logger, { mode: "response", url: broker });
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
        assert.equal(isvc.metadata.annotations["inferstack.io/stable-storage-uri"], "s3://models/sklearn/iris/v1");
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
            ...frameworks.filter((f) => f !== "custom").map((framework) => spec({ framework, formatVersion: "1", stable: { storageUri: "gs://b/m", runtimeVersion: "1.0.0" } })),
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

/**
 * Issue 15, the platform side of the open explainer: the `explainer: {kind: "kernel-shap"}` schema fragment (clear
 * errors naming the key), and its rendering as an InferenceService's `spec.explainer` (strictly valid against
 * KServe v0.20's CRD, restricted security context, pinned image, a config the explainer service itself accepts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { checkKernelShapExplainer, explainerField, isKernelShap, kernelShapExplainerSchema, kernelShapExplainerSpec, type ExplainedModel } from "../components/models/explainerSchema";
import { versions } from "../components/versions";
import { explainerConfigSchema } from "../services/explainer/src/config";
import { MAX_EXACT_FEATURES } from "../services/explainer/src/kernelShap";
import { renderStack } from "../tools/renderStack";
import { configErrorOf, manifest, renderDevWith, stackFileConfig, stackRaw, strictFailures } from "./helpers";

const monitored: ExplainedModel = {
    protocolVersion: "v2",
    monitoring: { features: ["sepal_length", "sepal_width", "petal_length", "petal_width"].map((name) => ({ name })), reference: { uri: "s3://references/iris/reference.csv" } },
};

/** A model-entry-like schema with the explainer key wired as the integrator will (custom containers keep working). */
const custom = z.object({ image: z.string().min(1), args: z.array(z.string()).default([]) }).strict();
const entry = z
    .object({ explainer: explainerField(custom).optional(), protocolVersion: z.enum(["v1", "v2"]).optional(), monitoring: z.any().optional() })
    .strict()
    .superRefine((m, ctx) => {
        if (isKernelShap(m.explainer)) checkKernelShapExplainer(m.explainer, m as ExplainedModel, ctx);
    });

function issues(value: unknown): string[] {
    const r = entry.safeParse(value);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

function isvc(explainer: unknown) {
    return {
        apiVersion: "serving.kserve.io/v1beta1",
        kind: "InferenceService",
        metadata: { name: "sklearn-iris", namespace: "models" },
        spec: { predictor: { model: { modelFormat: { name: "sklearn" }, storageUri: "s3://models/sklearn/iris/v1" } }, explainer },
    };
}

describe("explainer schema fragment", () => {
    it("fills defaults; the custom-container explainer still parses", () => {
        const e = kernelShapExplainerSchema.parse({ kind: "kernel-shap" });
        assert.equal(e.background, "monitoring");
        assert.equal(e.maxExactFeatures, 10);
        assert.deepEqual(e.budgets, { maxPredictorCalls: 200, timeoutSeconds: 30, maxInstances: 16 });
        assert.deepEqual(e.scaling, { minReplicas: 0, maxReplicas: 2, containerConcurrency: 4 });
        assert.deepEqual(entry.parse({ explainer: { image: "x/y:1" } }).explainer, { image: "x/y:1", args: [] });
        assert.deepEqual(issues({ explainer: { kind: "kernel-shap" }, ...monitored }), []);
    });

    it("names the key of the variant meant, and the cross-key problems", () => {
        assert.deepEqual(issues({ explainer: { kind: "kernel-shap", samples: "many" }, ...monitored }), ["explainer.samples: Invalid input: expected number, received string"]);
        assert.deepEqual(issues({ explainer: { kind: "kernel-shap", sample: 5 }, ...monitored }), ['explainer: Unrecognized key: "sample"']);
        assert.deepEqual(issues({ explainer: { kind: "lime" } }), ['explainer.kind: Invalid input: expected "kernel-shap"']);
        assert.deepEqual(issues({ explainer: { image: 3 } }), ["explainer.image: Invalid input: expected string, received number"]);
        assert.match(issues({ explainer: { kind: "kernel-shap", maxExactFeatures: MAX_EXACT_FEATURES + 1 }, ...monitored })[0], /explainer\.maxExactFeatures: Too big/);
        assert.deepEqual(issues({ explainer: { kind: "kernel-shap" } }), ["explainer.features: is required when the model has no monitoring block (the feature names in instance order)"]);
        assert.deepEqual(issues({ explainer: { kind: "kernel-shap", features: ["a"] } }), ['explainer.background: is "monitoring" (the default) but the model has no monitoring.reference: give {uri: "s3://..."} or {inline: [...]}']);
        assert.deepEqual(issues({ explainer: { kind: "kernel-shap", features: ["a", "b"], background: { inline: [[1, 2], [3]] } } }), ["explainer.background: row 1 has 1 values, expected 2 (one per feature: a, b)"]);
        assert.deepEqual(issues({ explainer: { kind: "kernel-shap", maxExactFeatures: 2, samples: 4 }, ...monitored }), [
            "explainer.samples: must be at least 2 x the feature count (8): with 4 features above maxExactFeatures (2) coalitions are sampled",
        ]);
        assert.match(issues({ explainer: { kind: "kernel-shap", resources: { cpu: "2" } }, ...monitored })[0], /explainer\.resources\.cpu: must be at most cpuLimit \(1\)/);
        assert.match(issues({ explainer: { kind: "kernel-shap", image: "ghcr.io/inferstack/explainer:latest" }, ...monitored })[0], /must not be the latest tag/);
        assert.match(issues({ explainer: { kind: "kernel-shap", background: { uri: "s3://bucket" } }, ...monitored })[0], /must be s3:\/\/<bucket>\/<key>/);
    });
});

describe("spec.explainer of a kernel-shap block", () => {
    const e = kernelShapExplainerSchema.parse({ kind: "kernel-shap", samples: 256, budgets: { timeoutSeconds: 20, maxPredictorCalls: 50, maxInstances: 4 } });
    const spec = kernelShapExplainerSpec({ explainer: e, model: monitored, serviceAccountName: "kserve-models", s3: { endpoint: "http://minio.storage.svc:9000", credentialsSecretName: "minio-credentials" }, podLabels: { "azure.workload.identity/use": "true" } });

    it("is valid against KServe v0.20's InferenceService CRD, strictly (also inline, v1, without S3)", async () => {
        const inline = kernelShapExplainerSpec({ explainer: kernelShapExplainerSchema.parse({ kind: "kernel-shap", features: ["a", "b"], background: { inline: [[1, 2], [2, 3]] }, scaling: { scaleMetric: "rps", scaleTarget: 5 } }), model: {}, serviceAccountName: "sa" });
        assert.deepEqual(await strictFailures([isvc(spec), isvc(inline)]), []);
        assert.equal(inline.scaleMetric, "rps");
        assert.deepEqual(inline.containers[0].args, ["--predictor_protocol", "v1"]);
    });

    it("one kserve-container: the pinned image in explainer mode, the model's protocol, restricted with user 1000", () => {
        assert.equal(spec.containers.length, 1);
        const c = spec.containers[0];
        assert.equal(c.name, "kserve-container");
        assert.equal(c.image, versions.images.explainer);
        assert.match(versions.images.explainer, /^ghcr\.io\/inferstack\/explainer:\d+\.\d+\.\d+$/);
        assert.deepEqual(c.args, ["--predictor_protocol", "v2"]);
        assert.ok(!c.args.includes("--model_name") && !c.args.includes("--http_port"), "KServe appends those itself");
        assert.deepEqual(c.securityContext, { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
        assert.deepEqual(c.resources, { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } });
        assert.deepEqual(c.envFrom, [{ secretRef: { name: "minio-credentials" } }]);
        assert.deepEqual(spec.labels, { "azure.workload.identity/use": "true" });
        assert.equal(spec.serviceAccountName, "kserve-models");
        // The revision may run past the explain budget only long enough to answer with the 503.
        assert.equal(spec.timeout, 30);
        assert.equal(spec.containerConcurrency, 4);
    });

    it("carries a config the explainer service accepts: features and background from the monitoring block, budgets in ms", () => {
        const env = spec.containers[0].env;
        assert.deepEqual(env.find((v) => v.name === "INFERSTACK_MODE"), { name: "INFERSTACK_MODE", value: "explainer" });
        const parsed = explainerConfigSchema.safeParse(JSON.parse(env.find((v) => v.name === "EXPLAINER_CONFIG")!.value as string));
        assert.ok(parsed.success, JSON.stringify(!parsed.success && parsed.error.issues));
        assert.deepEqual(parsed.data.features, ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
        assert.deepEqual(parsed.data.background, { s3: { bucket: "references", key: "iris/reference.csv" } });
        assert.equal(parsed.data.samples, 256);
        assert.equal(parsed.data.timeoutMs, 20_000);
        assert.equal(parsed.data.maxPredictorCalls, 50);
        assert.equal(parsed.data.maxInstances, 4);
    });

    it("the platform's bounds are the service's (maxExactFeatures)", () => {
        assert.equal(kernelShapExplainerSchema.safeParse({ kind: "kernel-shap", maxExactFeatures: MAX_EXACT_FEATURES }).success, true);
        assert.equal(kernelShapExplainerSchema.safeParse({ kind: "kernel-shap", maxExactFeatures: MAX_EXACT_FEATURES + 1 }).success, false);
        assert.equal(explainerConfigSchema.safeParse({ features: ["a"], background: { inline: [[1]] }, maxExactFeatures: MAX_EXACT_FEATURES + 1 }).success, false);
    });
});

describe("the dev stack's sklearn-iris: a kernel-shap explainer and adversarial detection, wired by the platform", () => {
    it("its InferenceService carries the explainer (the model's v1 protocol, the monitoring reference as background) and its outputs the :explain URL and a curl line", async () => {
        const dev = await renderStack("dev");
        const isvc = manifest(dev, "InferenceService", "sklearn-iris") as any;
        const c = isvc.spec.explainer.containers[0];
        assert.equal(c.image, versions.images.explainer);
        assert.deepEqual(c.args, ["--predictor_protocol", "v1"]);
        const config = JSON.parse(c.env.find((e: any) => e.name === "EXPLAINER_CONFIG").value);
        assert.deepEqual(explainerConfigSchema.parse(config).features, ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
        assert.equal(isvc.spec.explainer.serviceAccountName, isvc.spec.predictor.serviceAccountName);
        const out = (dev.outputs["models"] as any)["sklearn-iris"];
        assert.equal(out.explainUrl, "http://sklearn-iris-explainer.inferstack-models.127.0.0.1.sslip.io/v1/models/sklearn-iris:explain");
        assert.match(out.explainCurl, /-H 'Host: sklearn-iris-explainer\.inferstack-models\.127\.0\.0\.1\.sslip\.io' .*\/v1\/models\/sklearn-iris:explain/);
        assert.equal((dev.outputs["models"] as any)["xgboost-iris"].explainUrl, undefined, "no explainer, no explain URL");
        assert.equal((manifest(dev, "InferenceService", "xgboost-iris") as any).spec.explainer, undefined);
    });

    it("monitoring.explainerImage picks the image of the detector and of explainers that name none", async () => {
        const image = "dev.local/inferstack/explainer:0.2.0";
        const monitoring = { ...(stackFileConfig("dev")["inferstack:monitoring"] as object), explainerImage: image };
        const dev = await renderDevWith({ monitoring });
        assert.equal((manifest(dev, "InferenceService", "sklearn-iris") as any).spec.explainer.containers[0].image, image);
        assert.equal((manifest(dev, "Service", "adversarial-detector") as any).spec.template.spec.containers[0].image, image);
        assert.match(configErrorOf({ ...stackRaw("dev"), monitoring: { explainerImage: "ghcr.io/acme/explainer:latest" } }), /inferstack:monitoring\.explainerImage: got .*latest tag/);
    });
});

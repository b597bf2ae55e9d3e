/**
 * Issue 12, items 4-8: the InferenceService fields a KServe user writes (private images and ServiceAccounts, probes
 * and Knative annotations, placement on every component, more model formats, command, the batcher, cluster-local
 * visibility), each rendered 1:1 and validated strictly against KServe's CRD, and each admission rule mirrored in the
 * schema with the exact config upstream would refuse.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { knativeComponentAnnotations, knativeReservedEnvNames, modelSchema, type ModelConfig } from "../components/models/modelSchema";
import { clusterLocalLabel, inferenceServiceLabels, inferenceServiceSpec } from "../components/models/modelService";
import { Render, repoRoot } from "../tools/renderStack";
import { validateObjects } from "../tools/validateManifests";
import { configErrorOf, manifest, renderDevWith, stackFileConfig, stackRaw } from "./helpers";
import { parsePlatformConfig } from "../stacks/config";

const sa = "kserve-models";
const broker = "http://broker-ingress.knative-eventing.svc.cluster.local/inferstack-models/default";
const base = { name: "m", framework: "sklearn", stable: { storageUri: "s3://models/m/v1" } };

function model(entry: Record<string, unknown>): ModelConfig {
    return modelSchema.parse({ ...base, ...entry });
}
function spec(entry: Record<string, unknown>): any {
    return JSON.parse(JSON.stringify(inferenceServiceSpec(model(entry), sa, broker)));
}
function problems(entry: Record<string, unknown>): string[] {
    const r = modelSchema.safeParse({ ...base, ...entry });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}
function assertRefused(entry: Record<string, unknown>, expected: RegExp) {
    const found = problems(entry);
    assert.ok(found.some((p) => expected.test(p)), `${JSON.stringify(entry)}\n  expected ${expected}\n  got ${JSON.stringify(found)}`);
}
const isvc = (s: unknown) => ({ apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", metadata: { name: "m", namespace: "models" }, spec: s });
async function assertValid(specs: unknown[]) {
    const results = await validateObjects(specs.map(isvc));
    assert.deepEqual(results.filter((r) => !r.valid).map((r) => r.errors), []);
    assert.ok(results.every((r) => r.sources.includes("crd")), "checked against KServe's CRD");
}
const pre = { image: "ghcr.io/acme/pre:1.0.0" };
const custom = (v: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ({ framework: "custom", stable: { image: "ghcr.io/acme/model:1.2.3", ...v }, ...rest });

describe("item 4: private images and per-model ServiceAccounts", () => {
    it("imagePullSecrets and serviceAccountName map onto each component's pod spec; the platform's account is the default", () => {
        const s = spec({ imagePullSecrets: [{ name: "ghcr-pull" }], serviceAccountName: "fraud-model", transformer: { ...pre, imagePullSecrets: [{ name: "ghcr-pull" }] }, explainer: { ...pre, serviceAccountName: "explainer" } });
        assert.deepEqual(s.predictor.imagePullSecrets, [{ name: "ghcr-pull" }]);
        assert.equal(s.predictor.serviceAccountName, "fraud-model");
        assert.equal(s.transformer.serviceAccountName, "fraud-model", "a transformer without its own account runs as the predictor does");
        assert.deepEqual(s.transformer.imagePullSecrets, [{ name: "ghcr-pull" }]);
        assert.equal(s.explainer.serviceAccountName, "explainer");
        const byDefault = spec({ transformer: pre });
        assert.equal(byDefault.predictor.serviceAccountName, sa);
        assert.equal(byDefault.transformer.serviceAccountName, sa);
        assert.equal("imagePullSecrets" in byDefault.predictor, false);
    });
    it("refuses names Knative's webhook would (serviceAccountName: a DNS-1123 subdomain, ValidatePodSpec)", () => {
        assertRefused({ serviceAccountName: "Fraud_Model" }, /^serviceAccountName: must be a DNS-1123 subdomain/);
        assertRefused({ imagePullSecrets: [{ name: "" }] }, /^imagePullSecrets\.0\.name: must be a DNS-1123 subdomain/);
        assertRefused({ imagePullSecrets: ["ghcr-pull"] }, /^imagePullSecrets\.0: /);
        assertRefused({ transformer: { ...pre, serviceAccountName: "-x" } }, /^transformer\.serviceAccountName: must be a DNS-1123 subdomain/);
    });
});

describe("item 5: probes and slow starts", () => {
    const ready = { httpGet: { path: "/v2/health/ready" }, periodSeconds: 10, failureThreshold: 30, timeoutSeconds: 5 };
    const startup = { tcpSocket: { port: 8080 }, periodSeconds: 10, failureThreshold: 60 };
    it("probes go onto the serving container: the runtime's model, a custom predictor, a transformer", () => {
        const m = spec({ stable: { storageUri: "s3://models/m/v1", readinessProbe: ready, startupProbe: startup, livenessProbe: { exec: { command: ["cat", "/tmp/ok"] } } } }).predictor.model;
        assert.deepEqual([m.readinessProbe, m.startupProbe, m.livenessProbe], [ready, startup, { exec: { command: ["cat", "/tmp/ok"] } }]);
        const c = spec(custom({ ports: [{ name: "h2c", containerPort: 8081 }], readinessProbe: { grpc: { port: 8081 } } }, { logging: "off" })).predictor.containers[0];
        assert.deepEqual(c.readinessProbe, { grpc: { port: 8081 } });
        assert.deepEqual(spec({ transformer: { ...pre, livenessProbe: { httpGet: { path: "/healthz", port: 8080 } } } }).transformer.containers[0].livenessProbe, { httpGet: { path: "/healthz", port: 8080 } });
        assert.equal("readinessProbe" in spec({}).predictor.model, false, "nothing unless asked");
    });
    it("refuses the probes Knative 1.23's webhook refuses (k8s_validation.go, validateProbe / validateReadinessProbe)", () => {
        const v = (p: Record<string, unknown>, key = "readinessProbe", extra: Record<string, unknown> = {}) => ({ stable: { storageUri: "s3://models/m/v1", [key]: p, ...extra } });
        // no handler, two handlers
        assertRefused(v({ periodSeconds: 5 }), /^stable\.readinessProbe: must set exactly one of httpGet, tcpSocket, exec, grpc \(Knative refuses none\)/);
        assertRefused(v({ httpGet: { path: "/" }, tcpSocket: { port: 8080 } }), /^stable\.readinessProbe: must set exactly one of .* \(Knative refuses httpGet and tcpSocket\)/);
        // "failureThreshold is disallowed when periodSeconds is zero"
        assertRefused(v({ httpGet: { path: "/" }, failureThreshold: 30 }), /^stable\.readinessProbe\.failureThreshold: needs periodSeconds: without it Knative runs its own aggressive readiness probe/);
        assertRefused(v({ httpGet: { path: "/" }, timeoutSeconds: 5 }), /^stable\.readinessProbe\.timeoutSeconds: needs periodSeconds/);
        // "Probe port must match container port": a named port other than the serving port's name
        assertRefused(v({ httpGet: { path: "/", port: "http" } }), /^stable\.readinessProbe\.httpGet\.port: must match the container port's name \(the port is unnamed\)/);
        assertRefused({ logging: "off", stable: { storageUri: "s3://models/m/v1", ports: [{ name: "h2c", containerPort: 8081 }], livenessProbe: { tcpSocket: { port: "http1" } } } }, /^stable\.livenessProbe\.tcpSocket\.port: must match the container port's name \(h2c\)/);
        // fields Knative's ProbeMask / HTTPGetActionMask do not carry
        assertRefused(v({ httpGet: { path: "/", port: 8080, extra: 1 } }), /^stable\.readinessProbe\.httpGet: Unrecognized key/);
        // Kubernetes: liveness and startup need successThreshold 1; KServe's CRD: tcpSocket and grpc need a port
        assertRefused(v({ httpGet: { path: "/" }, successThreshold: 2 }, "livenessProbe"), /^stable\.livenessProbe\.successThreshold: must be 1 for a liveness probe/);
        assertRefused(v({ tcpSocket: {} }, "startupProbe"), /^stable\.startupProbe\.tcpSocket\.port: /);
        assertRefused({ transformer: { ...pre, readinessProbe: { exec: { command: [] } } } }, /^transformer\.readinessProbe\.exec\.command: must name the command/);
        assertRefused({ canary: { storageUri: "s3://models/m/v2", trafficPercent: 10, readinessProbe: { httpGet: { path: "/" }, failureThreshold: 3 } } }, /^canary\.readinessProbe\.failureThreshold: needs periodSeconds/);
        // accepted: a named port equal to the serving port's, Knative's aggressive probe
        assert.deepEqual(problems({ logging: "off", stable: { storageUri: "s3://models/m/v1", ports: [{ name: "h2c", containerPort: 8081 }], readinessProbe: { tcpSocket: { port: "h2c" } } } }), []);
        assert.deepEqual(problems(v({ httpGet: { path: "/" }, successThreshold: 1 })), []);
    });
    it("Knative annotations per component, with the values Knative accepts", () => {
        const annotations = {
            "autoscaling.knative.dev/initial-scale": "3",
            "autoscaling.knative.dev/window": "2m",
            "autoscaling.knative.dev/panic-window-percentage": "20.0",
            "autoscaling.knative.dev/panic-threshold-percentage": "150",
            "autoscaling.knative.dev/scale-down-delay": "15m",
            "autoscaling.knative.dev/scale-to-zero-pod-retention-period": "1m30s",
            "serving.knative.dev/progress-deadline": "30m",
        };
        assert.deepEqual(Object.keys(annotations).sort(), Object.keys(knativeComponentAnnotations).sort(), "each allowed key is exercised");
        const s = spec({ annotations, transformer: { ...pre, annotations: { "serving.knative.dev/progress-deadline": "20m" } } });
        assert.deepEqual(s.predictor.annotations, annotations);
        assert.deepEqual(s.transformer.annotations, { "serving.knative.dev/progress-deadline": "20m" });
        assert.equal(spec({ annotations: { "autoscaling.knative.dev/initial-scale": 2 } }).predictor.annotations["autoscaling.knative.dev/initial-scale"], "2", "a YAML number becomes the string an annotation is");
        assert.equal("annotations" in spec({}).predictor, false);
    });
    it("refuses annotation values Knative's webhook refuses (annotation_validation.go, revision_validation.go), and KServe's fields in disguise", () => {
        const a = (k: string, v: unknown) => ({ annotations: { [k]: v } });
        // validateWindow: 6s..1h, whole seconds
        assertRefused(a("autoscaling.knative.dev/window", "5s"), /^annotations\.autoscaling\.knative\.dev\/window: must be from 6s to 3600s/);
        assertRefused(a("autoscaling.knative.dev/window", "2h"), /must be from 6s to 3600s/);
        assertRefused(a("autoscaling.knative.dev/window", "6500ms"), /must be whole seconds/);
        assertRefused(a("autoscaling.knative.dev/window", "soon"), /must be a duration/);
        // validateFloats: panic window 1..100, panic threshold 110..1000
        assertRefused(a("autoscaling.knative.dev/panic-window-percentage", "0.5"), /must be from 1 to 100/);
        assertRefused(a("autoscaling.knative.dev/panic-threshold-percentage", "100"), /must be from 110 to 1000/);
        // validateInitialScale: a whole number
        assertRefused(a("autoscaling.knative.dev/initial-scale", "-1"), /must be a whole number, 0 or more/);
        // validateProgressDeadlineAnnotation: second precision
        assertRefused(a("serving.knative.dev/progress-deadline", "1.5s"), /^annotations\.serving\.knative\.dev\/progress-deadline: must be whole seconds/);
        // validateScaleDownDelay: at most 1h
        assertRefused(a("autoscaling.knative.dev/scale-down-delay", "2h"), /must be from 0s to 3600s/);
        // KServe drops min-scale/max-scale (ServiceAnnotationDisallowedList); class/metric/target come from scaling
        assertRefused(a("autoscaling.knative.dev/min-scale", "1"), /is not set here: KServe drops it .* use scaling\.minReplicas/);
        assertRefused(a("autoscaling.knative.dev/metric", "rps"), /use scaling\.scaleMetric/);
        assertRefused(a("example.com/anything", "x"), /is not an annotation inferstack passes \(allowed: /);
        assertRefused({ explainer: { ...pre, annotations: { "autoscaling.knative.dev/window": "1s" } } }, /^explainer\.annotations\.autoscaling\.knative\.dev\/window: must be from 6s/);
    });
    it("initial-scale 0 needs serving.allowZeroInitialScale (Knative: \"initial-scale=0 not allowed by cluster\"), a cross-key rule", () => {
        const zero = { ...base, annotations: { "autoscaling.knative.dev/initial-scale": "0" }, scaling: { minReplicas: 0 } };
        assert.match(configErrorOf({ ...stackRaw("dev"), models: [zero] }), /inferstack:models\[0\]\.annotations\.autoscaling\.knative\.dev\/initial-scale: got "0"; may be 0 only with serving\.allowZeroInitialScale: true/);
        assert.match(configErrorOf({ ...stackRaw("dev"), models: [{ ...base, transformer: { ...pre, annotations: { "autoscaling.knative.dev/initial-scale": "0" } } }] }), /models\[0\]\.transformer\.annotations\.autoscaling\.knative\.dev\/initial-scale: got "0"; may be 0 only with/);
        assert.doesNotThrow(() => parsePlatformConfig({ ...stackRaw("dev"), models: [zero], serving: { allowZeroInitialScale: true } }));
    });
});

describe("item 6: placement on every component, affinity and topology spread", () => {
    const affinity = {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["g5.xlarge"] }] }] } },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "serving.kserve.io/inferenceservice": "m" } } } }] },
    };
    const spread = [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "serving.kserve.io/inferenceservice": "m" } } }];
    it("renders nodeSelector, tolerations, affinity and topologySpreadConstraints on the predictor, transformer and explainer", () => {
        const placed = { nodeSelector: { pool: "cpu" }, tolerations: [{ key: "dedicated", value: "ml", effect: "NoSchedule" }], affinity, topologySpreadConstraints: spread };
        const s = spec({ ...placed, transformer: { ...pre, ...placed }, explainer: { ...pre, ...placed, resources: { gpu: 1 } } });
        for (const c of ["predictor", "transformer"]) {
            assert.deepEqual([s[c].nodeSelector, s[c].affinity, s[c].topologySpreadConstraints], [{ pool: "cpu" }, affinity, spread], c);
            assert.deepEqual(s[c].tolerations, [{ key: "dedicated", operator: "Equal", value: "ml", effect: "NoSchedule" }], c);
        }
        assert.deepEqual(s.explainer.tolerations.map((t: { key: string }) => t.key), ["dedicated", "nvidia.com/gpu"], "a GPU explainer tolerates the GPU taint too");
        assert.equal("affinity" in spec({ transformer: pre }).transformer, false);
    });
    it("the platform enables each Knative pod-spec flag these fields need (else Knative refuses or drops them)", async () => {
        const { knativeServingConfig } = await import("../components/knative/knativeServing");
        const features = knativeServingConfig({ domain: "example.com", autoscaler: { scaleToZero: true, stableWindow: "60s", scaleToZeroGracePeriod: "30s", scaleDownDelay: "0s", containerConcurrencyTarget: 100 } }, "kourier").features;
        for (const flag of ["affinity", "nodeselector", "tolerations", "topologyspreadconstraints"]) assert.equal(features[`kubernetes.podspec-${flag}`], "enabled", flag);
    });
    it("refuses what Kubernetes' pod validation would", () => {
        assertRefused({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "a", operator: "In" }] }] } } } }, /matchExpressions\.0\.values: must not be empty with operator In/);
        assertRefused({ affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: "zone" } }] } } }, /^affinity\.podAffinity\.preferredDuringSchedulingIgnoredDuringExecution\.0\.weight: must be from 1 to 100/);
        assertRefused({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {} }] } } }, /topologyKey: /);
        assertRefused({ topologySpreadConstraints: [{ ...spread[0], minDomains: 2 }] }, /^topologySpreadConstraints\.0\.minDomains: needs whenUnsatisfiable: DoNotSchedule/);
        assertRefused({ topologySpreadConstraints: [{ ...spread[0], maxSkew: 0 }] }, /^topologySpreadConstraints\.0\.maxSkew: must be at least 1/);
        assertRefused({ tolerations: [{ key: "a", operator: "Exists", value: "b" }] }, /^tolerations\.0\.value: must be empty with operator Exists/);
        assertRefused({ transformer: { ...pre, tolerations: [{ key: "", operator: "Equal" }] } }, /^transformer\.tolerations\.0\.operator: must be Exists when key is empty/);
        assertRefused({ explainer: { ...pre, tolerations: [{ key: "a", tolerationSeconds: 30, effect: "NoSchedule" }] } }, /^explainer\.tolerations\.0\.tolerationSeconds: needs effect NoExecute/);
    });
});

describe("item 7: every model format KServe v0.20's runtimes chart serves", () => {
    it("pmml, paddle, autogluon and tensorrt map onto their ClusterServingRuntimes (the runtime table test checks versions and protocols)", () => {
        const expected: Record<string, [string, string, string | undefined]> = {
            pmml: ["pmml", "kserve-pmmlserver", undefined],
            paddle: ["paddle", "kserve-paddleserver", undefined],
            autogluon: ["autogluon", "kserve-autogluonserver", undefined],
            tensorrt: ["tensorrt", "kserve-tritonserver", "v2"],
        };
        for (const [framework, want] of Object.entries(expected)) {
            const p = spec({ framework }).predictor.model;
            assert.deepEqual([p.modelFormat.name, p.runtime, p.protocolVersion], want, framework);
        }
        assertRefused({ framework: "pmml", formatVersion: "5" }, /^formatVersion: is not served by kserve-pmmlserver, which inferstack picks for pmml \(it supports pmml 3, 4\)/);
        assertRefused({ framework: "tensorrt", protocolVersion: "v1" }, /^protocolVersion: is not spoken by kserve-tritonserver/);
    });
    it("every auto-selectable format of the chart is a framework, or listed in docs/models.md with the reason it is not", () => {
        type Runtime = { metadata: { name: string }; spec: { supportedModelFormats: { name: string; autoSelect?: boolean }[] } };
        const runtimes = (yaml.loadAll(readFileSync(path.join(repoRoot, "test/upstream/charts/kserve-runtime-configs/files/runtimes/resources.yaml"), "utf8")) as (Runtime | null)[]).filter((r): r is Runtime => !!r);
        const formats = new Set(runtimes.flatMap((r) => r.spec.supportedModelFormats.filter((f) => f.autoSelect).map((f) => f.name)));
        const doc = readFileSync(path.join(repoRoot, "docs/models.md"), "utf8");
        const frameworksNow = modelSchema.shape.framework.options as readonly string[];
        for (const f of formats) assert.ok(frameworksNow.includes(f) || new RegExp(`\`${f}\`[^\\n]*not supported`).test(doc), `${f}: a framework, or "not supported" in docs/models.md`);
    });
});

describe("item 8: command, the batcher, cluster-local visibility", () => {
    it("command replaces the entrypoint of the runtime's container, a custom container or a transformer", () => {
        assert.deepEqual(spec({ stable: { storageUri: "s3://models/m/v1", command: ["python", "-m", "sklearnserver"] } }).predictor.model.command, ["python", "-m", "sklearnserver"]);
        assert.deepEqual(spec(custom({ command: ["/serve"] })).predictor.containers[0].command, ["/serve"]);
        assert.deepEqual(spec({ transformer: { ...pre, command: ["python", "pre.py"] } }).transformer.containers[0].command, ["python", "pre.py"]);
        assertRefused({ stable: { storageUri: "s3://models/m/v1", command: [] } }, /^stable\.command: must name the command/);
    });
    it("batcher maps onto spec.predictor.batcher; not with gRPC (the agent proxies HTTP/1 only)", () => {
        assert.deepEqual(spec({ batcher: { maxBatchSize: 32, maxLatency: 500 } }).predictor.batcher, { maxBatchSize: 32, maxLatency: 500 });
        assert.deepEqual(spec({ batcher: {} }).predictor.batcher, {}, "KServe's defaults");
        assert.equal("batcher" in spec({}).predictor, false);
        assertRefused({ batcher: { maxBatchSize: 0 } }, /^batcher\.maxBatchSize: must be at least 1/);
        assertRefused({ logging: "off", batcher: {}, stable: { storageUri: "s3://models/m/v1", ports: [{ name: "h2c", containerPort: 8081 }] } }, /^batcher: cannot batch an h2c \(gRPC\) predictor \(stable\.ports\)/);
    });
    it("visibility cluster-local is Knative's label on the InferenceService (KServe copies it onto its Knative Services)", () => {
        assert.deepEqual(clusterLocalLabel, { "networking.knative.dev/visibility": "cluster-local" });
        assert.equal(inferenceServiceLabels(model({ visibility: "cluster-local" }))["networking.knative.dev/visibility"], "cluster-local");
        assert.equal("networking.knative.dev/visibility" in inferenceServiceLabels(model({})), false, "external by default");
        assertRefused({ visibility: "private" }, /^visibility: /);
    });
});

describe("Knative's reserved env names and KServe's component rules", () => {
    it("PORT, K_SERVICE, K_CONFIGURATION and K_REVISION are refused in every container (k8s_validation.go, reservedEnvVars)", () => {
        assert.deepEqual([...knativeReservedEnvNames], ["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"]);
        const message = "is reserved by Knative, which sets it in every revision (reserved env names: PORT, K_SERVICE, K_CONFIGURATION, K_REVISION)";
        for (const name of knativeReservedEnvNames) {
            const env = [{ name, value: "8080" }];
            assert.deepEqual(problems({ stable: { storageUri: "s3://models/m/v1", env } }), [`stable.env.0.name: ${message}`], name);
            assert.deepEqual(problems(custom({ env })), [`stable.env.0.name: ${message}`], name);
            assert.deepEqual(problems({ transformer: { ...pre, env } }), [`transformer.env.0.name: ${message}`], name);
            assert.deepEqual(problems({ explainer: { ...pre, env } }), [`explainer.env.0.name: ${message}`], name);
        }
        assert.deepEqual(problems({ stable: { storageUri: "s3://models/m/v1", env: [{ name: "HTTP_PORT", value: "8080" }] } }), []);
    });
    it("a custom predictor's PROTOCOL must be v1 or v2 (predictor_custom.go, validateCustomProtocol)", () => {
        assertRefused(custom({ env: [{ name: "PROTOCOL", value: "grpc-v2" }] }), /^stable\.env\.0\.value: must be v1 or v2 for a custom predictor's PROTOCOL/);
        assertRefused(custom({ env: [{ name: "PROTOCOL", valueFrom: { configMapKeyRef: { name: "c", key: "p" } } }] }), /KServe reads the literal value, not valueFrom/);
        assert.deepEqual(problems(custom({ env: [{ name: "PROTOCOL", value: "v2" }] })), []);
        assert.deepEqual(problems({ stable: { storageUri: "s3://models/m/v1", env: [{ name: "PROTOCOL", value: "anything" }] } }), [], "only custom predictors are checked");
    });
    it("a transformer's or explainer's minReplicas at most its maxReplicas, unset counting as 1 (component.go, validateReplicas)", () => {
        assertRefused({ transformer: { ...pre, scaling: { minReplicas: 4, maxReplicas: 2 } } }, /^transformer\.scaling\.minReplicas: must be at most scaling\.maxReplicas \(2\): KServe refuses it/);
        assertRefused({ explainer: { ...pre, scaling: { minReplicas: 5, maxReplicas: 1 } } }, /^explainer\.scaling\.minReplicas: must be at most/);
        assert.deepEqual(problems({ transformer: { ...pre, scaling: { maxReplicas: 1 } } }), []);
    });
    it("each component has exactly one implementation and one container (inference_service_validation.go, validateExactlyOneImplementation)", () => {
        const implementations = ["model", "containers", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "huggingface", "pmml", "lightgbm", "paddle"];
        for (const entry of [{}, custom({ command: ["/serve"] }), { framework: "pmml", transformer: pre, explainer: pre }, custom({}, { canary: { image: "ghcr.io/acme/model:1.2.4", trafficPercent: 10 }, transformer: pre })]) {
            const s = spec(entry);
            for (const c of ["predictor", "transformer", "explainer"].filter((k) => s[k])) {
                assert.equal(implementations.filter((k) => k in s[c]).length, 1, `${c} of ${JSON.stringify(entry)}`);
                if (s[c].containers) assert.equal(s[c].containers.length, 1, "no collocated second container");
            }
        }
    });
    it("names: KServe's regex and inferstack's 45-character cap", () => {
        assertRefused({ name: "1model" }, /^name: must be a DNS-1035 label/);
        assertRefused({ name: "a".repeat(46) }, /^name: must be at most 45 characters/);
    });
});

describe("every new field renders and validates strictly against KServe's CRD", () => {
    it("one InferenceService per feature, each valid", async () => {
        await assertValid([
            spec({ imagePullSecrets: [{ name: "ghcr-pull" }], serviceAccountName: "fraud-model", transformer: { ...pre, imagePullSecrets: [{ name: "x" }], serviceAccountName: "pre" } }),
            spec({
                stable: { storageUri: "s3://models/m/v1", command: ["python", "-m", "sklearnserver"], readinessProbe: { httpGet: { path: "/v1/models/m", port: 8080, httpHeaders: [{ name: "X", value: "y" }] }, periodSeconds: 10, failureThreshold: 30, timeoutSeconds: 5, successThreshold: 1 }, startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 10, failureThreshold: 60 }, livenessProbe: { exec: { command: ["true"] }, initialDelaySeconds: 5, terminationGracePeriodSeconds: 30 } },
                annotations: { "autoscaling.knative.dev/initial-scale": "2", "serving.knative.dev/progress-deadline": "30m", "autoscaling.knative.dev/window": "2m" },
                batcher: { maxBatchSize: 32, maxLatency: 500, timeout: 60 },
            }),
            spec(custom({ ports: [{ name: "h2c", containerPort: 8081 }], readinessProbe: { grpc: { port: 8081, service: "inference" } }, command: ["/serve"], env: [{ name: "PROTOCOL", value: "v2" }] }, { logging: "off" })),
            spec({
                affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: "gpu", operator: "Exists" }] } }] }, podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["m"] }] } }] } },
                topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", minDomains: 2, labelSelector: { matchLabels: { a: "b" } } }],
                tolerations: [{ key: "spot", operator: "Exists", effect: "NoExecute", tolerationSeconds: 60 }],
                transformer: { ...pre, nodeSelector: { pool: "cpu" }, tolerations: [{ key: "dedicated", value: "ml" }], annotations: { "autoscaling.knative.dev/scale-down-delay": "5m" }, command: ["python"], livenessProbe: { httpGet: { path: "/" } } },
                explainer: { ...pre, resources: { gpu: 1 }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "zone" }] } } },
            }),
            ...["pmml", "paddle", "autogluon", "tensorrt"].map((framework) => spec({ framework, stable: { storageUri: "gs://b/m" } })),
        ]);
    });

    describe("a dev render with a model using every new field", () => {
        let render: Render;
        const everything = {
            name: "fraud-pmml",
            framework: "pmml",
            formatVersion: "4",
            stable: { storageUri: "s3://models/fraud/pmml/v1", readinessProbe: { httpGet: { path: "/v1/models/fraud-pmml" }, periodSeconds: 5 }, command: ["python", "-m", "pmmlserver"] },
            resources: { cpu: "500m", memory: "1Gi", cpuLimit: "1", memoryLimit: "1Gi" },
            imagePullSecrets: [{ name: "registry-pull" }],
            annotations: { "serving.knative.dev/progress-deadline": "20m", "autoscaling.knative.dev/initial-scale": "1" },
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" }],
            batcher: { maxBatchSize: 16 },
            visibility: "cluster-local",
            scaling: { timeout: 900 },
            transformer: { image: "ghcr.io/acme/pre:1.0.0", nodeSelector: { pool: "cpu" }, resources: { cpu: "100m", memory: "128Mi", cpuLimit: "500m", memoryLimit: "256Mi" } },
        };
        before(async () => {
            render = await renderDevWith({ models: [...(stackFileConfig("dev")["inferstack:models"] as unknown[]), everything], serving: { maxRevisionTimeoutSeconds: 900 } });
        });
        it("renders the InferenceService with each field, valid against the CRD", async () => {
            const o = manifest(render, "InferenceService", "fraud-pmml") as any;
            assert.equal(o.metadata.labels["networking.knative.dev/visibility"], "cluster-local");
            assert.deepEqual(o.spec.predictor.imagePullSecrets, [{ name: "registry-pull" }]);
            assert.deepEqual(o.spec.predictor.annotations, everything.annotations);
            assert.deepEqual(o.spec.predictor.batcher, { maxBatchSize: 16 });
            assert.equal(o.spec.predictor.timeout, 900);
            assert.deepEqual(o.spec.predictor.model.readinessProbe, everything.stable.readinessProbe);
            assert.deepEqual(o.spec.transformer.nodeSelector, { pool: "cpu" });
            const [result] = await validateObjects([o]);
            assert.deepEqual(result.errors, []);
        });
        it("a cluster-local model's URL is Knative's cluster-local host", () => {
            const models = render.outputs["models"] as Record<string, { url: string }> | undefined;
            assert.ok(models, "the stack exports its models");
            assert.equal(models["fraud-pmml"].url, "http://fraud-pmml-transformer.inferstack-models.svc.cluster.local");
        });
    });
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { versions } from "../components/versions";
import { MOCK_SECRET_PREFIX, Render, manifestsYaml, renderStack, repoRoot } from "../tools/renderStack";
import { byType, devModelsWithCanary, renderDevWith, imagesIn, manifest, one, strictFailures, validateWithModels } from "./helpers";

let dev: Render;
before(async () => {
    dev = await renderStack("dev");
});

const chartType = "kubernetes:helm.sh/v4:Chart";
function chart(chartName: string) {
    const charts = byType(dev, chartType).filter((r) => String(r.inputs["chart"]).endsWith(chartName));
    assert.equal(charts.length, 1, `one ${chartName} chart`);
    return charts[0];
}

describe("dev stack render", () => {
    it("composes every platform component once", () => {
        for (const type of [
            "inferstack:platform:Platform",
            "inferstack:cluster:ExistingCluster",
            "inferstack:certManager:CertManager",
            "inferstack:knative:KnativeOperator",
            "inferstack:knative:KnativeServing",
            "inferstack:knative:KnativeEventing",
            "inferstack:knative:InferenceBroker",
            "inferstack:kserve:KServe",
            "inferstack:storage:MinioObjectStore",
            "inferstack:monitoring:Monitoring",
            "inferstack:monitoring:PlatformMonitors",
        ]) {
            assert.equal(byType(dev, type).length, 1, type);
        }
        assert.equal(byType(dev, "inferstack:models:ModelService").length, 2);
    });

    it("targets the cluster through one explicit provider, used by every Kubernetes object", () => {
        const provider = one(dev, "pulumi:providers:kubernetes");
        assert.equal(provider.inputs["enableServerSideApply"], "true");
        const k8sObjects = dev.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:"));
        assert.ok(k8sObjects.length > 20);
        for (const r of k8sObjects) assert.match(r.provider ?? "", new RegExp(`^${provider.urn.replace(/[$]/g, "\\$")}::`), r.urn);
    });

    it("names the provider in one place: the Platform's providers option (components below inherit it through parent)", () => {
        const platform = readFileSync(path.join(repoRoot, "components", "platform", "platform.ts"), "utf8");
        assert.match(platform, /super\("inferstack:platform:Platform", name, \{\}, \{ \.\.\.opts, providers: withProvider\(opts\?\.providers, args\.cluster\.provider\) \}\)/);
        // Outside the cluster variants (which create the provider and install their own add-ons with it) and the
        // Platform, no component takes a Kubernetes provider as an argument or passes one on.
        const sources = (dir: string): string[] =>
            readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
        const offenders = sources(path.join(repoRoot, "components"))
            .map((f) => path.relative(repoRoot, f))
            .filter((f) => !f.startsWith(path.join("components", "cluster")) && f !== path.join("components", "platform", "platform.ts"))
            .filter((f) => /provider: k8s\.Provider|provider: (args|ctx)\.provider\b|\{ parent: this, provider \}/.test(readFileSync(path.join(repoRoot, f), "utf8")));
        assert.deepEqual(offenders, []);
    });

    it("mounts no ServiceAccount token in the pods that run as the namespace's default ServiceAccount (none calls the API)", () => {
        const podSpecs = dev.manifests.flatMap((m) => {
            const spec = (m as { spec?: { template?: { spec?: Record<string, unknown> } } }).spec?.template?.spec;
            return spec && ["Deployment", "Job", "Service"].includes(m.kind) ? [{ what: `${m.kind} ${m.metadata.name}`, spec }] : [];
        });
        const asDefault = podSpecs.filter((p) => p.spec["serviceAccountName"] === undefined || p.spec["serviceAccountName"] === "default");
        const names = asDefault.map((p) => p.what);
        // Minio and its setup Job, the model monitor, the adversarial detector, the Broker's dead-letter sink.
        for (const expected of [/^Deployment minio$/, /^Job /, /^Service model-monitor$/, /^Service adversarial-detector$/, /^Service .*dead-letter/]) assert.ok(names.some((n) => expected.test(n)), `${expected} among ${names.join(", ")}`);
        for (const p of asDefault) assert.equal(p.spec["automountServiceAccountToken"], false, p.what);
    });

    it("pins every chart to the version in components/versions.ts", () => {
        assert.equal(chart("cert-manager").inputs["version"], versions.certManager.version);
        const certManagerValues = chart("cert-manager").inputs["values"] as any;
        assert.deepEqual(certManagerValues.crds, { enabled: true });
        assert.deepEqual([certManagerValues.replicaCount, certManagerValues.webhook.replicaCount, certManagerValues.cainjector.replicaCount], [1, 1, 1]);
        // The startup API check runs as an ordinary Job (hook annotations removed): a readiness gate for cert-manager.
        assert.equal(certManagerValues.startupapicheck.jobAnnotations, null);
        assert.equal(chart("knative-operator").inputs["version"], versions.knativeOperator.version);
        assert.equal(chart("kserve-crd").inputs["version"], versions.kserve.crds.version);
        assert.equal(chart("kserve-resources").inputs["version"], versions.kserve.resources.version);
        assert.equal(chart("kserve-runtime-configs").inputs["version"], versions.kserve.runtimeConfigs.version);
        assert.equal(chart("kube-prometheus-stack").inputs["version"], versions.kubePrometheusStack.version);
        for (const c of byType(dev, chartType)) {
            assert.match(String(c.inputs["version"]), /^v?\d+\.\d+\.\d+$/, `${c.name} pinned to an exact release`);
        }
    });

    it("pins every image, none to latest", () => {
        const images = [...imagesIn(dev.manifests), ...Object.values(versions.images)];
        assert.ok(images.length >= 6);
        for (const image of images) {
            assert.match(image, /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/, `${image} has a tag or digest`);
            assert.doesNotMatch(image, /:latest$/, image);
        }
    });

    it("configures Knative Serving for KServe: Kourier, domain, autoscaler defaults, feature flags, metrics", () => {
        const ks = manifest(dev, "KnativeServing", "knative-serving") as any;
        assert.equal(ks.apiVersion, "operator.knative.dev/v1beta1");
        assert.equal(ks.spec.version, versions.knativeServing);
        assert.equal(ks.spec.ingress.kourier.enabled, true);
        assert.equal(ks.spec.config.network["ingress-class"], "kourier.ingress.networking.knative.dev");
        assert.deepEqual(ks.spec.config.domain, { "127.0.0.1.sslip.io": "" });
        assert.deepEqual(ks.spec.config.autoscaler, {
            "enable-scale-to-zero": "true",
            "stable-window": "60s",
            "scale-to-zero-grace-period": "30s",
            "scale-down-delay": "0s",
            "container-concurrency-target-default": "100",
        });
        for (const flag of ["kubernetes.podspec-affinity", "kubernetes.podspec-nodeselector", "kubernetes.podspec-tolerations"]) {
            assert.equal(ks.spec.config.features[flag], "enabled", flag);
        }
        assert.equal(ks.spec.config.observability["metrics-protocol"], "prometheus");
        const cr = one(dev, "kubernetes:operator.knative.dev/v1beta1:KnativeServing");
        assert.ok(cr.dependsOn.some((d) => d.endsWith("knative-operator")), "waits for the operator's CRDs");
    });

    it("installs Eventing with an MT-channel Broker, a dead-letter sink, and outputs the Broker's ingress URL", () => {
        const ke = manifest(dev, "KnativeEventing", "knative-eventing") as any;
        assert.equal(ke.spec.defaultBrokerClass, "MTChannelBasedBroker");
        assert.equal(ke.spec.additionalManifests, undefined, "no Kafka broker in dev");
        const broker = manifest(dev, "Broker", "default") as any;
        assert.equal(broker.metadata.namespace, "inferstack-models");
        assert.equal(broker.metadata.annotations["eventing.knative.dev/broker.class"], "MTChannelBasedBroker");
        assert.deepEqual(broker.spec.config, { apiVersion: "v1", kind: "ConfigMap", name: "config-br-default-channel", namespace: "knative-eventing" });
        assert.deepEqual(broker.spec.delivery.deadLetterSink.ref, { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "default-dead-letter" });
        assert.equal(broker.spec.delivery.retry, 3);
        const sink = manifest(dev, "Service", "default-dead-letter") as any;
        assert.equal(sink.apiVersion, "serving.knative.dev/v1");
        assert.equal(sink.spec.template.spec.containers[0].image, versions.images.eventDisplay);
        assert.equal(dev.outputs["brokerUrl"], "http://broker-ingress.knative-eventing.svc.cluster.local/inferstack-models/default");
    });

    it("installs KServe in Knative mode behind Kourier, logging to the real Broker", () => {
        const kserve = chart("/kserve-resources") as any;
        const values = kserve.inputs.values.kserve;
        assert.equal(values.controller.deploymentMode, "Knative");
        assert.equal(values.controller.gateway.disableIstioVirtualHost, true);
        assert.equal(values.controller.gateway.ingressGateway.className, "kourier");
        assert.equal(values.controller.gateway.domain, "127.0.0.1.sslip.io");
        // The chart's logger default URL is not patched (a patch would conflict with the chart's next apply): every
        // InferenceService names the Broker itself.
        assert.deepEqual(dev.patches, []);
        for (const isvc of dev.manifests.filter((m) => m.kind === "InferenceService") as any[]) assert.equal(isvc.spec.predictor.logger.url, dev.outputs["brokerUrl"]);
        const runtimes = chart("/kserve-runtime-configs") as any;
        assert.equal(runtimes.inputs.values.kserve.servingruntime.enabled, true);
        assert.ok((runtimes.dependsOn as string[]).some((d) => d.endsWith("::inferstack-kserve")), "runtimes wait for the webhook");
        const deps = kserve.dependsOn as string[];
        assert.ok(deps.some((d) => d.endsWith("::inferstack-cert-manager")), "waits for cert-manager (webhook certificates)");
        assert.ok(deps.some((d) => d.endsWith("::inferstack-kserve-crd")), "waits for its CRDs");
        assert.ok(deps.some((d) => d.includes("KnativeServing::")), "waits for Knative Serving");
    });

    it("runs Minio on a protected volume with generated credentials and KServe S3 credentials", () => {
        const pvc = one(dev, "kubernetes:core/v1:PersistentVolumeClaim");
        assert.equal(pvc.protect, true);
        assert.equal(pvc.retainOnDelete, true);
        assert.deepEqual((pvc.inputs as any).spec.resources.requests, { storage: "10Gi" });
        const deployment = manifest(dev, "Deployment", "minio") as any;
        assert.equal(deployment.spec.template.spec.containers[0].image, versions.images.minio);
        assert.equal(deployment.spec.strategy.type, "Recreate");
        const s3 = manifest(dev, "Secret", "kserve-s3-credentials") as any;
        assert.equal(s3.metadata.namespace, "inferstack-models");
        assert.deepEqual(s3.metadata.annotations, {
            "serving.kserve.io/s3-endpoint": "minio.inferstack-storage.svc.cluster.local:9000",
            "serving.kserve.io/s3-usehttps": "0",
            "serving.kserve.io/s3-verifyssl": "0",
            "serving.kserve.io/s3-region": "us-east-1",
        });
        assert.deepEqual(s3.stringData, { AWS_ACCESS_KEY_ID: "[secret]", AWS_SECRET_ACCESS_KEY: "[secret]" });
        const sa = manifest(dev, "ServiceAccount", "kserve-models") as any;
        assert.deepEqual(sa.secrets, [{ name: "kserve-s3-credentials" }]);
        const job = dev.manifests.find((m) => m.kind === "Job") as any;
        const script = job.spec.template.spec.containers[0].command[2] as string;
        assert.match(script, /mc mb --ignore-existing local\/models/);
        assert.match(script, /mc version enable local\/models/);
        assert.match(script, /mc admin policy attach local inferstack-model-reader --user/);
        assert.equal(job.spec.template.spec.initContainers[0].command[2].split("curl ").length - 1, 3, "downloads the three sample artifacts");
        assert.equal(byType(dev, "random:index/randomPassword:RandomPassword").length, 3);
    });

    it("runs Prometheus and Grafana selecting every monitor, with PodMonitors for Knative, KServe and models", () => {
        const kps = chart("kube-prometheus-stack") as any;
        const spec = kps.inputs.values.prometheus.prometheusSpec;
        assert.equal(spec.serviceMonitorSelectorNilUsesHelmValues, false);
        assert.equal(spec.podMonitorSelectorNilUsesHelmValues, false);
        assert.equal(spec.ruleSelectorNilUsesHelmValues, false);
        assert.equal(kps.inputs.values.grafana.admin.existingSecret, "grafana-admin");
        assert.equal(JSON.stringify(kps.inputs.values).includes(MOCK_SECRET_PREFIX), false, "no password in chart values");
        const monitors = dev.manifests.filter((m) => m.kind === "PodMonitor" && m.metadata.namespace === "monitoring").map((m) => m.metadata.name).sort();
        const broker = manifest(dev, "PodMonitor", "knative-broker-data-plane") as any;
        assert.deepEqual(broker.spec.podMetricsEndpoints[0].portNumber, 9092);
        assert.deepEqual(monitors, ["knative-broker-data-plane", "knative-eventing", "knative-queue-proxy", "knative-serving-control-plane", "kserve-controller"]);
    });

    it("serves the sample models (stable only on a first deploy), logging to the Broker", async () => {
        const iris = manifest(dev, "InferenceService", "sklearn-iris") as any;
        assert.equal(iris.metadata.annotations["serving.kserve.io/deploymentMode"], "Knative");
        assert.equal(iris.spec.predictor.canaryTrafficPercent, undefined);
        assert.equal(iris.spec.predictor.model.storageUri, "s3://models/sklearn/iris/v1");
        // The README's step 1 (a canary on the rolled-out model) renders the canary's spec at 10 %.
        const withCanary = manifest(await renderDevWith({ models: devModelsWithCanary() }), "InferenceService", "sklearn-iris") as any;
        assert.equal(withCanary.spec.predictor.canaryTrafficPercent, 10);
        assert.equal(withCanary.spec.predictor.model.storageUri, "s3://models/sklearn/iris/v2");
        assert.equal(iris.spec.predictor.serviceAccountName, "kserve-models");
        assert.deepEqual(iris.spec.predictor.logger, { mode: "all", url: dev.outputs["brokerUrl"], metadataAnnotations: ["inferstack.io/model-version"] });
        const models = dev.outputs["models"] as Record<string, Record<string, string>>;
        // KServe without Istio routes only `<model>-predictor.<ns>.<domain>` (no top-level virtual host).
        assert.equal(models["sklearn-iris"].url, "http://sklearn-iris-predictor.inferstack-models.127.0.0.1.sslip.io");
        assert.match(models["sklearn-iris"].curl, /-H 'Host: sklearn-iris-predictor\.inferstack-models\.127\.0\.0\.1\.sslip\.io'/);
        assert.equal(models["sklearn-iris"].latestUrl, "http://latest-sklearn-iris-predictor.inferstack-models.127.0.0.1.sslip.io");
        assert.equal(models["sklearn-iris"].previousUrl, "http://prev-sklearn-iris-predictor.inferstack-models.127.0.0.1.sslip.io");
        assert.match(models["xgboost-iris"].curl, /\/v2\/models\/xgboost-iris\/infer/);
    });

    // Readiness gates chain: operator chart -> Ready KnativeServing -> KServe chart -> runtimes chart -> models.
    it("keeps the dependency graph shallow (explicit dependsOn chains at most 4 deep: the readiness gates)", () => {
        const deps = new Map(dev.resources.map((r) => [r.urn, r.dependsOn]));
        const depth = (urn: string, seen = new Set<string>()): number => {
            if (seen.has(urn)) throw new Error(`dependency cycle at ${urn}`);
            const next = deps.get(urn) ?? [];
            return next.length === 0 ? 0 : 1 + Math.max(...next.map((d) => depth(d, new Set([...seen, urn]))));
        };
        const max = Math.max(...dev.resources.map((r) => depth(r.urn)));
        assert.ok(max <= 4, `deepest explicit dependsOn chain is ${max}`);
    });

    it("validates core and Knative objects with kubernetes-models", async () => {
        const validated = await validateWithModels(dev.manifests);
        assert.ok(validated >= 18, `validated ${validated} objects`);
        const broken = structuredClone(manifest(dev, "Deployment", "minio")) as any;
        broken.spec.replicas = "one";
        await assert.rejects(() => validateWithModels([broken]), /Deployment inferstack-storage\/minio is invalid/);
    });

    it("passes strict validation against the vendored upstream schemas (objects and patches)", async () => {
        assert.deepEqual(await strictFailures(dev.manifests), []);
        assert.deepEqual(await strictFailures(dev.patches, { partial: true }), []);
    });

    it("the render command writes manifests, resources and a summary, with no secret anywhere", () => {
        const out = mkdtempSync(path.join(tmpdir(), "inferstack-render-"));
        const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools", "render.ts"), "--stack", "dev", "--out", out], { encoding: "utf8", cwd: repoRoot });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(readdirSync(out).sort(), ["graph.mmd", "manifests.yaml", "patches.yaml", "resources.json"]);
        assert.match(readFileSync(path.join(out, "graph.mmd"), "utf8"), /^flowchart LR\n {2}subgraph /);
        assert.match(r.stdout, /^stack dev: \d+ resources, \d+ Kubernetes objects/);
        assert.match(r.stdout, /kubeconfig: \[secret\]/);
        const resources = JSON.parse(readFileSync(path.join(out, "resources.json"), "utf8"));
        assert.equal(resources.length, dev.resources.length);
        for (const key of ["urn", "type", "name", "parent", "dependsOn", "inputs"]) assert.ok(key in resources[5], key);
        const everything = [r.stdout, r.stderr, readFileSync(path.join(out, "manifests.yaml"), "utf8"), readFileSync(path.join(out, "patches.yaml"), "utf8"), JSON.stringify(resources)].join("\n");
        assert.equal(everything.includes(MOCK_SECRET_PREFIX), false, "a generated secret leaked into the render");
        assert.ok(everything.includes("[secret]"));
        // Renders are stable: the same stack renders to the same bytes.
        assert.equal(readFileSync(path.join(out, "manifests.yaml"), "utf8"), manifestsYaml(dev.manifests));
        assert.equal(readFileSync(path.join(out, "patches.yaml"), "utf8"), manifestsYaml(dev.patches));
        assert.deepEqual(dev.patches, [], "nothing a chart owns is patched");
    });
});

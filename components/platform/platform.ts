import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./platformSchema";
import { CertManager } from "../certManager/certManager";
import { KubernetesCluster } from "../cluster/kubernetesCluster";
import { InferenceBroker } from "../knative/inferenceBroker";
import { KnativeEventing } from "../knative/knativeEventing";
import { KnativeOperator } from "../knative/knativeOperator";
import { KnativeServing, knativeMetricsPort, queueProxyMetricsPort } from "../knative/knativeServing";
import { KServe } from "../kserve/kserve";
import { platformNamespace } from "../kubernetes";
import { ModelService, modelProtocol } from "../models/modelService";
import { AdversarialDetector } from "../monitoring/adversarialDetector";
import { adversarialModelOf } from "../monitoring/adversarialSchema";
import { ModelAlerts } from "../monitoring/modelAlerts";
import { ModelMonitor } from "../monitoring/modelMonitor";
import { Monitoring } from "../monitoring/monitoring";
import { PlatformMonitors } from "../monitoring/platformMonitors";
import { ObjectStore } from "../storage/objectStore";
import type { ObjectStoreBuilder } from "../storage/objectStoreVariant";

/** p95 latency above which a revision counts as slow, for models without monitoring settings of their own. */
const defaultMaxP95LatencySeconds = 1;

/** What the platform gives an object store variant, and the builder the stack entry hands over (storage/). */
export type { ObjectStoreContext } from "../storage/objectStore";
export type ObjectStoreFactory = ObjectStoreBuilder;

export interface PlatformArgs {
    /** The parsed stack configuration (see platformSchema.ts). */
    config: PlatformConfig;
    /** The cluster to install onto. */
    cluster: KubernetesCluster;
    /** Creates the object store: the registered variant the stack chose (components/storage/objectStoreVariants.ts). */
    objectStore: ObjectStoreFactory;
}

/** The caller's `providers` option with the cluster's Kubernetes provider added (it wins over one given there). */
function withProvider(providers: pulumi.ComponentResourceOptions["providers"], provider: k8s.Provider): pulumi.ComponentResourceOptions["providers"] {
    if (providers === undefined) return [provider];
    // The SDK maps a list by package, later entries winning.
    if (Array.isArray(providers)) return [...providers, provider];
    return { ...providers, kubernetes: provider };
}

/** A model's endpoints, as stack outputs. */
export interface ModelEndpoints {
    url: pulumi.Output<string>;
    latestUrl: pulumi.Output<string>;
    previousUrl: pulumi.Output<string>;
    curl: pulumi.Output<string>;
    /** The explain endpoint and a curl line for it, when the model has an explainer. */
    explainUrl?: pulumi.Output<string>;
    explainCurl?: pulumi.Output<string>;
}

/**
 * The whole inference platform on one cluster: cert-manager, Knative Serving (Kourier) and Eventing through the
 * operator, the inference Broker, KServe, the object store, Prometheus/Grafana with the platform's monitors, and
 * one ModelService per configured model.
 *
 * Dependencies are only the ones the API server needs (CRDs before their objects, webhooks before KServe), so a
 * preview stays a shallow graph.
 */
export class Platform extends pulumi.ComponentResource {
    /** Namespace of the InferenceServices, the Broker and the monitors. */
    public readonly modelNamespace: pulumi.Output<string>;
    /** Broker ingress URL (the KServe logger's target). */
    public readonly brokerUrl: pulumi.Output<string>;
    /** Prometheus URL (in-cluster), empty when monitoring is off. */
    public readonly prometheusUrl: pulumi.Output<string>;
    /** Grafana URL (in-cluster), empty when Grafana is off. */
    public readonly grafanaUrl: pulumi.Output<string>;
    /** The object store. */
    public readonly objectStore: ObjectStore;
    /** Each model's endpoints, by model name. */
    public readonly models: Record<string, ModelEndpoints>;
    /** The Broker, for Triggers. */
    public readonly broker: InferenceBroker;
    /** Prometheus/Grafana, when enabled. */
    public readonly monitoring?: Monitoring;
    /** Feedback endpoint of the model monitor (empty when no model is monitored). */
    public readonly feedbackUrl: pulumi.Output<string>;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        // The one place that says which cluster: the cluster's Kubernetes provider goes in the Platform's own
        // `providers`, and every component below inherits it through `parent` (the SDK resolves a custom or remote
        // resource's provider from its parent's providers by package), Helm charts included.
        super("inferstack:platform:Platform", name, {}, { ...opts, providers: withProvider(opts?.providers, args.cluster.provider) });
        const { config } = args;
        const child = { parent: this };
        const controlPlaneReplicas = config.serving.controlPlaneReplicas;

        this.modelNamespace = platformNamespace(`${name}-models`, config.modelNamespace, child, { "inferstack.io/role": "models" }).metadata.name;

        const certManager = new CertManager(`${name}-cert-manager`, { replicas: controlPlaneReplicas }, child);
        const operator = new KnativeOperator(`${name}-knative-operator`, {}, child);
        const serving = new KnativeServing(
            `${name}-knative-serving`,
            {
                operator,
                domain: config.domain,
                replicas: controlPlaneReplicas,
                autoscaler: {
                    scaleToZero: config.serving.scaleToZero,
                    stableWindow: config.serving.stableWindow,
                    scaleToZeroGracePeriod: config.serving.scaleToZeroGracePeriod,
                    scaleDownDelay: config.serving.scaleDownDelay,
                    containerConcurrencyTarget: config.serving.containerConcurrencyTarget,
                    allowZeroInitialScale: config.serving.allowZeroInitialScale,
                },
                maxRevisionTimeoutSeconds: config.serving.maxRevisionTimeoutSeconds,
            },
            child,
        );
        const eventing = new KnativeEventing(
            `${name}-knative-eventing`,
            {
                operator,
                brokerClass: config.eventing.brokerClass,
                replicas: controlPlaneReplicas,
                kafkaBootstrapServers: config.eventing.kafkaBootstrapServers,
                kafkaReplicationFactor: config.eventing.kafkaReplicationFactor,
            },
            child,
        );
        this.broker = new InferenceBroker(
            `${name}-broker`,
            { eventing, serving, namespace: this.modelNamespace, brokerName: config.eventing.brokerName, retry: config.eventing.retry },
            child,
        );
        this.brokerUrl = this.broker.ingressUrl;

        const kserve = new KServe(
            `${name}-kserve`,
            {
                domain: config.domain,
                replicas: controlPlaneReplicas,
                dependsOn: [certManager.chart, serving.serving],
            },
            child,
        );

        this.objectStore = args.objectStore({ modelNamespace: this.modelNamespace, parent: this });

        if (config.monitoring.enabled) {
            this.monitoring = new Monitoring(
                `${name}-monitoring`,
                {
                    retention: config.monitoring.retention,
                    storageSize: config.monitoring.storageSize,
                    replicas: config.monitoring.prometheusReplicas,
                    grafana: config.monitoring.grafana,
                    // cert-manager issues the operator's admission certificate; Prometheus' volume needs the
                    // cluster's default StorageClass (EKS: the EBS CSI driver).
                    dependsOn: [certManager.chart, ...args.cluster.storageReady],
                },
                child,
            );
            new PlatformMonitors(
                `${name}-monitors`,
                {
                    monitoring: this.monitoring,
                    servingNamespace: serving.namespace,
                    eventingNamespace: eventing.namespace,
                    kserveNamespace: kserve.namespace,
                    modelNamespace: this.modelNamespace,
                    knativeMetricsPort,
                    queueProxyMetricsPort,
                },
                child,
            );
        }
        this.prometheusUrl = this.monitoring?.prometheusUrl ?? pulumi.output("");
        this.grafanaUrl = this.monitoring?.grafanaUrl ?? pulumi.output("");

        // Minio's S3 endpoint and keys, for in-cluster readers of reference samples (monitor, explainer, detector).
        const objectStoreS3 =
            this.objectStore.s3Endpoint && this.objectStore.s3CredentialsSecretName
                ? { endpoint: this.objectStore.s3Endpoint, credentialsSecretName: this.objectStore.s3CredentialsSecretName }
                : undefined;
        this.models = {};
        for (const model of config.models) {
            const svc = new ModelService(
                `${name}-model-${model.name}`,
                {
                    namespace: this.modelNamespace,
                    model,
                    serviceAccountName: this.objectStore.serviceAccountName,
                    podLabels: this.objectStore.podLabels,
                    loggerUrl: this.brokerUrl,
                    domain: config.domain,
                    s3: objectStoreS3,
                    explainerImage: config.monitoring.explainerImage,
                    // The runtimes chart waits for the controller chart; the store's gate (Minio: the setup Job that
                    // creates the bucket and seeds the samples) must finish before the storage initializer reads it.
                    // GPU models also wait for the cluster's GPU support (device plugin / driver) to advertise GPUs.
                    dependsOn: [kserve.runtimes, ...(this.objectStore.ready ?? []), ...(model.resources.gpu > 0 ? args.cluster.gpuReady : [])],
                },
                child,
            );
            this.models[model.name] = {
                url: svc.url,
                latestUrl: svc.latestUrl,
                previousUrl: svc.previousUrl,
                curl: svc.curl,
                ...(svc.explainUrl ? { explainUrl: svc.explainUrl, explainCurl: svc.explainCurl } : {}),
            };
            if (this.monitoring) {
                const settings = model.monitoring?.enabled ? model.monitoring : undefined;
                new ModelAlerts(
                    `${name}-model-${model.name}-alerts`,
                    {
                        model: model.name,
                        namespace: this.modelNamespace,
                        maxP95LatencySeconds: settings?.alerts.maxP95LatencySeconds ?? defaultMaxP95LatencySeconds,
                        monitor: settings && { task: settings.task, outlierRate: settings.alerts.outlierRate, minAccuracy: settings.alerts.minAccuracy },
                        dependsOn: [this.monitoring.chart],
                    },
                    child,
                );
            }
        }

        const monitored = config.models.filter((m) => m.monitoring?.enabled);
        if (monitored.length > 0 && this.monitoring) {
            const monitor = new ModelMonitor(
                `${name}-model-monitor`,
                {
                    namespace: this.modelNamespace,
                    broker: this.broker,
                    serving,
                    models: monitored.map((m) => ({ name: m.name, settings: m.monitoring! })),
                    s3: objectStoreS3,
                    dashboardLabel: this.monitoring.dashboardLabel,
                    image: config.monitoring.monitorImage,
                    dependsOn: [this.monitoring.chart],
                },
                child,
            );
            this.feedbackUrl = monitor.feedbackUrl;
        } else {
            this.feedbackUrl = pulumi.output("");
        }

        const watched = config.models.filter((m) => m.adversarial?.enabled);
        if (watched.length > 0 && this.monitoring) {
            new AdversarialDetector(
                `${name}-adversarial-detector`,
                {
                    namespace: this.modelNamespace,
                    broker: this.broker,
                    serving,
                    models: watched.map((m) => adversarialModelOf(m, modelProtocol(m))),
                    s3: objectStoreS3,
                    image: config.monitoring.explainerImage,
                    dashboardLabel: this.monitoring.dashboardLabel,
                    dependsOn: [this.monitoring.chart],
                },
                child,
            );
        }

        this.registerOutputs({
            feedbackUrl: this.feedbackUrl,
            modelNamespace: this.modelNamespace,
            brokerUrl: this.brokerUrl,
            prometheusUrl: this.prometheusUrl,
            grafanaUrl: this.grafanaUrl,
        });
    }
}

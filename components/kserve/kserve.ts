import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pinnedChart, platformNamespace } from "../kubernetes";
import { versions } from "../versions";

export interface KServeArgs {
    /** Provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace of the KServe controller. Default: kserve. */
    namespace?: string;
    /** Domain of model URLs (the same as Knative's). */
    domain: string;
    /** Default target of the request/response logger: the Broker's ingress URL. */
    loggerUrl: pulumi.Input<string>;
    /** Controller replicas (leader-elected; more than one for HA). */
    replicas: number;
    /** Resources KServe's chart needs first: cert-manager (webhook certificates) and Knative Serving (CRDs). */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Port on which KServe exposes a model server's aggregated metrics (queue-proxy + server). */
export const kserveModelMetricsPort = 9088;

/** Name of the ConfigMap the KServe controller reads its defaults from (created by `kserve-resources`). */
export const inferenceServiceConfigName = "inferenceservice-config";

/**
 * The `logger` entry of `inferenceservice-config`. The v0.20 chart hard-codes its default URL to
 * `http://default-broker`, which resolves nowhere; every other field keeps the chart's own defaults.
 */
export function loggerConfig(defaultUrl: string): string {
    return JSON.stringify(
        {
            image: versions.kserve.agentImage,
            memoryRequest: "100Mi",
            memoryLimit: "1Gi",
            cpuRequest: "100m",
            cpuLimit: "1",
            defaultUrl,
        },
        null,
        4,
    );
}

/**
 * KServe in Knative mode behind Kourier: its CRDs chart, the controller chart (`kserve-resources`) with the
 * deployment mode and the Istio virtual host switched off (there is no Istio), the ClusterServingRuntimes chart,
 * and a server-side patch of `inferenceservice-config` that points the logger's default URL at the real Broker.
 */
export class KServe extends pulumi.ComponentResource {
    /** Namespace of the KServe controller. */
    public readonly namespace: pulumi.Output<string>;
    /** The CRD chart; InferenceServices wait on it. */
    public readonly crds: k8s.helm.v4.Chart;
    /** The controller chart (`kserve-resources`). */
    public readonly chart: k8s.helm.v4.Chart;
    /** The ClusterServingRuntimes chart (sklearn, xgboost, triton, mlserver, huggingface, ...). */
    public readonly runtimes: k8s.helm.v4.Chart;
    /** The logger's default URL as the controller sees it. */
    public readonly loggerDefaultUrl: pulumi.Output<string>;

    constructor(name: string, args: KServeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:kserve:KServe", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        this.namespace = platformNamespace(name, args.namespace ?? "kserve", child).metadata.name;
        this.crds = pinnedChart(`${name}-crd`, versions.kserve.crds, { namespace: this.namespace }, child);
        this.chart = pinnedChart(
            name,
            versions.kserve.resources,
            {
                namespace: this.namespace,
                // The CRDs come from their own chart, installed (and upgraded) first.
                skipCrds: true,
                values: {
                    kserve: {
                        controller: {
                            deploymentMode: "Knative",
                            gateway: {
                                domain: args.domain,
                                disableIstioVirtualHost: true,
                                ingressGateway: { className: "kourier" },
                                // Cluster-local calls go through Kourier's internal service, not Istio's local gateway.
                                localGateway: { gatewayService: "kourier-internal.knative-serving.svc.cluster.local" },
                            },
                        },
                        metricsaggregator: { enableMetricAggregation: "true", enablePrometheusScraping: "true" },
                    },
                },
            },
            { ...child, dependsOn: [this.crds, ...args.dependsOn] },
        );
        // The runtimes are validated by the controller's webhook, so they wait for the controller chart.
        this.runtimes = pinnedChart(
            `${name}-runtimes`,
            versions.kserve.runtimeConfigs,
            { namespace: this.namespace, skipCrds: true, values: { kserve: { servingruntime: { enabled: true } } } },
            { ...child, dependsOn: [this.chart] },
        );
        const logger = new k8s.core.v1.ConfigMapPatch(
            `${name}-logger-default-url`,
            {
                metadata: {
                    name: inferenceServiceConfigName,
                    namespace: this.namespace,
                    // The chart's field manager owns `data.logger`; this patch takes that one key over.
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                data: { logger: pulumi.output(args.loggerUrl).apply(loggerConfig) },
            },
            { ...child, dependsOn: [this.chart] },
        );
        // The v0.20 chart has no replicas value for the controller; HA replicas (leader-elected) come by patch.
        if (args.replicas > 1) {
            new k8s.apps.v1.DeploymentPatch(
                `${name}-controller-replicas`,
                {
                    metadata: { name: "kserve-controller-manager", namespace: this.namespace, annotations: { "pulumi.com/patchForce": "true" } },
                    spec: { replicas: args.replicas },
                },
                { ...child, dependsOn: [this.chart] },
            );
        }
        this.loggerDefaultUrl = pulumi.output(args.loggerUrl);
        this.registerOutputs({ namespace: this.namespace, loggerDefaultUrl: this.loggerDefaultUrl, loggerPatch: logger.metadata.name });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awaitInjectedCaBundles, pinnedChart, platformNamespace } from "../kubernetes";
import { versions } from "../versions";

export interface KServeArgs {
    /** Namespace of the KServe controller. Default: kserve. */
    namespace?: string;
    /** Domain of model URLs (the same as Knative's). */
    domain: string;
    /** Controller replicas (leader-elected; more than one for HA). */
    replicas: number;
    /**
     * Readiness gates KServe's controller chart waits for: cert-manager's API (its Issuer and Certificate go
     * through cert-manager's webhook) and a Ready Knative Serving (the controller watches Knative Services only
     * if their CRD exists when it starts).
     */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Name and type token of the controller Deployment the `kserve-resources` chart creates. */
const controllerDeployment = { type: "kubernetes:apps/v1:Deployment", name: "kserve-controller-manager" } as const;

/**
 * A transform for the `kserve-resources` chart that sets the controller Deployment's replicas (the v0.20 chart
 * has no value for it). The chart's own object carries the count, so it has one owner: a separate patch would
 * conflict with the chart's next apply.
 */
export function controllerReplicasTransform(replicas: number): pulumi.ResourceTransform {
    return ({ type, props, opts }) => {
        const metadata = props["metadata"] as { name?: string } | undefined;
        if (type !== controllerDeployment.type || metadata?.name !== controllerDeployment.name) return undefined;
        return { props: { ...props, spec: { ...(props["spec"] as object), replicas } }, opts };
    };
}

/**
 * KServe in Knative mode behind Kourier: its CRDs chart, the controller chart (`kserve-resources`) with the
 * deployment mode and the Istio virtual host switched off (there is no Istio), and the ClusterServingRuntimes chart.
 *
 * The logger's default URL in the chart's `inferenceservice-config` stays as shipped: every InferenceService
 * inferstack renders sets its own `logger.url` (the Broker), which KServe uses instead of the default.
 */
export class KServe extends pulumi.ComponentResource {
    /** Namespace of the KServe controller. */
    public readonly namespace: pulumi.Output<string>;
    /** The CRD chart; InferenceServices wait on it. */
    public readonly crds: k8s.helm.v4.Chart;
    /** The controller chart (`kserve-resources`). */
    public readonly chart: k8s.helm.v4.Chart;
    /**
     * The ClusterServingRuntimes chart (sklearn, xgboost, triton, mlserver, huggingface, ...). It waits for the
     * controller chart (its webhook validates runtimes), so InferenceServices wait on this one alone.
     */
    public readonly runtimes: k8s.helm.v4.Chart;

    constructor(name: string, args: KServeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:kserve:KServe", name, {}, opts);
        const child = { parent: this };
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
                            // The manager serves metrics on 127.0.0.1:8080 by default (for its kube-rbac-proxy only);
                            // on the pod IP, the kserve-controller PodMonitor can scrape its `metrics` port.
                            metricsBindAddress: "0.0.0.0",
                        },
                        // Metric aggregation only works with KServe's qpext queue-proxy, which inferstack does not
                        // install (Knative's own queue-proxy would get a port 9088 nothing listens on), and
                        // kube-prometheus-stack scrapes through PodMonitors, not prometheus.io annotations.
                        metricsaggregator: { enableMetricAggregation: "false", enablePrometheusScraping: "false" },
                    },
                },
            },
            {
                ...child,
                dependsOn: [this.crds, ...args.dependsOn],
                // The chart is ready only once cert-manager has injected the CA into its (fail-closed) webhooks, so
                // the runtimes and InferenceServices created after it are admitted, not refused with x509 errors.
                transforms: [awaitInjectedCaBundles, ...(args.replicas > 1 ? [controllerReplicasTransform(args.replicas)] : [])],
            },
        );
        // The runtimes are validated by the controller's webhook, so they wait for the controller chart.
        this.runtimes = pinnedChart(
            `${name}-runtimes`,
            versions.kserve.runtimeConfigs,
            { namespace: this.namespace, skipCrds: true, values: { kserve: { servingruntime: { enabled: true } } } },
            { ...child, dependsOn: [this.chart] },
        );
        this.registerOutputs({ namespace: this.namespace });
    }
}

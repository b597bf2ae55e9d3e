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
    /** Controller replicas. */
    replicas: number;
    /** Resources KServe's chart needs first: cert-manager (webhook certificates) and Knative Serving (CRDs). */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Port on which KServe exposes a model server's aggregated metrics (queue-proxy + server). */
export const kserveModelMetricsPort = 9088;

/**
 * KServe in Knative mode behind Kourier: its CRDs chart, then the controller chart with the deployment mode,
 * the Istio virtual host switched off (there is no Istio), and the logger's default URL set to the real Broker
 * (upstream's `http://default-broker` resolves nowhere).
 */
export class KServe extends pulumi.ComponentResource {
    /** Namespace of the KServe controller. */
    public readonly namespace: pulumi.Output<string>;
    /** The CRD chart; InferenceServices wait on it. */
    public readonly crds: k8s.helm.v4.Chart;
    /** The controller chart. */
    public readonly chart: k8s.helm.v4.Chart;

    constructor(name: string, args: KServeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:kserve:KServe", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        this.namespace = platformNamespace(name, args.namespace ?? "kserve", child).metadata.name;
        this.crds = pinnedChart(`${name}-crd`, versions.kserve.crds, { namespace: this.namespace }, child);
        this.chart = pinnedChart(
            name,
            versions.kserve.controller,
            {
                namespace: this.namespace,
                // The CRDs come from their own chart, installed (and upgraded) first.
                skipCrds: true,
                values: {
                    kserve: {
                        controller: {
                            deploymentMode: "Knative",
                            replicas: args.replicas,
                            gateway: {
                                domain: args.domain,
                                disableIstioVirtualHost: true,
                                ingressGateway: { className: "kourier" },
                                localGateway: {
                                    gateway: "knative-serving/knative-local-gateway",
                                    gatewayService: "kourier-internal.knative-serving.svc.cluster.local",
                                },
                            },
                        },
                        logger: { defaultUrl: args.loggerUrl },
                        metricsaggregator: { enableMetricAggregation: "true", enablePrometheusScraping: "true" },
                    },
                },
            },
            { ...child, dependsOn: [this.crds, ...args.dependsOn] },
        );
        this.registerOutputs({ namespace: this.namespace });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Monitoring } from "./monitoring";

export interface PlatformMonitorsArgs {
    /** Provider of the target cluster. */
    provider: k8s.Provider;
    /** The Prometheus install the monitors register with. */
    monitoring: Monitoring;
    /** Namespace of Knative Serving. */
    servingNamespace: pulumi.Input<string>;
    /** Namespace of Knative Eventing. */
    eventingNamespace: pulumi.Input<string>;
    /** Namespace of KServe's controller. */
    kserveNamespace: pulumi.Input<string>;
    /** Namespace of the InferenceServices. */
    modelNamespace: pulumi.Input<string>;
    /** Port Knative's components serve metrics on. */
    knativeMetricsPort: number;
    /** Port of the queue-proxy's request metrics (revision_request_count, latencies). */
    queueProxyMetricsPort: number;
    /** Port of KServe's aggregated model-server metrics (queue-proxy + server). */
    kserveModelMetricsPort: number;
}

/** Port of the MT broker's ingress and filter metrics (their `metrics` container port). */
export const brokerDataPlaneMetricsPort = 9092;

/**
 * The scrape configuration of the platform itself: Knative's control plane and queue-proxies, the broker data
 * plane, KServe's controller and every model server (through KServe's aggregated metrics port).
 */
export class PlatformMonitors extends pulumi.ComponentResource {
    /** Names of the monitors created, for tests and docs. */
    public readonly monitorNames: string[] = [];

    constructor(name: string, args: PlatformMonitorsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:monitoring:PlatformMonitors", name, {}, opts);
        const child = { parent: this, provider: args.provider, dependsOn: [args.monitoring.chart] };
        const podMonitor = (id: string, namespace: pulumi.Input<string>, selector: object, port: number, path = "/metrics") => {
            this.monitorNames.push(id);
            return new k8s.apiextensions.CustomResource(
                `${name}-${id}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PodMonitor",
                    metadata: { name: id, namespace: args.monitoring.namespace, labels: { "app.kubernetes.io/part-of": "inferstack" } },
                    spec: {
                        namespaceSelector: { matchNames: [namespace] },
                        selector,
                        podMetricsEndpoints: [{ portNumber: port, path, interval: "30s" }],
                    },
                },
                child,
            );
        };
        const appIn = (apps: string[]) => ({ matchExpressions: [{ key: "app", operator: "In", values: apps }] });

        podMonitor("knative-serving-control-plane", args.servingNamespace, appIn(["activator", "autoscaler", "controller", "webhook"]), args.knativeMetricsPort);
        podMonitor("knative-eventing", args.eventingNamespace, appIn(["eventing-controller", "imc-dispatcher"]), args.knativeMetricsPort);
        // The broker data plane serves its metrics on a port of its own.
        podMonitor("knative-broker-data-plane", args.eventingNamespace, appIn(["mt-broker-ingress", "mt-broker-filter"]), brokerDataPlaneMetricsPort);
        // queue-proxy of every Knative revision (request counts, latencies, concurrency per revision).
        podMonitor("knative-queue-proxy", args.modelNamespace, { matchExpressions: [{ key: "serving.knative.dev/revision", operator: "Exists" }] }, args.queueProxyMetricsPort);
        // KServe model servers: the queue-proxy merges the server's own metrics onto one port.
        podMonitor("kserve-model-servers", args.modelNamespace, { matchExpressions: [{ key: "serving.kserve.io/inferenceservice", operator: "Exists" }] }, args.kserveModelMetricsPort);
        podMonitor("kserve-controller", args.kserveNamespace, { matchLabels: { "control-plane": "kserve-controller-manager" } }, 8080);
        this.registerOutputs({});
    }
}

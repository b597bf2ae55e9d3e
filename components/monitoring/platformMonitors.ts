import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { revisionLabels } from "./modelAlertRules";
import { Monitoring } from "./monitoring";
import { partOfLabel } from "../kubernetes";

export interface PlatformMonitorsArgs {
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
    /** Port Knative's control plane (Serving and Eventing, knative/pkg's default) serves metrics on. */
    knativeMetricsPort: number;
    /** Port of the queue-proxy's request metrics (`http-usermetric`: kn_serving_invocation_duration_seconds_*). */
    queueProxyMetricsPort: number;
}

/**
 * Port of the MT broker's ingress and filter metrics: Eventing's own observability setup defaults the Prometheus
 * endpoint to :9092 when `metrics-protocol` is prometheus and no `metrics-endpoint` is set (their `metrics`
 * container port in the 1.23 manifests).
 */
export const brokerDataPlaneMetricsPort = 9092;

/**
 * Port of KServe's controller-manager metrics. The chart binds the manager to 127.0.0.1:8080 by default (only its
 * kube-rbac-proxy on 8443 can reach it); KServe sets `metricsBindAddress` so Prometheus reaches it on the pod IP.
 */
export const kserveControllerMetricsPort = 8080;

/**
 * The scrape configuration of the platform itself: Knative's control plane and every revision's queue-proxy, the
 * broker data plane, the in-memory channel, and KServe's controller. Each selector and port matches the pods of
 * the pinned releases (test/metricsCatalogue.test.ts checks them against the vendored manifests).
 *
 * Not scraped: KServe's aggregated model-server port (9088). It is served only when Knative's queue-proxy image is
 * replaced by KServe's `qpext` (Knative's `queue-sidecar-image`), which inferstack does not do.
 */
export class PlatformMonitors extends pulumi.ComponentResource {
    /** Names of the monitors created, for tests and docs. */
    public readonly monitorNames: string[] = [];

    constructor(name: string, args: PlatformMonitorsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:monitoring:PlatformMonitors", name, {}, opts);
        const child = { parent: this, dependsOn: [args.monitoring.chart] };
        const podMonitor = (id: string, namespace: pulumi.Input<string>, selector: object, port: number, relabelings?: object[]) => {
            this.monitorNames.push(id);
            return new k8s.apiextensions.CustomResource(
                `${name}-${id}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PodMonitor",
                    metadata: { name: id, namespace: args.monitoring.namespace, labels: partOfLabel },
                    spec: {
                        namespaceSelector: { matchNames: [namespace] },
                        selector,
                        podMetricsEndpoints: [{ portNumber: port, path: "/metrics", interval: "30s", ...(relabelings ? { relabelings } : {}) }],
                    },
                },
                child,
            );
        };
        const labelIn = (key: string, values: string[]) => ({ key, operator: "In", values });

        podMonitor("knative-serving-control-plane", args.servingNamespace, { matchExpressions: [labelIn("app", ["activator", "autoscaler", "controller", "webhook"])] }, args.knativeMetricsPort);
        // Eventing's controllers and the in-memory channel (knative/pkg's default port). Only some of them carry an
        // `app` label; all carry these two.
        podMonitor(
            "knative-eventing",
            args.eventingNamespace,
            {
                matchLabels: { "app.kubernetes.io/name": "knative-eventing" },
                matchExpressions: [labelIn("app.kubernetes.io/component", ["eventing-controller", "broker-controller", "imc-controller", "imc-dispatcher"])],
            },
            args.knativeMetricsPort,
        );
        // The MT broker's ingress and filter: selected by their broker role, on Eventing's own default port.
        podMonitor("knative-broker-data-plane", args.eventingNamespace, { matchExpressions: [labelIn("eventing.knative.dev/brokerRole", ["ingress", "filter"])] }, brokerDataPlaneMetricsPort);
        // queue-proxy of every Knative revision. Its series carry the revision only in `target_info`, so the pod's
        // revision/service/configuration labels are copied onto every series (per-revision canary comparison).
        podMonitor(
            "knative-queue-proxy",
            args.modelNamespace,
            { matchExpressions: [{ key: "serving.knative.dev/revision", operator: "Exists" }] },
            args.queueProxyMetricsPort,
            Object.entries(revisionLabels).map(([podLabel, target]) => ({
                sourceLabels: [`__meta_kubernetes_pod_label_${podLabel.replace(/[^a-zA-Z0-9_]/g, "_")}`],
                targetLabel: target,
                action: "replace",
            })),
        );
        podMonitor("kserve-controller", args.kserveNamespace, { matchLabels: { "control-plane": "kserve-controller-manager" } }, kserveControllerMetricsPort);
        this.registerOutputs({});
    }
}

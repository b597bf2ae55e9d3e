import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { pinnedChart, platformNamespace } from "../kubernetes";
import { versions } from "../versions";

export interface MonitoringArgs {
    /** Provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace of Prometheus, Alertmanager and Grafana. Default: monitoring. */
    namespace?: string;
    /** How long Prometheus keeps samples, e.g. 24h, 15d. */
    retention: string;
    /** Size of Prometheus' persistent volume; ephemeral storage when unset (dev). */
    storageSize?: string;
    /** Prometheus replicas (2 for HA). */
    replicas: number;
    /** Deploy Grafana with its dashboard sidecar. */
    grafana: boolean;
}

/**
 * Prometheus, Alertmanager and Grafana from kube-prometheus-stack, set to pick up every ServiceMonitor,
 * PodMonitor and PrometheusRule in the cluster (not only the chart's own), and Grafana dashboards from any
 * namespace's ConfigMaps labelled `grafana_dashboard: "1"`.
 */
export class Monitoring extends pulumi.ComponentResource {
    /** Monitoring namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** The chart; monitors and rules wait on it for the prometheus-operator CRDs. */
    public readonly chart: k8s.helm.v4.Chart;
    /** In-cluster Prometheus URL. */
    public readonly prometheusUrl: pulumi.Output<string>;
    /** In-cluster Grafana URL (empty when Grafana is off). */
    public readonly grafanaUrl: pulumi.Output<string>;
    /** Grafana admin password (a Pulumi secret). */
    public readonly grafanaAdminPassword: pulumi.Output<string>;
    /** Label a ConfigMap needs for Grafana to load it as a dashboard. */
    public readonly dashboardLabel = { grafana_dashboard: "1" } as const;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:monitoring:Monitoring", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const release = "kps";
        this.namespace = platformNamespace(name, args.namespace ?? "monitoring", child).metadata.name;

        // Grafana's admin password lives in a Secret the chart references, so it never enters chart values.
        const adminPassword = new random.RandomPassword(`${name}-grafana-admin`, { length: 24, special: false }, { parent: this });
        this.grafanaAdminPassword = adminPassword.result;
        const adminSecret = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: { name: "grafana-admin", namespace: this.namespace },
                stringData: { "admin-user": "admin", "admin-password": adminPassword.result },
            },
            child,
        );

        const storageSpec = args.storageSize
            ? { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: args.storageSize } } } } }
            : undefined;
        this.chart = pinnedChart(
            name,
            versions.kubePrometheusStack,
            {
                namespace: this.namespace,
                name: release,
                values: {
                    fullnameOverride: release,
                    prometheus: {
                        prometheusSpec: {
                            replicas: args.replicas,
                            retention: args.retention,
                            storageSpec,
                            // Select every monitor and rule in the cluster, not only those labelled for this release.
                            serviceMonitorSelectorNilUsesHelmValues: false,
                            podMonitorSelectorNilUsesHelmValues: false,
                            ruleSelectorNilUsesHelmValues: false,
                            probeSelectorNilUsesHelmValues: false,
                            scrapeConfigSelectorNilUsesHelmValues: false,
                        },
                    },
                    // InferenceService conditions as metrics, for the "model not ready" alerts.
                    "kube-state-metrics": {
                        rbac: { extraRules: [{ apiGroups: ["serving.kserve.io"], resources: ["inferenceservices"], verbs: ["list", "watch"] }] },
                        customResourceState: {
                            enabled: true,
                            config: {
                                spec: {
                                    resources: [
                                        {
                                            groupVersionKind: { group: "serving.kserve.io", version: "v1beta1", kind: "InferenceService" },
                                            labelsFromPath: { name: ["metadata", "name"], namespace: ["metadata", "namespace"] },
                                            metrics: [
                                                {
                                                    name: "inferenceservice_status_condition",
                                                    help: "InferenceService status conditions (1 = True)",
                                                    each: { type: "Gauge", gauge: { path: ["status", "conditions"], labelsFromPath: { type: ["type"] }, valueFrom: ["status"] } },
                                                },
                                            ],
                                        },
                                    ],
                                },
                            },
                        },
                    },
                    grafana: {
                        enabled: args.grafana,
                        admin: { existingSecret: adminSecret.metadata.name, userKey: "admin-user", passwordKey: "admin-password" },
                        sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" } },
                    },
                },
            },
            child,
        );
        this.prometheusUrl = pulumi.interpolate`http://${release}-prometheus.${this.namespace}.svc.cluster.local:9090`;
        this.grafanaUrl = args.grafana ? pulumi.interpolate`http://${release}-grafana.${this.namespace}.svc.cluster.local` : pulumi.output("");
        this.registerOutputs({ namespace: this.namespace, prometheusUrl: this.prometheusUrl, grafanaUrl: this.grafanaUrl });
    }
}

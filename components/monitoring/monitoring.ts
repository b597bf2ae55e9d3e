import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { awaitCaBundleAnnotation, containerResources, pinnedChart, platformNamespace } from "../kubernetes";
import { versions } from "../versions";

export interface MonitoringArgs {
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
    /**
     * Resources the chart must wait for. The prometheus-operator's admission webhook gets its serving
     * certificate from cert-manager (Issuer and Certificate objects in this chart), so pass the cert-manager
     * chart here: its CRDs, controller and CA injector must exist before this chart is applied.
     */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Requests and limits of every container kube-prometheus-stack runs (the chart defaults them all to `{}`; the
 * policy pack requires both on every container). Modest sizes for a platform cluster; Prometheus grows with the
 * number of series scraped, so large clusters may need more.
 */
export const monitoringResources = {
    prometheusOperator: containerResources("50m", "64Mi", "200m", "256Mi"),
    /** The config-reloader sidecars the operator adds to Prometheus and Alertmanager pods. */
    configReloader: containerResources("10m", "32Mi", "100m", "64Mi"),
    prometheus: containerResources("200m", "512Mi", "1", "2Gi"),
    alertmanager: containerResources("10m", "32Mi", "100m", "128Mi"),
    kubeStateMetrics: containerResources("10m", "64Mi", "100m", "256Mi"),
    nodeExporter: containerResources("10m", "32Mi", "100m", "64Mi"),
    grafana: containerResources("50m", "128Mi", "500m", "512Mi"),
    /** Grafana's dashboard and datasource sidecars (one value for all of them). */
    grafanaSidecar: containerResources("10m", "64Mi", "100m", "128Mi"),
} as const;

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
        const child = { parent: this };
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
                    prometheusOperator: {
                        resources: monitoringResources.prometheusOperator,
                        prometheusConfigReloader: { resources: monitoringResources.configReloader },
                        // The Helm provider runs no hooks, so the chart's default (a pre-install Job that creates
                        // the operator's TLS Secret, and a post-install Job that patches the webhooks' CA) never
                        // happens and the operator, which mounts that Secret, never starts. cert-manager issues
                        // the Secret instead (a self-signed CA Issuer and Certificates, ordinary objects of this
                        // chart) and injects the CA into both webhook configurations.
                        admissionWebhooks: {
                            certManager: { enabled: true },
                            patch: { enabled: false },
                            // With the patch Job off the chart defaults the webhooks to Fail, which rejects the
                            // chart's own PrometheusRules while the operator is still starting (they are created
                            // together). Ignore is the chart's default on its Job path: rules are still
                            // validated whenever the webhook answers.
                            failurePolicy: "Ignore",
                            // The chart is ready only once its webhooks have their CA, so the PrometheusRules created
                            // after it are really validated (with Ignore, a call failing for want of a CA would let a
                            // rule through unchecked).
                            mutatingWebhookConfiguration: { annotations: awaitCaBundleAnnotation },
                            validatingWebhookConfiguration: { annotations: awaitCaBundleAnnotation },
                        },
                    },
                    alertmanager: { alertmanagerSpec: { resources: monitoringResources.alertmanager } },
                    prometheus: {
                        prometheusSpec: {
                            resources: monitoringResources.prometheus,
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
                    "prometheus-node-exporter": {
                        resources: monitoringResources.nodeExporter,
                        // The chart sets only readOnlyRootFilesystem on the exporter's container (subchart values
                        // `containerSecurityContext`, written whole into the DaemonSet's container); it runs as 65534
                        // with no capability, so the restricted profile's settings cost nothing. Host access (network,
                        // PID, read-only hostPath) stays: it is what node metrics are (exempted in the policy configs).
                        containerSecurityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    },
                    // InferenceService conditions as metrics, for the "model not ready" alerts.
                    "kube-state-metrics": {
                        resources: monitoringResources.kubeStateMetrics,
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
                        resources: monitoringResources.grafana,
                        admin: { existingSecret: adminSecret.metadata.name, userKey: "admin-user", passwordKey: "admin-password" },
                        sidecar: {
                            resources: monitoringResources.grafanaSidecar,
                            dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" },
                        },
                    },
                },
            },
            { ...child, dependsOn: args.dependsOn },
        );
        this.prometheusUrl = pulumi.interpolate`http://${release}-prometheus.${this.namespace}.svc.cluster.local:9090`;
        this.grafanaUrl = args.grafana ? pulumi.interpolate`http://${release}-grafana.${this.namespace}.svc.cluster.local` : pulumi.output("");
        this.registerOutputs({ namespace: this.namespace, prometheusUrl: this.prometheusUrl, grafanaUrl: this.grafanaUrl });
    }
}

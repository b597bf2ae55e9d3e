import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { containerResources, pinnedChart, platformNamespace } from "../kubernetes";
import { versions } from "../versions";

export interface CertManagerArgs {
    /** Namespace to install into. Default: cert-manager. */
    namespace?: string;
    /** Replicas of the controller, webhook and CA injector (2+ for HA). Default: 1. */
    replicas?: number;
}

/** Requests and limits of cert-manager's containers (the chart defaults them to `{}`; the policy pack requires both). */
export const certManagerResources = {
    controller: containerResources("25m", "64Mi", "250m", "256Mi"),
    webhook: containerResources("10m", "32Mi", "100m", "128Mi"),
    cainjector: containerResources("25m", "64Mi", "250m", "512Mi"),
    startupapicheck: containerResources("10m", "32Mi", "100m", "64Mi"),
} as const;

/**
 * cert-manager, with its CRDs: KServe's admission webhooks (and the prometheus-operator's) get their serving
 * certificates from it.
 *
 * The chart's `startupapicheck` Job (`check api --wait=1m`, up to 5 attempts: succeeds once cert-manager's API
 * answers through its webhook, i.e. a dry-run CertificateRequest is admitted) is a Helm post-install hook by
 * default, and the Helm provider drops hooks. Its hook annotations are deleted here, so the Job and its ServiceAccount and RBAC are ordinary objects
 * of the chart: the provider creates the Job and waits for it to complete, which makes the chart (and every
 * resource that depends on it) wait until cert-manager really works. The chart sets no
 * `ttlSecondsAfterFinished` by default and none is set here: a TTL would let the cluster delete the finished
 * Job, and the next refresh would then recreate (re-run) it.
 */
export class CertManager extends pulumi.ComponentResource {
    /** Namespace cert-manager runs in. */
    public readonly namespace: pulumi.Output<string>;
    /** The Helm chart; dependents wait on it so the Certificate CRDs exist before they are used. */
    public readonly chart: k8s.helm.v4.Chart;

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:certManager:CertManager", name, {}, opts);
        const replicaCount = args.replicas ?? 1;
        const child = { parent: this };
        this.namespace = platformNamespace(name, args.namespace ?? "cert-manager", child).metadata.name;
        this.chart = pinnedChart(
            name,
            versions.certManager,
            {
                namespace: this.namespace,
                values: {
                    crds: { enabled: true },
                    replicaCount,
                    resources: certManagerResources.controller,
                    webhook: { replicaCount, resources: certManagerResources.webhook },
                    cainjector: { replicaCount, resources: certManagerResources.cainjector },
                    startupapicheck: {
                        resources: certManagerResources.startupapicheck,
                        // `null` deletes a chart default in Helm (an empty map would merge with it and keep the
                        // hook annotations; the provider passes nulls through since 4.30). These three hold only
                        // the hook annotations by default.
                        jobAnnotations: null,
                        rbac: { annotations: null },
                        serviceAccount: { annotations: null },
                    },
                },
            },
            child,
        );
        this.registerOutputs({ namespace: this.namespace });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { versions } from "../versions";

export interface CertManagerArgs {
    /** Provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace to install into. Default: cert-manager. */
    namespace?: string;
    /** Replicas of the controller, webhook and CA injector (2+ for HA). Default: 1. */
    replicas?: number;
}

/** cert-manager, with its CRDs: KServe's admission webhooks get their serving certificates from it. */
export class CertManager extends pulumi.ComponentResource {
    /** Namespace cert-manager runs in. */
    public readonly namespace: pulumi.Output<string>;
    /** The Helm chart; dependents wait on it so the Certificate CRDs exist before they are used. */
    public readonly chart: k8s.helm.v4.Chart;

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:certManager:CertManager", name, {}, opts);
        const replicaCount = args.replicas ?? 1;
        const ns = new k8s.core.v1.Namespace(
            name,
            { metadata: { name: args.namespace ?? "cert-manager", labels: { "app.kubernetes.io/part-of": "inferstack" } } },
            { parent: this, provider: args.provider },
        );
        this.namespace = ns.metadata.name;
        this.chart = new k8s.helm.v4.Chart(
            name,
            {
                chart: versions.certManager.chart,
                version: versions.certManager.version,
                repositoryOpts: { repo: versions.certManager.repo },
                namespace: this.namespace,
                values: {
                    crds: { enabled: true },
                    replicaCount,
                    webhook: { replicaCount },
                    cainjector: { replicaCount },
                },
            },
            { parent: this, provider: args.provider },
        );
        this.registerOutputs({ namespace: this.namespace });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pinnedChart, platformNamespace } from "../kubernetes";
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
        const child = { parent: this, provider: args.provider };
        this.namespace = platformNamespace(name, args.namespace ?? "cert-manager", child).metadata.name;
        this.chart = pinnedChart(
            name,
            versions.certManager,
            {
                namespace: this.namespace,
                values: {
                    crds: { enabled: true },
                    replicaCount,
                    webhook: { replicaCount },
                    cainjector: { replicaCount },
                },
            },
            child,
        );
        this.registerOutputs({ namespace: this.namespace });
    }
}

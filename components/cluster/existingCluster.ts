import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesCluster, NodePool } from "./kubernetesCluster";

export interface ExistingClusterArgs {
    /** kubeconfig context to target; the file's current context when unset. */
    context?: string;
    /** Path to the kubeconfig file; $KUBECONFIG or ~/.kube/config when unset. */
    kubeconfigPath?: string;
}

/**
 * A cluster that already exists (kind, minikube, k3d, or any cluster you are handed): nothing is created
 * but the Kubernetes provider that targets it.
 */
export class ExistingCluster extends pulumi.ComponentResource implements KubernetesCluster {
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly nodePools: pulumi.Output<NodePool[]>;
    /** Nothing: an existing cluster must already have a default StorageClass. */
    public readonly storageReady: pulumi.Resource[] = [];
    /** Nothing: an existing cluster's GPU nodes (if any) must already advertise `nvidia.com/gpu`. */
    public readonly gpuReady: pulumi.Resource[] = [];

    constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:cluster:ExistingCluster", name, {}, opts);
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            {
                kubeconfig: args.kubeconfigPath,
                context: args.context,
                // Server-side apply lets the operators and webhooks co-own fields without fights on re-apply.
                enableServerSideApply: true,
            },
            { parent: this },
        );
        this.clusterName = pulumi.output(args.context ?? "current-context");
        this.kubeconfig = pulumi.secret(args.kubeconfigPath ?? "");
        this.nodePools = pulumi.output([]);
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, nodePools: this.nodePools });
    }
}

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesCluster, NodePool } from "../kubernetesCluster";

export interface ExistingClusterArgs {
    /** kubeconfig context to target; the file's current context when unset. */
    context?: string;
    /** Path to the kubeconfig file; $KUBECONFIG or ~/.kube/config when unset. */
    kubeconfigPath?: string;
}

/**
 * The `current-context` of a kubeconfig, as kubectl resolves it (the file given, else the first file of
 * $KUBECONFIG that sets one, else ~/.kube/config), so a preview shows which cluster "the current context" is;
 * undefined when no readable file sets one.
 */
export function currentKubeContext(kubeconfigPath?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    const files = kubeconfigPath ? [kubeconfigPath] : (env["KUBECONFIG"]?.split(path.delimiter).filter((p) => p !== "") ?? [path.join(homedir(), ".kube", "config")]);
    for (const file of files) {
        try {
            const m = /^current-context:\s*["']?([^"'\s#]+)/m.exec(readFileSync(file, "utf8"));
            if (m) return m[1];
        } catch {
            // A missing file in $KUBECONFIG is skipped, as kubectl does.
        }
    }
    return undefined;
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
        // The context the provider targets, by name: `pulumi preview` shows it among the outputs before anything runs.
        this.clusterName = pulumi.output(args.context ?? `${currentKubeContext(args.kubeconfigPath) ?? "unknown"} (the kubeconfig's current context)`);
        this.kubeconfig = pulumi.secret(args.kubeconfigPath ?? "");
        this.nodePools = pulumi.output([]);
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, nodePools: this.nodePools });
    }
}

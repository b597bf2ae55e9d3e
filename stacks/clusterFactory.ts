import { clusterVariants } from "../components/cluster/clusterVariants";
import type { KubernetesCluster } from "../components/cluster/kubernetesCluster";
import type { PlatformConfig } from "../components/platform/platformSchema";

/**
 * Creates the cluster the stack names, through its registered variant (components/cluster/clusterVariants.ts).
 * Each variant's module is imported only when chosen, so a stack loads only its own cloud SDK (the dev stack
 * loads none).
 */
export async function createCluster(name: string, config: PlatformConfig): Promise<KubernetesCluster> {
    return clusterVariants.variant(config.cluster.provider).create(name, config.cluster, { environment: config.environment });
}

import type { KubernetesCluster } from "../components/cluster/kubernetesCluster";
import type { PlatformConfig } from "../components/platform/platformSchema";

/**
 * Creates the cluster the stack names. Each variant's module is imported only when chosen, so a stack loads
 * only its own cloud SDK (the dev stack loads none).
 */
export async function createCluster(name: string, config: PlatformConfig): Promise<KubernetesCluster> {
    const cluster = config.cluster;
    switch (cluster.provider) {
        case "existing": {
            const { ExistingCluster } = await import("../components/cluster/existingCluster");
            return new ExistingCluster(name, { context: cluster.context, kubeconfigPath: cluster.kubeconfigPath });
        }
        case "eks": {
            const { EksCluster } = await import("../components/cluster/eksCluster");
            return new EksCluster(name, cluster);
        }
        case "gke": {
            const { GkeCluster } = await import("../components/cluster/gkeCluster");
            return new GkeCluster(name, cluster);
        }
        case "aks": {
            const { AksCluster } = await import("../components/cluster/aksCluster");
            return new AksCluster(name, { ...cluster, resourceGroupName: cluster.resourceGroupName ?? `${config.environment}-inferstack` });
        }
    }
}

import type { KubernetesCluster } from "../components/cluster/kubernetesCluster";
import type { ObjectStoreFactory } from "../components/platform/platform";
import type { PlatformConfig } from "../components/platform/platformSchema";
import { objectStoreVariants } from "../components/storage/objectStoreVariants";

/**
 * Loads the object store variant the stack names (components/storage/objectStoreVariants.ts) and returns the
 * factory the Platform calls once it has the model namespace. Like the clusters, each variant's module (and cloud
 * SDK) is imported only when chosen.
 */
export async function objectStoreFactory(name: string, config: PlatformConfig, cluster: KubernetesCluster): Promise<ObjectStoreFactory> {
    const store = objectStoreVariants.variant(config.objectStore.provider);
    // The config schema already refuses a store on another cluster; the cluster was created by the variant the
    // config names, so it is the component the store's `requires` promises.
    if (store.requires && config.cluster.provider !== store.requires.provider) {
        throw new Error(`inferstack:objectStore.provider ${store.provider} needs cluster.provider ${store.requires.provider}`);
    }
    return store.create(name, config.objectStore, cluster);
}

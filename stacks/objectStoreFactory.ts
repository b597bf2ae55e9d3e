import type { ObjectStoreFactory } from "../components/platform/platform";
import type { KubernetesCluster } from "../components/cluster/kubernetesCluster";
import type { PlatformConfig } from "./config";

/**
 * Loads the object store variant the stack names and returns the factory the Platform calls once it has the
 * model namespace. Like the clusters, each variant's module (and cloud SDK) is imported only when chosen.
 */
export async function objectStoreFactory(name: string, config: PlatformConfig, _cluster: KubernetesCluster): Promise<ObjectStoreFactory> {
    const store = config.objectStore;
    switch (store.provider) {
        case "minio": {
            const { MinioObjectStore } = await import("../components/storage/minioObjectStore");
            return (ctx) =>
                new MinioObjectStore(
                    name,
                    {
                        provider: ctx.provider,
                        modelNamespace: ctx.modelNamespace,
                        modelBucket: store.modelBucket,
                        extraBuckets: store.extraBuckets,
                        volumeSize: store.volumeSize,
                        storageClass: store.storageClass,
                        seed: store.seed,
                    },
                    { parent: ctx.parent },
                );
        }
        default:
            throw new Error(`inferstack:objectStore.provider ${store.provider} is not implemented yet`);
    }
}

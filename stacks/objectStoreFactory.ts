import type { ObjectStoreFactory } from "../components/platform/platform";
import type { KubernetesCluster } from "../components/cluster/kubernetesCluster";
import type { PlatformConfig } from "../components/platform/platformSchema";

/**
 * Loads the object store variant the stack names and returns the factory the Platform calls once it has the
 * model namespace. Like the clusters, each variant's module (and cloud SDK) is imported only when chosen.
 * The config schema guarantees a cloud store sits on its own cloud's cluster.
 */
export async function objectStoreFactory(name: string, config: PlatformConfig, cluster: KubernetesCluster): Promise<ObjectStoreFactory> {
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
                        storageReady: cluster.storageReady,
                    },
                    { parent: ctx.parent },
                );
        }
        case "s3": {
            const [{ S3ObjectStore }, { EksCluster }] = await Promise.all([import("../components/storage/s3ObjectStore"), import("../components/cluster/eksCluster")]);
            if (!(cluster instanceof EksCluster) || config.cluster.provider !== "eks") throw new Error("inferstack:objectStore.provider s3 needs cluster.provider eks");
            const region = config.cluster.region;
            return (ctx) =>
                new S3ObjectStore(
                    name,
                    {
                        provider: ctx.provider,
                        awsProvider: cluster.awsProvider,
                        region,
                        modelNamespace: ctx.modelNamespace,
                        modelBucket: store.modelBucket,
                        extraBuckets: store.extraBuckets,
                        workloadIdentity: cluster.workloadIdentity,
                    },
                    { parent: ctx.parent },
                );
        }
        case "gcs": {
            const [{ GcsObjectStore }, { GkeCluster }] = await Promise.all([import("../components/storage/gcsObjectStore"), import("../components/cluster/gkeCluster")]);
            if (!(cluster instanceof GkeCluster) || config.cluster.provider !== "gke") throw new Error("inferstack:objectStore.provider gcs needs cluster.provider gke");
            const project = config.cluster.project;
            return (ctx) =>
                new GcsObjectStore(
                    name,
                    {
                        provider: ctx.provider,
                        gcpProvider: cluster.gcpProvider,
                        project,
                        location: store.location,
                        modelNamespace: ctx.modelNamespace,
                        modelBucket: store.modelBucket,
                        extraBuckets: store.extraBuckets,
                    },
                    { parent: ctx.parent },
                );
        }
        case "azure": {
            const [{ AzureBlobObjectStore }, { AksCluster }] = await Promise.all([import("../components/storage/azureBlobObjectStore"), import("../components/cluster/aksCluster")]);
            if (!(cluster instanceof AksCluster)) throw new Error("inferstack:objectStore.provider azure needs cluster.provider aks");
            return (ctx) =>
                new AzureBlobObjectStore(
                    name,
                    {
                        provider: ctx.provider,
                        resourceGroupName: cluster.resourceGroupName,
                        location: cluster.location,
                        oidcIssuerUrl: cluster.workloadIdentity.issuer,
                        modelNamespace: ctx.modelNamespace,
                        accountName: store.accountName,
                        modelContainer: store.modelBucket,
                        extraContainers: store.extraBuckets,
                    },
                    { parent: ctx.parent },
                );
        }
    }
}

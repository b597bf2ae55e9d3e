/** Registration entry of Minio in the cluster: any cluster, no cloud SDK. */
import { defineObjectStoreVariant } from "../objectStoreVariant";
import { minioStoreSchema } from "./minioSchema";

export const minioStoreVariant = defineObjectStoreVariant({
    schema: minioStoreSchema,
    async create(name, store, cluster) {
        const { MinioObjectStore } = await import("./minioObjectStore");
        return (ctx) =>
            new MinioObjectStore(
                name,
                {
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
    },
});

/** Registration entry of S3: on EKS only (read through IRSA), loading @pulumi/aws when chosen. */
import { eksClusterVariant } from "../../cluster/eks/variant";
import { defineObjectStoreVariant, schemeUris } from "../objectStoreVariant";
import { s3StoreSchema } from "./s3Schema";

export const s3StoreVariant = defineObjectStoreVariant({
    schema: s3StoreSchema,
    requires: eksClusterVariant,
    modelUris: schemeUris("s3://"),
    async create(name, store, cluster) {
        const { S3ObjectStore } = await import("./s3ObjectStore");
        return (ctx) =>
            new S3ObjectStore(
                name,
                {
                    awsProvider: cluster.awsProvider,
                    region: cluster.region,
                    modelNamespace: ctx.modelNamespace,
                    modelBucket: store.modelBucket,
                    extraBuckets: store.extraBuckets,
                    accessLogBucket: store.accessLogBucket,
                    workloadIdentity: cluster.workloadIdentity,
                },
                { parent: ctx.parent },
            );
    },
});

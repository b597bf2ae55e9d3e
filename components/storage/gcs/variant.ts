/** Registration entry of GCS: on GKE only (read through Workload Identity), loading @pulumi/gcp when chosen. */
import { gkeClusterVariant } from "../../cluster/gke/variant";
import { defineObjectStoreVariant, schemeUris } from "../objectStoreVariant";
import { gcsStoreSchema } from "./gcsSchema";

export const gcsStoreVariant = defineObjectStoreVariant({
    schema: gcsStoreSchema,
    requires: gkeClusterVariant,
    modelUris: schemeUris("gs://"),
    async create(name, store, cluster) {
        const { GcsObjectStore } = await import("./gcsObjectStore");
        return (ctx) =>
            new GcsObjectStore(
                name,
                {
                    gcpProvider: cluster.gcpProvider,
                    project: cluster.project,
                    location: store.location,
                    modelNamespace: ctx.modelNamespace,
                    modelBucket: store.modelBucket,
                    extraBuckets: store.extraBuckets,
                    accessLogBucket: store.accessLogBucket,
                },
                { parent: ctx.parent },
            );
    },
});

/** The `inferstack:objectStore` fragment of Minio in the cluster. */
import { z } from "zod";
import { bucketName, quantity } from "../../schemaPrimitives";

export const minioStoreSchema = z
    .object({
        provider: z.literal("minio"),
        /** Bucket holding model artifacts; InferenceServices read `s3://<modelBucket>/...`. */
        modelBucket: bucketName.default("models"),
        /** Further buckets to create (reference data for the monitors, ...). */
        extraBuckets: z.array(bucketName).default([]),
        volumeSize: quantity.default("10Gi"),
        /** StorageClass of the data volume; the cluster default when unset. */
        storageClass: z.string().optional(),
        /** Public HTTPS objects to copy into the buckets once (sample models): `{url, target: <bucket>/<key>}`. */
        seed: z
            .array(
                z
                    .object({
                        url: z.string().startsWith("https://", "must be an https:// URL"),
                        target: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, "must be <bucket>/<key>"),
                    })
                    .strict(),
            )
            .default([]),
    })
    .strict();

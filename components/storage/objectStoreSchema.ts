/**
 * The `inferstack:objectStore` config key: where model artifacts and reference data live, one variant per provider.
 */
import { z } from "zod";
import { bucketName, quantity } from "../schemaPrimitives";

export const objectStoreSchema = z.discriminatedUnion("provider", [
    z
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
        .strict(),
    z.object({ provider: z.literal("s3"), modelBucket: bucketName, extraBuckets: z.array(bucketName).default([]) }).strict(),
    z.object({ provider: z.literal("gcs"), modelBucket: bucketName, location: z.string().default("EU"), extraBuckets: z.array(bucketName).default([]) }).strict(),
    z
        .object({
            provider: z.literal("azure"),
            /** Storage account name: 3-24 lowercase letters and digits. */
            accountName: z.string().regex(/^[a-z0-9]{3,24}$/, "must be 3-24 lowercase letters and digits"),
            modelBucket: z.string().regex(/^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$/, "must be an Azure container name: 3-63 lowercase letters, digits and '-'").default("models"),
            extraBuckets: z.array(bucketName).default([]),
        })
        .strict(),
]);
export type ObjectStoreConfig = z.infer<typeof objectStoreSchema>;

/** Azure Blob/File URLs, which KServe's storage initializer reads with the Azure SDK (kserve_storage.py, _AZURE_*_RE). */
export const azureStorageUrl = /^https:\/\/[^/.]+\.(blob\.core\.windows\.net|z[0-9]{1,2}\.blob\.storage\.azure\.net|file\.core\.windows\.net|z[0-9]{1,2}\.file\.storage\.azure\.net)\/.+/;

/** The `inferstack:objectStore` fragment of GCS (on GKE). */
import { z } from "zod";
import { bucketName } from "../../schemaPrimitives";
import { accessLogBucketField, checkAccessLogBucket } from "../accessLogBucket";

export const gcsStoreSchema = z
    .object({ provider: z.literal("gcs"), modelBucket: bucketName, location: z.string().default("EU"), extraBuckets: z.array(bucketName).default([]), ...accessLogBucketField })
    .strict()
    .superRefine(checkAccessLogBucket);

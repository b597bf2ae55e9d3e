/** The `inferstack:objectStore` fragment of S3 (on EKS). */
import { z } from "zod";
import { bucketName } from "../../schemaPrimitives";
import { accessLogBucketField, checkAccessLogBucket } from "../accessLogBucket";

export const s3StoreSchema = z
    .object({ provider: z.literal("s3"), modelBucket: bucketName, extraBuckets: z.array(bucketName).default([]), ...accessLogBucketField })
    .strict()
    .superRefine(checkAccessLogBucket);

/**
 * The access-log bucket of a cloud object store (S3, GCS): where the model buckets' server access / usage logs
 * go. Named `<modelBucket>-access-logs` unless the config names it (`objectStore.accessLogBucket`). Pure zod: the
 * schema fragments import it, so it loads no cloud SDK.
 */
import { z } from "zod";
import { bucketName } from "../schemaPrimitives";

/** Suffix of the default access-log bucket name. */
export const accessLogBucketSuffix = "-access-logs";

/** The schema key, for the S3 and GCS fragments. */
export const accessLogBucketField = {
    /** Bucket that receives the model buckets' access logs (created by the store). Default: `<modelBucket>-access-logs`. */
    accessLogBucket: bucketName.optional(),
};

interface WithLogBucket {
    modelBucket: string;
    extraBuckets: string[];
    accessLogBucket?: string;
}

/** The access-log bucket's name. */
export function accessLogBucketName(store: { modelBucket: string; accessLogBucket?: string }): string {
    return store.accessLogBucket ?? `${store.modelBucket}${accessLogBucketSuffix}`;
}

/** Refuses a default name past the 63 characters bucket names allow, and a log bucket that is also a model bucket. */
export function checkAccessLogBucket(store: WithLogBucket, ctx: z.RefinementCtx): void {
    const name = accessLogBucketName(store);
    if (store.accessLogBucket === undefined && name.length > 63) {
        ctx.addIssue({
            code: "custom",
            path: ["modelBucket"],
            message: `leaves no room for its access-log bucket (${name} is ${name.length} characters; bucket names allow 63): set objectStore.accessLogBucket`,
        });
    }
    if ([store.modelBucket, ...store.extraBuckets].includes(name)) {
        ctx.addIssue({ code: "custom", path: ["accessLogBucket"], message: `must not be one of the model buckets (${name}): access logs go to a bucket of their own` });
    }
}

import * as pulumi from "@pulumi/pulumi";

/**
 * Object store provider: the name a variant is registered under (components/storage/objectStoreVariants.ts);
 * Minio runs in the cluster, the others are the clouds' managed stores.
 */
export type ObjectStoreKind = string;

/**
 * What a store variant is built from once the platform exists: the model namespace and the parent. The store's
 * Kubernetes objects reach the cluster through the provider they inherit from that parent (the Platform's
 * `providers` option); cloud resources take their cloud's provider explicitly.
 */
export interface ObjectStoreContext {
    /** Namespace of the InferenceServices (credentials and the ServiceAccount go there). */
    modelNamespace: pulumi.Output<string>;
    /** Parent for the store's resources. */
    parent: pulumi.Resource;
}

/**
 * The storage contract every object store variant gives InferenceServices and monitors: a bucket for model
 * artifacts, and a ServiceAccount in the model namespace that the KServe storage initializer can read it with.
 */
export interface ObjectStore {
    /** Which variant this is. */
    readonly kind: ObjectStoreKind;
    /** Bucket (or Azure container) holding model artifacts. */
    readonly modelBucket: pulumi.Output<string>;
    /** URI prefix of model artifacts, e.g. `s3://models`, `gs://acme-models`, `https://acct.blob.core.windows.net/models`. */
    readonly modelUriPrefix: pulumi.Output<string>;
    /** ServiceAccount (in the model namespace) that InferenceServices run as to read the bucket. */
    readonly serviceAccountName: pulumi.Output<string>;
    /** S3-compatible endpoint for in-cluster clients such as the monitors (Minio and S3 only). */
    readonly s3Endpoint?: pulumi.Output<string>;
    /** Secret in the model namespace with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (Minio only: clouds use identity). */
    readonly s3CredentialsSecretName?: pulumi.Output<string>;
    /**
     * Resources InferenceServices must wait for before their storage initializer reads the bucket (Minio: the
     * setup Job that creates the buckets, the read-only user and the seeded samples). Cloud stores need none:
     * their buckets and identities exist when created.
     */
    readonly ready?: pulumi.Resource[];
    /** Labels model pods need to use the store's identity (AKS workload identity's webhook selects on one). */
    readonly podLabels?: Record<string, string>;
}

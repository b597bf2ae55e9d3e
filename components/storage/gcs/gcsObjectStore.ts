import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { accessLogBucketName } from "../accessLogBucket";
import { modelServiceAccount, defaultModelServiceAccount } from "../modelServiceAccount";
import { ObjectStore } from "../objectStore";

export interface GcsObjectStoreArgs {
    /** GCP provider of the cluster's project. */
    gcpProvider: gcp.Provider;
    /** GCP project ID (its Workload Identity pool is `<project>.svc.id.goog`). */
    project: string;
    /** Bucket location, e.g. EU or europe-west4. */
    location: string;
    /** Namespace of the InferenceServices; the ServiceAccount goes there. */
    modelNamespace: pulumi.Input<string>;
    /** Bucket for model artifacts (bucket names are global: prefix them with your organisation). */
    modelBucket: string;
    /** Further buckets, readable by the same identity. */
    extraBuckets?: string[];
    /** Bucket receiving the buckets' usage logs (created here). Default: `<modelBucket>-access-logs`. */
    accessLogBucket?: string;
    /** Name of the model-serving ServiceAccount. Default: kserve-models. */
    serviceAccountName?: string;
}

/**
 * GCS buckets for model artifacts: uniform access, public access prevention enforced, versioned, protected, with
 * usage logs in a log bucket of their own; read by a Google service account that the model-serving Kubernetes ServiceAccount impersonates through
 * Workload Identity, so no key file exists anywhere.
 */
export class GcsObjectStore extends pulumi.ComponentResource implements ObjectStore {
    public readonly kind = "gcs" as const;
    public readonly modelBucket: pulumi.Output<string>;
    public readonly modelUriPrefix: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;
    /** Email of the Google service account that reads the buckets. */
    public readonly googleServiceAccount: pulumi.Output<string>;

    constructor(name: string, args: GcsObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:storage:GcsObjectStore", name, {}, opts);
        const child = { parent: this, provider: args.gcpProvider };
        const saName = args.serviceAccountName ?? defaultModelServiceAccount;
        const reader = new gcp.serviceaccount.Account(`${name}-reader`, { accountId: "inferstack-model-reader", displayName: "Reads inferstack model buckets" }, child);
        // Usage logs: a bucket of their own, private, versioned and protected like the model buckets; Cloud Storage
        // writes them as the cloud-storage-analytics@google.com group, which needs objectCreator on it (uniform
        // access: IAM, no ACL). Its own requests are logged into it too (prefix `access-logs`), so who read the logs is
        // on record.
        const logBucketName = accessLogBucketName({ modelBucket: args.modelBucket, accessLogBucket: args.accessLogBucket });
        const privateBucket = (bucketName: string, logObjectPrefix: string, logTo: pulumi.Input<string>, dependsOn: pulumi.Resource[] = []) =>
            new gcp.storage.Bucket(
                `${name}-${bucketName}`,
                {
                    name: bucketName,
                    location: args.location,
                    uniformBucketLevelAccess: true,
                    publicAccessPrevention: "enforced",
                    versioning: { enabled: true },
                    logging: { logBucket: logTo, logObjectPrefix },
                    forceDestroy: false,
                },
                { ...child, protect: true, retainOnDelete: true, dependsOn },
            );
        const logBucket = privateBucket(logBucketName, "access-logs", logBucketName);
        const logWriter = new gcp.storage.BucketIAMMember(
            `${name}-${logBucketName}-writer`,
            { bucket: logBucket.name, role: "roles/storage.objectCreator", member: "group:cloud-storage-analytics@google.com" },
            child,
        );
        const buckets = [args.modelBucket, ...(args.extraBuckets ?? [])].map((bucketName) => {
            // After the log bucket and its writer grant, so the first logs have somewhere to go.
            const bucket = privateBucket(bucketName, bucketName, logBucket.name, [logWriter]);
            new gcp.storage.BucketIAMMember(`${name}-${bucketName}-reader`, { bucket: bucket.name, role: "roles/storage.objectViewer", member: pulumi.interpolate`serviceAccount:${reader.email}` }, child);
            return bucket;
        });
        // Workload Identity: only this Kubernetes ServiceAccount may act as the reader.
        new gcp.serviceaccount.IAMMember(
            `${name}-workload-identity`,
            { serviceAccountId: reader.name, role: "roles/iam.workloadIdentityUser", member: pulumi.interpolate`serviceAccount:${args.project}.svc.id.goog[${args.modelNamespace}/${saName}]` },
            child,
        );
        const sa = modelServiceAccount(
            name,
            { namespace: args.modelNamespace, serviceAccountName: saName, annotations: { "iam.gke.io/gcp-service-account": reader.email } },
            this,
        );
        this.modelBucket = buckets[0].name;
        this.modelUriPrefix = pulumi.interpolate`gs://${this.modelBucket}`;
        this.serviceAccountName = sa.metadata.name;
        this.googleServiceAccount = reader.email;
        this.registerOutputs({ modelBucket: this.modelBucket, serviceAccountName: this.serviceAccountName, googleServiceAccount: this.googleServiceAccount });
    }
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { irsaTrustPolicy } from "../../aws";
import { WorkloadIdentity } from "../../cluster/kubernetesCluster";
import { accessLogBucketName } from "../accessLogBucket";
import { modelServiceAccount, defaultModelServiceAccount } from "../modelServiceAccount";
import { ObjectStore } from "../objectStore";

export interface S3ObjectStoreArgs {
    /** AWS provider of the cluster's region. */
    awsProvider: aws.Provider;
    /** AWS region of the bucket. */
    region: string;
    /** Namespace of the InferenceServices; the ServiceAccount goes there. */
    modelNamespace: pulumi.Input<string>;
    /** Bucket for model artifacts. */
    modelBucket: string;
    /** Further buckets, readable by the same role. */
    extraBuckets?: string[];
    /** Bucket receiving the buckets' server access logs (created here). Default: `<modelBucket>-access-logs`. */
    accessLogBucket?: string;
    /** The EKS cluster's IRSA issuer, which the bucket role trusts. */
    workloadIdentity: WorkloadIdentity;
    /** Name of the model-serving ServiceAccount. Default: kserve-models. */
    serviceAccountName?: string;
}

/**
 * S3 buckets for model artifacts: private (public access blocked, owner-enforced), versioned, KMS-encrypted and
 * protected, with server access logging to a log bucket of their own; read through IRSA by a ServiceAccount in the
 * model namespace, so no access key exists anywhere.
 */
export class S3ObjectStore extends pulumi.ComponentResource implements ObjectStore {
    public readonly kind = "s3" as const;
    public readonly modelBucket: pulumi.Output<string>;
    public readonly modelUriPrefix: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;
    /** ARN of the read-only role the ServiceAccount assumes. */
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: S3ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:storage:S3ObjectStore", name, {}, opts);
        const child = { parent: this, provider: args.awsProvider };
        const saName = args.serviceAccountName ?? defaultModelServiceAccount;
        const key = new aws.kms.Key(`${name}-buckets`, { description: `Model buckets of ${name}`, enableKeyRotation: true, deletionWindowInDays: 30 }, { ...child, retainOnDelete: true });

        // Server access logs: a bucket of their own, private, versioned and protected like the model buckets, encrypted
        // with SSE-S3 (S3 delivers access logs only to a target whose default encryption is SSE-S3, not SSE-KMS), and
        // writable by S3's logging service only for this store's buckets (a bucket policy: with BucketOwnerEnforced
        // no ACL grant is possible). Its own reads are logged into it too (prefix `access-logs/`), so who read the
        // logs is on record.
        const logBucketName = accessLogBucketName({ modelBucket: args.modelBucket, accessLogBucket: args.accessLogBucket });
        const logBucket = new aws.s3.Bucket(`${name}-${logBucketName}`, { bucket: logBucketName, forceDestroy: false }, { ...child, protect: true, retainOnDelete: true });
        new aws.s3.BucketPublicAccessBlock(
            `${name}-${logBucketName}`,
            { bucket: logBucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            child,
        );
        new aws.s3.BucketOwnershipControls(`${name}-${logBucketName}`, { bucket: logBucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
        new aws.s3.BucketVersioning(`${name}-${logBucketName}`, { bucket: logBucket.id, versioningConfiguration: { status: "Enabled" } }, child);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-${logBucketName}`, { bucket: logBucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, child);
        const logged = (bucket: aws.s3.Bucket, resourceName: string, prefix: string) =>
            new aws.s3.BucketLogging(resourceName, { bucket: bucket.id, targetBucket: logBucket.id, targetPrefix: prefix }, child);

        const buckets = [args.modelBucket, ...(args.extraBuckets ?? [])].map((bucketName) => {
            const bucket = new aws.s3.Bucket(`${name}-${bucketName}`, { bucket: bucketName, forceDestroy: false }, { ...child, protect: true, retainOnDelete: true });
            new aws.s3.BucketPublicAccessBlock(
                `${name}-${bucketName}`,
                { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
                child,
            );
            new aws.s3.BucketOwnershipControls(`${name}-${bucketName}`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
            new aws.s3.BucketVersioning(`${name}-${bucketName}`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
            new aws.s3.BucketServerSideEncryptionConfiguration(
                `${name}-${bucketName}`,
                { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }] },
                child,
            );
            logged(bucket, `${name}-${bucketName}`, `${bucketName}/`);
            return bucket;
        });
        logged(logBucket, `${name}-${logBucketName}`, "access-logs/");
        new aws.s3.BucketPolicy(
            `${name}-${logBucketName}`,
            {
                bucket: logBucket.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "S3ServerAccessLogs",
                            Effect: "Allow",
                            Principal: { Service: "logging.s3.amazonaws.com" },
                            Action: "s3:PutObject",
                            Resource: pulumi.interpolate`${logBucket.arn}/*`,
                            Condition: { ArnLike: { "aws:SourceArn": [...buckets, logBucket].map((b) => b.arn) } },
                        },
                    ],
                }),
            },
            child,
        );

        // IRSA: only this ServiceAccount, in this namespace, of this cluster may assume the role.
        const subject = pulumi.interpolate`system:serviceaccount:${args.modelNamespace}:${saName}`;
        const role = new aws.iam.Role(
            `${name}-reader`,
            {
                assumeRolePolicy: irsaTrustPolicy(args.workloadIdentity, subject),
            },
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-reader`,
            {
                role: role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        { Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: buckets.map((b) => b.arn) },
                        { Effect: "Allow", Action: ["s3:GetObject"], Resource: buckets.map((b) => pulumi.interpolate`${b.arn}/*`) },
                        { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [key.arn] },
                    ],
                }),
            },
            child,
        );

        const sa = modelServiceAccount(
            name,
            {
                namespace: args.modelNamespace,
                serviceAccountName: saName,
                annotations: {
                    "eks.amazonaws.com/role-arn": role.arn,
                    // KServe's storage initializer reads the S3 settings from its ServiceAccount.
                    "serving.kserve.io/s3-endpoint": `s3.${args.region}.amazonaws.com`,
                    "serving.kserve.io/s3-region": args.region,
                    "serving.kserve.io/s3-usehttps": "1",
                },
            },
            this,
        );

        this.modelBucket = buckets[0].bucket;
        this.modelUriPrefix = pulumi.interpolate`s3://${this.modelBucket}`;
        this.serviceAccountName = sa.metadata.name;
        this.roleArn = role.arn;
        this.registerOutputs({ modelBucket: this.modelBucket, serviceAccountName: this.serviceAccountName, roleArn: this.roleArn });
    }
}

/** Data and secrets guardrails: no credentials in plain sight, stateful storage protected, buckets private. */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { objectName, podSpecsOf, types } from "./kubernetes";

type Props = Record<string, any>;

/** Env var or ConfigMap key names that hold credentials. */
const credentialName = /(passw(or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)/i;
/**
 * Env var names that hold a reference to a credential, not the credential: the name of a Secret
 * (`SECRET_NAME=kserve-webhook-server-cert` in KServe's controller, `WEBHOOK_SECRET_NAME` in Knative's operator
 * webhook), or where one is mounted (`DB_PASSWORD_FILE`, `TOKEN_PATH`). Their values are still checked.
 */
const referenceName = /_(NAME|NAMES|FILE|PATH|DIR|NAMESPACE|REF|MOUNT|ANNOTATION)$/i;
/** Values that are credentials whatever their key: AWS access key ids, PEM private keys, JSON credential fields. */
const credentialValues = [
    /\bAKIA[0-9A-Z]{16}\b/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /"(password|secret|secretKey|secret_key|accessKey|access_key|token|apiKey|api_key)"\s*:\s*"[^"]+"/i,
];
/** A line of a YAML, INI or properties document that assigns a literal to a credential-named key (`client_secret: abc`). */
const credentialAssignment = /^\s*[\w.-]*(passw(or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)\s*[:=]\s*["']?[^\s"'$#{}]{4,}/im;

/** A ConfigMap value that is a document (JSON, YAML, INI...) rather than one scalar setting. */
const isDocument = (value: string) => value.includes("\n") || /^\s*[[{]/.test(value);

/**
 * True when a ConfigMap entry looks like a credential. A non-empty scalar under a credential-looking key is one; a
 * document under such a key (KServe's `inferenceservice-config` has a `credentials` key holding the *names* of
 * Secret keys) only when it assigns a credential itself.
 */
function configMapCredential(key: string, value: string): boolean {
    if (credentialValues.some((re) => re.test(value))) return true;
    if (!credentialName.test(key)) return false;
    return isDocument(value) ? credentialAssignment.test(value) : value !== "";
}

export const noPlaintextCredentials: ResourceValidationPolicy = {
    name: "no-plaintext-credentials",
    description: "No credential-looking value in a plain env var or a ConfigMap: credentials live in Secrets (and Pulumi secrets).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        for (const pod of podSpecsOf(args.type, args.props)) {
            for (const c of pod.containers) {
                for (const env of c.env ?? []) {
                    if (env.value === undefined || env.value === "") continue;
                    const byName = credentialName.test(env.name) && !referenceName.test(env.name);
                    if (byName || credentialValues.some((re) => re.test(String(env.value)))) {
                        report(`${objectName(args.props, args.name)} container ${c.name ?? "(unnamed)"}: env ${env.name} holds a literal value that looks like a credential; use valueFrom.secretKeyRef.`);
                    }
                }
            }
        }
        if (args.type === types.configMap) {
            const data = { ...((args.props["data"] ?? {}) as Props), ...((args.props["binaryData"] ?? {}) as Props) };
            for (const [key, value] of Object.entries(data)) {
                if (configMapCredential(key, String(value))) {
                    report(`ConfigMap ${objectName(args.props, args.name)}: key ${key} looks like it holds a credential; move it to a Secret.`);
                }
            }
        }
    },
};

/** Resource types that hold state a deletion would lose (clusters hold every workload's state). */
export const statefulTypes = [
    types.pvc,
    "eks:index:Cluster",
    "gcp:container/cluster:Cluster",
    "azure-native:containerservice:ManagedCluster",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "gcp:storage/bucket:Bucket",
    "azure-native:storage:StorageAccount",
    "azure-native:storage:BlobContainer",
];

export const statefulStorageProtected: ResourceValidationPolicy = {
    name: "stateful-storage-protected",
    description: "Volumes, buckets and clusters are protected from accidental deletion (the protect resource option).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!statefulTypes.includes(args.type)) return;
        if (!args.opts.protect) report(`${args.type} ${args.name} is not protected; create it with { protect: true, retainOnDelete: true }.`);
    },
};

/** True when `r` refers to `target` (through an input, a dependency, or the target's explicit name). */
export function refersTo(r: PolicyResource, target: PolicyResource, key: string): boolean {
    const viaProperty = (r.propertyDependencies?.[key] ?? []).some((d) => d.urn === target.urn);
    const viaDependency = (r.dependencies ?? []).some((d) => d.urn === target.urn);
    const value = r.props[key];
    const viaName = typeof value === "string" && (value === target.props["bucket"] || value === target.props["accountName"] || value === target.props["id"]);
    return viaProperty || viaDependency || viaName;
}

const s3BucketTypes = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const s3PublicAccessBlock = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const s3Versioning = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
const s3Encryption = ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"];
const gcsBucket = "gcp:storage/bucket:Bucket";
const azureAccount = "azure-native:storage:StorageAccount";
const azureContainer = "azure-native:storage:BlobContainer";
const azureBlobService = "azure-native:storage:BlobServiceProperties";

export const bucketsNotPublic: StackValidationPolicy = {
    name: "buckets-not-public",
    description: "Cloud buckets cannot be made public: S3 public access fully blocked, GCS public access prevention enforced with uniform access, Azure blob public access off.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const all = args.resources;
        for (const b of all.filter((r) => s3BucketTypes.includes(r.type))) {
            const block = all.find((r) => r.type === s3PublicAccessBlock && refersTo(r, b, "bucket"));
            const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
            if (!block) report(`S3 bucket ${b.name} has no BucketPublicAccessBlock; add one with all four flags true.`, b.urn);
            else {
                const off = flags.filter((f) => block.props[f] !== true);
                if (off.length) report(`S3 bucket ${b.name}: public access block leaves ${off.join(", ")} off; set them true.`, block.urn);
            }
            if (typeof b.props["acl"] === "string" && b.props["acl"].startsWith("public")) report(`S3 bucket ${b.name} has acl ${b.props["acl"]}; remove it.`, b.urn);
        }
        for (const b of all.filter((r) => r.type === gcsBucket)) {
            if (b.props["publicAccessPrevention"] !== "enforced") report(`GCS bucket ${b.name}: set publicAccessPrevention: "enforced".`, b.urn);
            if (b.props["uniformBucketLevelAccess"] !== true) report(`GCS bucket ${b.name}: set uniformBucketLevelAccess: true (no per-object ACLs).`, b.urn);
        }
        for (const a of all.filter((r) => r.type === azureAccount)) {
            if (a.props["allowBlobPublicAccess"] !== false) report(`Storage account ${a.name}: set allowBlobPublicAccess: false.`, a.urn);
        }
        for (const c of all.filter((r) => r.type === azureContainer)) {
            const access = c.props["publicAccess"];
            if (access !== undefined && access !== "None") report(`Blob container ${c.name} has publicAccess ${access}; set it to "None".`, c.urn);
        }
    },
};

export const bucketsVersionedEncrypted: StackValidationPolicy = {
    name: "buckets-versioned-encrypted",
    description: "Cloud buckets keep object versions (a bad upload can be rolled back) and are encrypted at rest (explicitly on S3; Azure encryption may not be switched off; HTTPS only).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const all = args.resources;
        for (const b of all.filter((r) => s3BucketTypes.includes(r.type))) {
            const versioning = all.find((r) => s3Versioning.includes(r.type) && refersTo(r, b, "bucket"));
            if (versioning?.props["versioningConfiguration"]?.["status"] !== "Enabled") report(`S3 bucket ${b.name} is not versioned; add a BucketVersioning with status Enabled.`, b.urn);
            const sse = all.find((r) => s3Encryption.includes(r.type) && refersTo(r, b, "bucket"));
            const algorithm = sse?.props["rules"]?.[0]?.["applyServerSideEncryptionByDefault"]?.["sseAlgorithm"];
            if (!algorithm) report(`S3 bucket ${b.name} has no default encryption; add a BucketServerSideEncryptionConfiguration (aws:kms or AES256).`, b.urn);
        }
        for (const b of all.filter((r) => r.type === gcsBucket)) {
            if (b.props["versioning"]?.["enabled"] !== true) report(`GCS bucket ${b.name}: set versioning.enabled: true.`, b.urn);
        }
        for (const a of all.filter((r) => r.type === azureAccount)) {
            if (a.props["enableHttpsTrafficOnly"] === false) report(`Storage account ${a.name}: enableHttpsTrafficOnly must not be false.`, a.urn);
            if (a.props["encryption"]?.["services"]?.["blob"]?.["enabled"] === false) report(`Storage account ${a.name}: blob encryption must not be disabled.`, a.urn);
            const service = all.find((r) => r.type === azureBlobService && refersTo(r, a, "accountName"));
            if (service?.props["isVersioningEnabled"] !== true) report(`Storage account ${a.name} is not versioned; add BlobServiceProperties with isVersioningEnabled: true.`, a.urn);
        }
    },
};

export const dataPolicies = [noPlaintextCredentials, statefulStorageProtected, bucketsNotPublic, bucketsVersionedEncrypted];

/** Data and secrets guardrails: no credentials in plain sight, stateful storage protected, buckets private, logged and hardened. */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { HelmChart, helmTypes, objectName, podSpecsOf, types } from "./kubernetes";

/** A ConfigMap's inputs. */
interface ConfigMap {
    data?: Record<string, unknown>;
    binaryData?: Record<string, unknown>;
}

/** Env var or ConfigMap key names that hold credentials. */
const credentialName = /(passw(or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|conn(ection)?[_-]?str(ing)?)/i;
/**
 * Env var names that hold a reference to a credential, not the credential: the name of a Secret
 * (`SECRET_NAME=kserve-webhook-server-cert` in KServe's controller, `WEBHOOK_SECRET_NAME` in Knative's operator
 * webhook), or where one is mounted (`DB_PASSWORD_FILE`, `TOKEN_PATH`). Their values are still checked.
 */
const referenceName = /_(NAME|NAMES|FILE|PATH|DIR|NAMESPACE|REF|MOUNT|ANNOTATION)$/i;
/**
 * Values that are credentials whatever their key: AWS access key ids, PEM private keys, JSON credential fields,
 * Azure connection strings and SAS tokens, URLs with a password in their userinfo (`scheme://user:password@host`).
 */
const credentialValues = [
    /\bAKIA[0-9A-Z]{16}\b/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /"(password|secret|secretKey|secret_key|accessKey|access_key|token|apiKey|api_key)"\s*:\s*"[^"]+"/i,
    /\b(AccountKey|SharedAccessKey|SharedAccessSignature)=[^;\s$]{8,}/i,
    /[?&]sig=[A-Za-z0-9%+/=]{16,}/,
    /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@$]+:[^/\s@$]{3,}@[^/\s]+/i,
];
/** A line of a YAML, INI or properties document that assigns a literal to a credential-named key (`client_secret: abc`). */
const credentialAssignment = /^\s*[\w.-]*(passw(or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)\s*[:=]\s*["']?[^\s"'$#{}]{4,}/im;
/**
 * A command-line flag that passes a credential literally: `--password=hunter2`, `--api-key hunter2`, `-p=...` is not
 * matched (too short to tell). A value that only names a variable (`$(DB_PASSWORD)`, `$TOKEN`) or a file is fine.
 */
const credentialFlag = /^--?[\w.-]*(passw(or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)[\w.-]*$/i;
const credentialFlagAssignment = /^(--?[\w.-]*(passw(or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)[\w.-]*)=(.+)$/i;
/** Flags that name where a credential is (`--secret-name`, `--token-file`, `--password_path`), not the credential. */
const referenceFlag = /[-_](name|names|file|path|dir|namespace|ref|mount|annotation)$/i;
/** A flag value that references a credential rather than holding it. */
const isReference = (value: string) => /^\$/.test(value) || /^\/|^file:/.test(value) || /^[A-Z][A-Z0-9_]*$/.test(value);

/** The literal credentials a container's command line passes: each as `flag` for messages. */
export function credentialArgs(argv: unknown[]): string[] {
    const out: string[] = [];
    const args = argv.map((a) => String(a));
    for (const [i, a] of args.entries()) {
        const assigned = credentialFlagAssignment.exec(a);
        if (assigned) {
            if (!referenceFlag.test(assigned[1]) && !isReference(assigned[4])) out.push(assigned[1]);
        } else if (credentialFlag.test(a) && !referenceFlag.test(a) && i + 1 < args.length && !args[i + 1].startsWith("-") && !isReference(args[i + 1])) out.push(a);
        else if (credentialValues.some((re) => re.test(a))) out.push(`argument ${i}`);
    }
    return out;
}

/**
 * A Helm value key that names where a credential is rather than holding it (`existingSecret`, `passwordKey`,
 * `secretName`, `tokenFile`), unless the key is itself a credential's name (`apiKey`, `accessKey`, `secretKey`).
 */
const helmReferenceKey = /(key|name|names|ref|secret|file|path|dir|namespace|mount|annotations?|enabled|create)$/i;
const helmCredentialKey = /^(api|access|secret|private|client|account)[_-]?key$/i;

/** The dotted paths of Helm values that hold a credential literally (a Pulumi secret reads "[secret]" offline, and is fine). */
export function credentialValuesIn(values: unknown, path = ""): string[] {
    if (Array.isArray(values)) return values.flatMap((v, i) => credentialValuesIn(v, `${path}[${i}]`));
    if (values && typeof values === "object") return Object.entries(values as Record<string, unknown>).flatMap(([k, v]) => credentialValuesIn(v, path ? `${path}.${k}` : k).concat(literalCredential(k, v) ? [path ? `${path}.${k}` : k] : []));
    return [];
}
function literalCredential(key: string, value: unknown): boolean {
    if (typeof value !== "string" || value === "" || value === "[secret]") return false;
    if (credentialValues.some((re) => re.test(value))) return true;
    return credentialName.test(key) && (helmCredentialKey.test(key) || !helmReferenceKey.test(key)) && !/^\$|^\{\{/.test(value);
}

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
    description:
        "No credential-looking literal in a container's env, args or command, a ConfigMap, or Helm values (credential names, AWS key ids, PEM keys, Azure connection strings and SAS signatures, URLs with a password): credentials live in Secrets (and Pulumi secrets).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        for (const pod of podSpecsOf(args.type, args.props)) {
            for (const c of pod.containers) {
                const where = `${objectName(args.props, args.name)} container ${c.name ?? "(unnamed)"}`;
                for (const env of c.env ?? []) {
                    if (env.value === undefined || env.value === "") continue;
                    const byName = credentialName.test(env.name) && !referenceName.test(env.name);
                    if (byName || credentialValues.some((re) => re.test(String(env.value)))) {
                        report(`${where}: env ${env.name} holds a literal value that looks like a credential; use valueFrom.secretKeyRef (models[].stable.env with valueFrom).`);
                    }
                }
                for (const [field, argv] of [["args", c.args], ["command", c.command]] as const) {
                    const found = credentialArgs(argv ?? []);
                    if (found.length > 0) report(`${where}: ${field} pass${found.length === 1 ? "es" : ""} a credential literally (${found.join(", ")}); read it from an env var set by valueFrom.secretKeyRef, e.g. --password=$(DB_PASSWORD).`);
                }
            }
        }
        if (helmTypes.includes(args.type)) {
            for (const key of credentialValuesIn((args.props as HelmChart).values ?? {})) {
                report(`Helm release ${args.name}: value ${key} holds a literal credential; pass it as a Pulumi secret, or point the chart at a Secret (e.g. existingSecret).`);
            }
        }
        if (args.type === types.configMap) {
            const cm = args.props as ConfigMap;
            const data = { ...(cm.data ?? {}), ...(cm.binaryData ?? {}) };
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

/** The inputs by which one cloud resource names another (a bucket, an account, an id). */
interface Named {
    bucket?: unknown;
    accountName?: unknown;
    id?: unknown;
    name?: unknown;
    resourceUri?: unknown;
    targetResourceId?: unknown;
}

/** True when `r` refers to `target` (through an input, a dependency, or the target's explicit name). */
export function refersTo(r: PolicyResource, target: PolicyResource, key: string): boolean {
    const viaProperty = (r.propertyDependencies?.[key] ?? []).some((d) => d.urn === target.urn);
    const viaDependency = (r.dependencies ?? []).some((d) => d.urn === target.urn);
    const value = (r.props as Record<string, unknown>)[key];
    const t = target.props as Named;
    const viaName = typeof value === "string" && (value === t.bucket || value === t.accountName || value === t.id);
    return viaProperty || viaDependency || viaName;
}

/** Typed view of a resource's inputs. */
const view = <T>(r: PolicyResource): T => r.props as T;

interface S3Bucket {
    acl?: string;
    loggings?: unknown[];
    logging?: unknown;
}
interface S3PublicAccessBlock {
    blockPublicAcls?: boolean;
    blockPublicPolicy?: boolean;
    ignorePublicAcls?: boolean;
    restrictPublicBuckets?: boolean;
}
interface S3Versioning {
    versioningConfiguration?: { status?: string };
}
interface S3Encryption {
    rules?: { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }[];
}
interface GcsBucket {
    publicAccessPrevention?: string;
    uniformBucketLevelAccess?: boolean;
    versioning?: { enabled?: boolean };
    logging?: { logBucket?: string };
}
interface AzureStorageAccount {
    allowBlobPublicAccess?: boolean;
    allowSharedKeyAccess?: boolean;
    enableHttpsTrafficOnly?: boolean;
    minimumTlsVersion?: string;
    encryption?: { services?: { blob?: { enabled?: boolean } } };
    networkRuleSet?: { defaultAction?: string };
}
interface AzureBlobContainer {
    publicAccess?: string;
}
interface AzureBlobService {
    isVersioningEnabled?: boolean;
}
const s3BucketTypes = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const s3PublicAccessBlock = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const s3Versioning = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
const s3Encryption = ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"];
const s3Logging = ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"];
const gcsBucket = "gcp:storage/bucket:Bucket";
const azureAccount = "azure-native:storage:StorageAccount";
const azureContainer = "azure-native:storage:BlobContainer";
const azureBlobService = "azure-native:storage:BlobServiceProperties";
/** Azure Monitor diagnostic settings, in the modules azure-native has published them under. */
export const diagnosticSettingTypes = ["azure-native:insights:DiagnosticSetting", "azure-native:monitor:DiagnosticSetting", "azure-native:aadiam:DiagnosticSetting"];

/** The diagnostic settings in `all` that target `target` (by its resourceUri input or a dependency on it). */
export function diagnosticSettingsOf(all: PolicyResource[], target: PolicyResource): PolicyResource[] {
    return all.filter((r) => diagnosticSettingTypes.includes(r.type) && refersTo(r, target, "resourceUri"));
}

export const bucketsNotPublic: StackValidationPolicy = {
    name: "buckets-not-public",
    description: "Cloud buckets cannot be made public: S3 public access fully blocked, GCS public access prevention enforced with uniform access, Azure blob public access off.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const all = args.resources;
        for (const b of all.filter((r) => s3BucketTypes.includes(r.type))) {
            const block = all.find((r) => r.type === s3PublicAccessBlock && refersTo(r, b, "bucket"));
            const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;
            if (!block) report(`S3 bucket ${b.name} has no BucketPublicAccessBlock; add one with all four flags true.`, b.urn);
            else {
                const off = flags.filter((f) => view<S3PublicAccessBlock>(block)[f] !== true);
                if (off.length) report(`S3 bucket ${b.name}: public access block leaves ${off.join(", ")} off; set them true.`, block.urn);
            }
            const acl = view<S3Bucket>(b).acl;
            if (typeof acl === "string" && acl.startsWith("public")) report(`S3 bucket ${b.name} has acl ${acl}; remove it.`, b.urn);
        }
        for (const b of all.filter((r) => r.type === gcsBucket)) {
            if (view<GcsBucket>(b).publicAccessPrevention !== "enforced") report(`GCS bucket ${b.name}: set publicAccessPrevention: "enforced".`, b.urn);
            if (view<GcsBucket>(b).uniformBucketLevelAccess !== true) report(`GCS bucket ${b.name}: set uniformBucketLevelAccess: true (no per-object ACLs).`, b.urn);
        }
        for (const a of all.filter((r) => r.type === azureAccount)) {
            if (view<AzureStorageAccount>(a).allowBlobPublicAccess !== false) report(`Storage account ${a.name}: set allowBlobPublicAccess: false.`, a.urn);
        }
        for (const c of all.filter((r) => r.type === azureContainer)) {
            const access = view<AzureBlobContainer>(c).publicAccess;
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
            if (!versioning || view<S3Versioning>(versioning).versioningConfiguration?.status !== "Enabled") report(`S3 bucket ${b.name} is not versioned; add a BucketVersioning with status Enabled.`, b.urn);
            const sse = all.find((r) => s3Encryption.includes(r.type) && refersTo(r, b, "bucket"));
            const algorithm = sse ? view<S3Encryption>(sse).rules?.[0]?.applyServerSideEncryptionByDefault?.sseAlgorithm : undefined;
            if (!algorithm) report(`S3 bucket ${b.name} has no default encryption; add a BucketServerSideEncryptionConfiguration (aws:kms or AES256).`, b.urn);
        }
        for (const b of all.filter((r) => r.type === gcsBucket)) {
            if (view<GcsBucket>(b).versioning?.enabled !== true) report(`GCS bucket ${b.name}: set versioning.enabled: true.`, b.urn);
        }
        for (const a of all.filter((r) => r.type === azureAccount)) {
            const account = view<AzureStorageAccount>(a);
            if (account.enableHttpsTrafficOnly === false) report(`Storage account ${a.name}: enableHttpsTrafficOnly must not be false.`, a.urn);
            if (account.encryption?.services?.blob?.enabled === false) report(`Storage account ${a.name}: blob encryption must not be disabled.`, a.urn);
            const service = all.find((r) => r.type === azureBlobService && refersTo(r, a, "accountName"));
            if (!service || view<AzureBlobService>(service).isVersioningEnabled !== true) report(`Storage account ${a.name} is not versioned; add BlobServiceProperties with isVersioningEnabled: true.`, a.urn);
        }
    },
};

export const bucketsAccessLogged: StackValidationPolicy = {
    name: "buckets-access-logged",
    description: "Every model bucket records who read and wrote it: S3 server access logging (BucketLogging), GCS usage logs (logging.logBucket), Azure storage diagnostic settings.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const all = args.resources;
        for (const b of all.filter((r) => s3BucketTypes.includes(r.type))) {
            const inline = view<S3Bucket>(b).loggings ?? view<S3Bucket>(b).logging;
            const logging = all.some((r) => s3Logging.includes(r.type) && refersTo(r, b, "bucket"));
            if (!logging && !(Array.isArray(inline) ? inline.length > 0 : inline)) report(`S3 bucket ${b.name} has no server access logging; add an aws.s3.BucketLogging with a target log bucket (the S3 object store component).`, b.urn);
        }
        for (const b of all.filter((r) => r.type === gcsBucket)) {
            if (!view<GcsBucket>(b).logging?.logBucket) report(`GCS bucket ${b.name} has no usage logs; set logging.logBucket (the GCS object store component).`, b.urn);
        }
        for (const a of all.filter((r) => r.type === azureAccount)) {
            // Blob reads and writes are logged by a diagnostic setting on the account's blob service (<account>/blobServices/default).
            if (diagnosticSettingsOf(all, a).length === 0) report(`Storage account ${a.name} has no diagnostic setting; add one on its blob service with StorageRead and StorageWrite logs (the Azure object store component).`, a.urn);
        }
    },
};

export const storageAccountsHardened: ResourceValidationPolicy = {
    name: "storage-accounts-hardened",
    description: "Azure storage accounts accept Entra ID only (allowSharedKeyAccess: false, no account keys or SAS) and TLS 1.2 or later.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== azureAccount) return;
        const a = args.props as AzureStorageAccount;
        if (a.allowSharedKeyAccess !== false) report(`Storage account ${args.name}: set allowSharedKeyAccess: false (pods read models through workload identity; account keys and SAS tokens stay unusable).`);
        const tls = /^TLS1_(\d)$/.exec(a.minimumTlsVersion ?? "");
        if (!tls || Number(tls[1]) < 2) report(`Storage account ${args.name}: minimumTlsVersion is ${a.minimumTlsVersion ?? "unset (TLS1_0 on older accounts)"}; set TLS1_2.`);
    },
};

export const dataPolicies = [noPlaintextCredentials, statefulStorageProtected, bucketsNotPublic, bucketsVersionedEncrypted, bucketsAccessLogged, storageAccountsHardened];

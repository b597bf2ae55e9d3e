/**
 * The whole platform configuration: one schema, parsed once by the stack entry before any resource exists.
 *
 * Every key lives in the `inferstack:` namespace of a stack file (`stacks/Pulumi.<stack>.yaml`). A value that
 * does not fit fails with one message naming the key, the value given and what is allowed.
 */
import { z } from "zod";
import { outlierMinimumRows } from "../services/monitor/src/conformal";

/**
 * Allowed environments. The environment names cloud resources (e.g. the AKS resource group) and turns on the
 * prod-only rules (a latency-critical model keeps a replica); it sets no other defaults: each stack file states
 * what differs between dev, staging and prod.
 */
export const environments = ["dev", "staging", "prod"] as const;
export type Environment = (typeof environments)[number];

/** Frameworks a model entry may name; each maps onto a KServe model format or a custom container. */
export const frameworks = [
    "sklearn",
    "xgboost",
    "lightgbm",
    "pytorch",
    "tensorflow",
    "onnx",
    "triton",
    "mlflow",
    "huggingface",
    "custom",
] as const;
export type Framework = (typeof frameworks)[number];

/**
 * How each framework maps onto KServe: the model format, the ClusterServingRuntime inferstack names (never left
 * to KServe's priority-based choice, which for v2 sklearn/xgboost/lightgbm would be kserve-mlserver, priority 2)
 * and its default protocol. `formatVersions` and `protocols` are what that runtime supports (kserve/kserve@v0.20.0,
 * charts/kserve-runtime-configs/files/runtimes, vendored in test/upstream/charts/kserve-runtime-configs): KServe
 * fails a model whose named runtime lacks its format version or protocol (pkg/controller/v1beta1/inferenceservice/
 * components/predictor.go: "does not support specified framework/version" / "protocol version").
 * Runtimes left undefined (pytorch, tensorflow) are chosen by KServe: one ClusterServingRuntime serves each.
 */
export const frameworkRuntime: Record<Exclude<Framework, "custom">, { format: string; runtime?: string; protocol?: "v1" | "v2"; formatVersions?: string[]; protocols?: ("v1" | "v2")[] }> = {
    // KServe's own servers, as KServe's docs use them; each speaks v1 and v2.
    sklearn: { format: "sklearn", runtime: "kserve-sklearnserver", formatVersions: ["1"], protocols: ["v1", "v2"] },
    xgboost: { format: "xgboost", runtime: "kserve-xgbserver", formatVersions: ["2"], protocols: ["v1", "v2"] },
    lightgbm: { format: "lightgbm", runtime: "kserve-lgbserver", formatVersions: ["4"], protocols: ["v1", "v2"] },
    pytorch: { format: "pytorch" },
    tensorflow: { format: "tensorflow" },
    // ONNX is served by Triton, which speaks only the v2 (Open Inference) protocol.
    onnx: { format: "onnx", runtime: "kserve-tritonserver", protocol: "v2", formatVersions: ["1"], protocols: ["v2"] },
    triton: { format: "triton", runtime: "kserve-tritonserver", protocol: "v2", formatVersions: ["2"], protocols: ["v2"] },
    mlflow: { format: "mlflow", runtime: "kserve-mlserver", protocol: "v2", formatVersions: ["1", "2"], protocols: ["v2"] },
    huggingface: { format: "huggingface", runtime: "kserve-huggingfaceserver", formatVersions: ["1"], protocols: ["v1", "v2"] },
};

/**
 * Storage URI schemes a model version may use. KServe v0.20 reads them as follows: `s3://`, `gs://`, `hf://` and
 * `https://` are downloaded by the storage initializer (kserve/kserve@v0.20.0:python/storage/kserve_storage/
 * kserve_storage.py; the chart's ClusterStorageContainer `default` lists these prefixes), `pvc://` is mounted
 * (pkg/webhook/admission/pod/storage_initializer_injector.go) and `oci://` runs the image as a modelcar sidecar
 * (same file, InjectModelcar), which the kserve-resources chart enables by default (values.yaml:
 * `kserve.storage.enableModelcar: true`, rendered into inferenceservice-config `storageInitializer`).
 */
export const storageSchemes = ["s3://", "gs://", "https://", "pvc://", "hf://", "oci://"] as const;

const dns1123Label = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit")
    .max(63, "must be at most 63 characters");

/** InferenceService names become hostnames with suffixes (`-predictor-00001-private`), so KServe caps them. */
const modelName = z
    .string()
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter")
    .max(45, "must be at most 45 characters (KServe appends suffixes to build hostnames)");

/** S3/GCS bucket naming rules (the strictest common subset). */
export const bucketName = z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be 3-63 characters of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit")
    .refine((s) => !s.includes(".."), "must not contain '..'")
    .refine((s) => !/^\d+\.\d+\.\d+\.\d+$/.test(s), "must not look like an IP address");

const quantity = z
    .string()
    .regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, "must be a Kubernetes quantity such as 500m, 2, 512Mi or 10Gi");

const duration = z.string().regex(/^[0-9]+(ms|s|m|h)$/, "must be a duration such as 30s, 5m or 1h");

const replicas = z.number().int("must be a whole number").min(0, "must be 0 or more");

// ---------------------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------------------

const nodeCount = z
    .object({
        min: replicas.default(1),
        max: z.number().int().min(1, "must be at least 1").default(3),
        desired: replicas.default(2),
    })
    .strict()
    .refine((c) => c.min <= c.desired && c.desired <= c.max, "must satisfy min <= desired <= max");

const gpuPool = z
    .object({
        /** Cloud machine type of the GPU nodes (e.g. g5.xlarge, g2-standard-8, Standard_NC6s_v3). */
        instanceType: z.string().min(1),
        /** GKE only, and required there: accelerator type attached to each node (e.g. nvidia-l4). */
        acceleratorType: z.string().optional(),
        /** GPUs per node. */
        acceleratorCount: z.number().int().min(1, "must be at least 1").default(1),
        count: nodeCount.default({ min: 0, max: 2, desired: 0 }),
    })
    .strict();

/** A GKE GPU pool names its accelerator: GKE installs the NVIDIA driver (and runs its device plugin) only for a declared one. */
const gkeGpuPool = gpuPool.refine((g) => !!g.acceleratorType, {
    message: "is required on GKE (e.g. nvidia-l4): GKE installs the NVIDIA driver and device plugin only for a declared accelerator",
    path: ["acceleratorType"],
});

const authorizedNetworks = z.array(
    z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 203.0.113.0/24"),
);

export const clusterSchema = z.discriminatedUnion("provider", [
    z
        .object({
            provider: z.literal("existing"),
            /** kubeconfig context to use; the current context when unset. */
            context: z.string().optional(),
            /** Path to a kubeconfig file; $KUBECONFIG or ~/.kube/config when unset. */
            kubeconfigPath: z.string().optional(),
        })
        .strict(),
    z
        .object({
            provider: z.literal("eks"),
            region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1"),
            /** 1.30 or later: from 1.30 EKS no longer marks its gp2 class default, so the gp3 class installed here is the only one. */
            kubernetesVersion: z
                .string()
                .regex(/^1\.\d+$/, "must be a minor version such as 1.34")
                .refine((v) => !/^1\.\d+$/.test(v) || Number(v.split(".")[1]) >= 30, "must be 1.30 or later (older EKS versions mark their gp2 StorageClass default too)")
                .default("1.34"),
            vpcCidr: z.string().default("10.0.0.0/16"),
            instanceType: z.string().default("m6i.xlarge"),
            nodeCount: nodeCount.default({ min: 2, max: 6, desired: 3 }),
            gpu: gpuPool.optional(),
            /** Public API endpoint; when true, authorizedNetworks must list who may reach it. */
            publicEndpoint: z.boolean().default(false),
            authorizedNetworks: authorizedNetworks.default([]),
        })
        .strict(),
    z
        .object({
            provider: z.literal("gke"),
            project: z.string().min(1),
            region: z.string().regex(/^[a-z]+-[a-z]+\d$/, "must be a GCP region such as europe-west4"),
            releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).default("REGULAR"),
            machineType: z.string().default("e2-standard-4"),
            nodeCount: nodeCount.default({ min: 1, max: 5, desired: 2 }),
            gpu: gkeGpuPool.optional(),
            /** CIDRs allowed to reach the control plane (master authorized networks). */
            authorizedNetworks: authorizedNetworks.default([]),
            /** Private control-plane endpoint only (reach it through a bastion or VPN). */
            privateEndpoint: z.boolean().default(false),
        })
        .strict(),
    z
        .object({
            provider: z.literal("aks"),
            location: z.string().min(1),
            kubernetesVersion: z.string().regex(/^1\.\d+$/, "must be a minor version such as 1.34").default("1.34"),
            vmSize: z.string().default("Standard_D4s_v5"),
            nodeCount: nodeCount.default({ min: 2, max: 6, desired: 3 }),
            gpu: gpuPool.optional(),
            /** Entra ID group object IDs granted cluster-admin through Azure RBAC. */
            adminGroupObjectIds: z.array(z.string().uuid("must be an Entra ID object ID (a UUID)")).default([]),
            /** CIDRs allowed to reach the API server (when it is not private). */
            authorizedNetworks: authorizedNetworks.default([]),
            /** Private API server only (reach it from the VNet, a peered network or a jump host). */
            privateCluster: z.boolean().default(false),
            /** Resource group to create everything in; `<stack>-inferstack` when unset. */
            resourceGroupName: z.string().regex(/^[-\w._()]{1,90}$/, "must be an Azure resource group name").optional(),
        })
        .strict(),
]);
export type ClusterConfig = z.infer<typeof clusterSchema>;

// ---------------------------------------------------------------------------------------------------------
// Object store
// ---------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------
// Models (KServe InferenceServices)
// ---------------------------------------------------------------------------------------------------------

/** Azure Blob/File URLs, which KServe's storage initializer reads with the Azure SDK (kserve_storage.py, _AZURE_*_RE). */
export const azureStorageUrl = /^https:\/\/[^/.]+\.(blob\.core\.windows\.net|z[0-9]{1,2}\.blob\.storage\.azure\.net|file\.core\.windows\.net|z[0-9]{1,2}\.file\.storage\.azure\.net)\/.+/;

/** Each scheme's form, as KServe v0.20 parses it (see storageSchemes); a URI it cannot parse fails only in the pod. */
const storageUriForms: { scheme: (typeof storageSchemes)[number]; form: RegExp; expected: string }[] = [
    { scheme: "s3://", form: /^s3:\/\/[a-z0-9][a-z0-9.-]*(\/.*)?$/, expected: "s3://<bucket>/<path>" },
    { scheme: "gs://", form: /^gs:\/\/[a-z0-9][a-z0-9._-]*(\/.*)?$/, expected: "gs://<bucket>/<path>" },
    // _download_hf: exactly `owner/model`, an optional `:revision`, nothing else.
    { scheme: "hf://", form: /^hf:\/\/[^/:\s]+\/[^/:\s]+(:[^/:\s]+)?$/, expected: "hf://<owner>/<model>[:<revision>]" },
    // Azure Blob/File by their SDK; any other URL by plain GET of one file (_download_from_uri: the path must name it).
    { scheme: "https://", form: /^https:\/\/[^/\s]+\/\S*[^/\s]$/, expected: "https://<host>/<path to a file> (an archive or an octet-stream), or an Azure Blob URL" },
    // pvc://<claim>/<path>: the claim is mounted read-only at /mnt/pvc (storage_initializer_injector.go).
    { scheme: "pvc://", form: /^pvc:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/.*)?$/, expected: "pvc://<claim>/<path>" },
    // A modelcar image reference (oci+native:// and oci+fetch:// need ociModelMode, which the platform does not set).
    { scheme: "oci://", form: /^oci:\/\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?\/[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/, expected: "oci://<registry>/<repository>[:<tag>|@sha256:<digest>]" },
];

const storageUri = z.string().superRefine((u, ctx) => {
    const form = storageUriForms.find((f) => u.startsWith(f.scheme));
    if (!form) ctx.addIssue({ code: "custom", message: `must start with one of ${storageSchemes.join(", ")}` });
    else if (!form.form.test(u) && !(form.scheme === "https://" && azureStorageUrl.test(u))) ctx.addIssue({ code: "custom", message: `must be ${form.expected}` });
});

/**
 * Env names KServe's validating webhook refuses in any container of an InferenceService (predictor, its `model`
 * container, transformer, explainer): kserve/kserve@v0.20.0:pkg/validation/env_policy.go (DefaultBlockedEnvVars),
 * applied by pkg/apis/serving/v1beta1/inference_service_validation.go (validateBlockedEnvVars). Exact, case-sensitive.
 */
export const kserveBlockedEnvNames = ["PYTHONPATH"] as const;

/** Names that look like a credential (the policy pack's no-plaintext-credentials rule refuses them as literals too). */
const credentialEnvName = /(passw(or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)/i;
/** ...unless they name where a credential is, not the credential (`SECRET_NAME`, `TOKEN_PATH`). */
const credentialReferenceName = /_(NAME|NAMES|FILE|PATH|DIR|NAMESPACE|REF|MOUNT|ANNOTATION)$/i;

/** A Secret or ConfigMap name (DNS-1123 subdomain) and a key in it (Kubernetes: `[-._a-zA-Z0-9]+`). */
const objectName = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS-1123 subdomain (a Secret or ConfigMap name)")
    .max(253, "must be at most 253 characters");
const keySelector = z
    .object({ name: objectName, key: z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret/ConfigMap key: letters, digits, '-', '_' and '.'").max(253), optional: z.boolean().optional() })
    .strict();

/**
 * One env var, in Kubernetes' own shape: `{name, value}` or `{name, valueFrom: {secretKeyRef | configMapKeyRef}}`
 * (core/v1 EnvVar). A credential is only ever a reference: a literal value under a credential-looking name is refused.
 */
const envVar = z
    .object({
        name: z
            .string()
            .min(1)
            .refine((n) => !(kserveBlockedEnvNames as readonly string[]).includes(n), {
                message: `is refused by KServe's admission webhook (blocked env names: ${kserveBlockedEnvNames.join(", ")})`,
            }),
        value: z.string().optional(),
        valueFrom: z
            .object({ secretKeyRef: keySelector.optional(), configMapKeyRef: keySelector.optional() })
            .strict()
            .refine((v) => Number(!!v.secretKeyRef) + Number(!!v.configMapKeyRef) === 1, "must set exactly one of secretKeyRef, configMapKeyRef (Kubernetes allows one source per env var)")
            .optional(),
    })
    .strict()
    .superRefine((e, ctx) => {
        // core/v1 validation: `value` may not be set with `valueFrom`.
        if ((e.value === undefined) === (e.valueFrom === undefined)) ctx.addIssue({ code: "custom", message: "must set exactly one of value, valueFrom" });
        if (e.value && credentialEnvName.test(e.name) && !credentialReferenceName.test(e.name)) {
            ctx.addIssue({ code: "custom", path: ["value"], message: `looks like a credential (${e.name}): keep it in a Secret and use valueFrom.secretKeyRef; secret values never go in the stack config` });
        }
    });

/** Env vars from every key of a Secret or a ConfigMap (core/v1 EnvFromSource), with an optional name prefix. */
const envFromSource = z
    .object({
        prefix: z.string().optional(),
        secretRef: z.object({ name: objectName, optional: z.boolean().optional() }).strict().optional(),
        configMapRef: z.object({ name: objectName, optional: z.boolean().optional() }).strict().optional(),
    })
    .strict()
    .refine((e) => Number(!!e.secretRef) + Number(!!e.configMapRef) === 1, "must set exactly one of secretRef, configMapRef");

/**
 * Knative's reserved ports (knative/serving@knative-v1.23.0:pkg/apis/serving/k8s_validation.go, reservedPorts:
 * the queue-proxy's 8012, 8013, 8022, 9090, 9091 (pkg/networking/constants.go) and the profiling port 8008).
 */
export const knativeReservedPorts = [8008, 8012, 8013, 8022, 9090, 9091] as const;

/**
 * The serving port of a container (core/v1 ContainerPort, as Knative allows it): Knative routes to exactly one
 * port per revision, named `h2c` (HTTP/2, gRPC) or `http1` (or unnamed), protocol TCP, not one of its reserved ports
 * (knative/serving@knative-v1.23.0:pkg/apis/serving/k8s_validation.go, validateContainersPorts / validateContainerPorts;
 * only containerPort, name and protocol are allowed, pkg/apis/serving/fieldmask.go ContainerPortMask).
 */
const containerPorts = z
    .array(
        z
            .object({
                name: z.enum(["h2c", "http1"]).optional(),
                containerPort: z
                    .number()
                    .int("must be a whole number")
                    .min(1, "must be from 1 to 65535")
                    .max(65535, "must be from 1 to 65535")
                    .refine((p) => !(knativeReservedPorts as readonly number[]).includes(p), { message: `is reserved by Knative (${knativeReservedPorts.join(", ")})` }),
                protocol: z.literal("TCP").optional(),
            })
            .strict(),
    )
    .max(1, "must list at most one port: Knative routes to a single port per revision ('more than one container port is set')");

/** A Kubernetes quantity as a number (cores or bytes), to compare a request with its limit. */
function quantityValue(q: string): number {
    const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/.exec(q);
    if (!m) return NaN;
    const unit: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
    return Number(m[1]) * unit[m[2] ?? ""];
}

/**
 * Container resources. Only the keys given are rendered: for a runtime model (`predictor.model`) KServe merges
 * them key by key over the ServingRuntime container's own (kserve/kserve@v0.20.0:
 * pkg/controller/v1beta1/inferenceservice/utils/utils.go, MergeRuntimeContainers, a strategic merge), so an unset
 * key keeps the runtime's value (KServe's runtimes: 1 CPU / 2Gi, requests = limits). For a custom container
 * (predictor, transformer, explainer) KServe's defaulting webhook fills unset keys from the `resource` defaults of
 * its inferenceservice-config (pkg/apis/serving/v1beta1/inference_service_defaults.go; chart: 200m/512Mi, 1/2Gi).
 */
const resources = z
    .object({
        cpu: quantity.optional(),
        memory: quantity.optional(),
        cpuLimit: quantity.optional(),
        memoryLimit: quantity.optional(),
        /** NVIDIA GPUs (requests = limits, as Kubernetes requires for extended resources). */
        gpu: z.number().int("must be a whole number").min(0, "must be 0 or more").default(0),
    })
    .strict()
    .superRefine((r, ctx) => {
        // Kubernetes refuses a pod whose request is above its limit (k8s core validation of ResourceRequirements).
        for (const [req, lim] of [["cpu", "cpuLimit"], ["memory", "memoryLimit"]] as const) {
            const a = r[req];
            const b = r[lim];
            if (a && b && quantityValue(a) > quantityValue(b)) ctx.addIssue({ code: "custom", path: [req], message: `must be at most ${lim} (${b}): Kubernetes refuses a request above its limit` });
        }
    });

/** Knative's autoscaler classes, by the scale metrics each accepts. */
const kpaMetrics = ["concurrency", "rps"] as const;
const hpaMetrics = ["cpu", "memory"] as const;
const isHpaMetric = (m: string | undefined) => (hpaMetrics as readonly string[]).includes(m ?? "");

/**
 * Knative's `max-revision-timeout-seconds` (config-defaults). Knative refuses a revision whose timeoutSeconds is
 * above it (knative/serving@knative-v1.23.0:pkg/apis/serving/v1/revision_validation.go, validateTimeoutSeconds);
 * unset, it is 600 (pkg/apis/config/defaults.go, DefaultMaxRevisionTimeoutSeconds), and the platform does not
 * raise it. KServe copies `timeout` into the Knative Service's timeoutSeconds (kserve/kserve@v0.20.0:
 * pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go).
 */
export const maxRevisionTimeoutSeconds = 600;

type Scaling = { minReplicas?: number; scaleMetric?: string; scaleTarget?: number };

const scaling = z
    .object({
        /** 0 enables scale to zero; KServe's own default is 1. */
        minReplicas: replicas.optional(),
        maxReplicas: z.number().int().min(1, "must be at least 1").default(3),
        /**
         * concurrency or rps: Knative's KPA (KServe's default: concurrency); cpu or memory: Kubernetes' HPA, for
         * which inferstack annotates the InferenceService with Knative's HPA class (see hpaClassAnnotation).
         */
        scaleMetric: z.enum([...kpaMetrics, ...hpaMetrics]).optional(),
        scaleTarget: z.number().int().min(1, "must be at least 1").optional(),
        /** Hard limit of requests in flight per replica; 0 means unlimited. */
        containerConcurrency: replicas.optional(),
        /** Request timeout in seconds. */
        timeout: z
            .number()
            .int()
            .min(1)
            .max(maxRevisionTimeoutSeconds, `must be at most ${maxRevisionTimeoutSeconds}: Knative refuses a revision timeout above its max-revision-timeout-seconds (600, Knative's default)`)
            .optional(),
    })
    .strict()
    .superRefine((s, ctx) => {
        if (!isHpaMetric(s.scaleMetric)) return;
        // KServe's webhook, under Knative's HPA class: kserve/kserve@v0.20.0:pkg/apis/serving/v1beta1/
        // inference_service_validation.go (validateScalingHPACompExtension) refuses any scaleTarget above 100 (for
        // cpu a utilization percentage; its check applies the bound to memory as well).
        if (s.scaleTarget !== undefined && s.scaleTarget > 100) {
            ctx.addIssue({ code: "custom", path: ["scaleTarget"], message: `must be at most 100 with scaleMetric ${s.scaleMetric}: KServe's webhook refuses a larger HPA target` });
        }
        // Knative's HPA class never scales to zero: a min-scale of 0 leaves the HPA's minReplicas unset, i.e. 1
        // (knative/serving@knative-v1.23.0:pkg/reconciler/autoscaling/hpa/resources/hpa.go, MakeHPA).
        if (s.minReplicas === 0) {
            ctx.addIssue({ code: "custom", path: ["minReplicas"], message: `must be at least 1 with scaleMetric ${s.scaleMetric}: the HPA autoscaler never scales to zero (use concurrency or rps for scale to zero)` });
        }
    });

/**
 * The numeric user a custom container runs as when the model does not say: KServe's own runtimes that set one use
 * 1000 (kserve-tensorflow-serving, kserve-torchserve, kserve-tritonserver in the runtimes chart's ClusterServingRuntimes),
 * and KServe's Python server images are built with `USER 1000`. The kubelet refuses `runAsNonRoot` with an
 * image whose USER is a name unless a numeric runAsUser is given.
 */
export const defaultRunAsUser = 1000;

/** The user and group a custom container runs as (Kubernetes: runAsUser/runAsGroup, 0..2147483647). */
const runAsUser = z.number().int("must be a whole number").min(1, "must be at least 1 (containers run as non-root)").max(2147483647);
const runAsGroup = z.number().int("must be a whole number").min(0, "must be 0 or more").max(2147483647);

/** Whether a runtime's args name a Hugging Face model id (`--model_id=<id>` or `--model_id <id>`). */
export function hasModelId(args: readonly string[]): boolean {
    return args.some((a, i) => /^--model_id=\S+$/.test(a) || (a === "--model_id" && !!args[i + 1] && !args[i + 1].startsWith("--")));
}

/** A model version: where its artifact lives and how its container differs. */
const modelVersion = z
    .object({
        storageUri: storageUri.optional(),
        /** Runtime image tag override (`runtimeVersion`) or, for `custom`, the full image reference. */
        runtimeVersion: z.string().optional(),
        image: z.string().optional(),
        /** custom only: the numeric user of the image (default 1000, KServe's convention), and its group. */
        runAsUser: runAsUser.optional(),
        runAsGroup: runAsGroup.optional(),
        args: z.array(z.string()).default([]),
        env: z.array(envVar).default([]),
        envFrom: z.array(envFromSource).default([]),
        /** The serving port (e.g. `{name: h2c, containerPort: 8081}` for gRPC); the runtime's (8080, HTTP) when unset. */
        ports: containerPorts.optional(),
    })
    .strict();

/** A pre/post-processing container or a custom explainer. */
const sidecarComponent = z
    .object({
        image: z.string().min(1),
        /** The numeric user of the image (default 1000, KServe's convention), and its group. */
        runAsUser: runAsUser.optional(),
        runAsGroup: runAsGroup.optional(),
        args: z.array(z.string()).default([]),
        env: z.array(envVar).default([]),
        envFrom: z.array(envFromSource).default([]),
        /** The serving port (e.g. `{name: h2c, containerPort: 8081}` for gRPC); 8080 (HTTP) when unset. */
        ports: containerPorts.optional(),
        /** Unset keys: KServe's defaults for custom containers (its inferenceservice-config `resource`). */
        resources: resources.default({ gpu: 0 }),
        scaling: scaling.default({ maxReplicas: 3 }),
    })
    .strict();

const monitorSettings = z
    .object({
        enabled: z.boolean().default(true),
        task: z.enum(["classification", "regression"]).default("classification"),
        features: z.array(z.object({ name: z.string().min(1), type: z.enum(["numeric", "categorical"]).default("numeric") }).strict()).min(1, "must list at least one feature"),
        /** Reference sample: `s3://<bucket>/<key>` in the object store, or inline rows. */
        reference: z.union([z.object({ uri: z.string().startsWith("s3://", "must be an s3:// URI") }).strict(), z.object({ inline: z.array(z.array(z.number())).min(2) }).strict()]),
        driftPValue: z.number().gt(0).lt(1).default(0.05),
        windowSize: z.number().int().min(10).default(1000),
        outlierQuantile: z.number().gt(0.5).lt(1).default(0.99),
        /** Alert thresholds. */
        alerts: z
            .object({
                outlierRate: z.number().gt(0).lt(1).default(0.05),
                minAccuracy: z.number().gt(0).lt(1).default(0.8),
                maxP95LatencySeconds: z.number().gt(0).default(1),
            })
            .strict()
            .default({ outlierRate: 0.05, minAccuracy: 0.8, maxP95LatencySeconds: 1 }),
    })
    .strict()
    .superRefine((m, ctx) => {
        // The monitor's split-conformal threshold flags clean traffic at a rate of at most 1 - outlierQuantile, and
        // needs q / (1 - q) calibration rows (every other reference row) for that guarantee.
        const q = m.outlierQuantile;
        const need = outlierMinimumRows(q);
        if ("inline" in m.reference && m.reference.inline.length < need) {
            ctx.addIssue({ code: "custom", path: ["reference", "inline"], message: `has ${m.reference.inline.length} rows, too few for outlierQuantile ${q}: at least ${need} are needed (or lower outlierQuantile)` });
        }
        if (m.alerts.outlierRate <= 1 - q) {
            ctx.addIssue({ code: "custom", path: ["alerts", "outlierRate"], message: `must be above 1 - outlierQuantile (${+(1 - q).toFixed(6)}): clean traffic is flagged at up to that rate, so the alert would fire on it` });
        }
    });

export const modelSchema = z
    .object({
        name: modelName,
        framework: z.enum(frameworks),
        /** Model format version (e.g. "1" for sklearn 1.x), passed to KServe's runtime selection. */
        formatVersion: z.string().optional(),
        /** Explicit ServingRuntime name; KServe picks one by model format when unset. */
        runtime: z.string().optional(),
        protocolVersion: z.enum(["v1", "v2"]).optional(),
        /** The version receiving all traffic, or the previous one while a canary runs. */
        stable: modelVersion,
        /**
         * A new version receiving `trafficPercent` of traffic; 100 promotes it, 0 rolls back. Add it only once
         * `stable` has rolled out: KServe splits traffic between the latest and the previously rolled-out revision,
         * so on a brand-new model there is no stable revision and the canary serves everything.
         */
        canary: modelVersion.extend({ trafficPercent: z.number().int("must be a whole number").min(0, "must be from 0 to 100").max(100, "must be from 0 to 100") }).strict().optional(),
        /** Unset keys are not rendered: the ServingRuntime's own (or, for custom, KServe's defaults) apply. */
        resources: resources.default({ gpu: 0 }),
        scaling: scaling.default({ maxReplicas: 3 }),
        /** Never scale this model to zero (prod enforces minReplicas >= 1 for it). */
        latencyCritical: z.boolean().default(false),
        nodeSelector: z.record(z.string(), z.string()).default({}),
        tolerations: z
            .array(
                z
                    .object({
                        key: z.string(),
                        operator: z.enum(["Equal", "Exists"]).default("Equal"),
                        value: z.string().optional(),
                        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
                    })
                    .strict(),
            )
            .default([]),
        transformer: sidecarComponent.optional(),
        explainer: sidecarComponent.optional(),
        /** Request/response logging to the Broker: on by default so the monitors see traffic. */
        logging: z.enum(["all", "request", "response", "off"]).default("all"),
        monitoring: monitorSettings.optional(),
    })
    .strict()
    .superRefine((m, ctx) => {
        const isCustom = m.framework === "custom";
        for (const key of ["stable", "canary"] as const) {
            const v = m[key];
            if (!v) continue;
            if (isCustom && !v.image) ctx.addIssue({ code: "custom", path: [key, "image"], message: "is required when framework is custom (the model server image)" });
            // The huggingface runtime downloads a model itself given `--model_id` (KServe's huggingfaceserver; KServe's
            // docs deploy LLMs that way, without storageUri).
            if (!isCustom && !v.storageUri && !(m.framework === "huggingface" && hasModelId(v.args))) {
                ctx.addIssue({ code: "custom", path: [key, "storageUri"], message: m.framework === "huggingface" ? "is required for framework huggingface unless args name the model with --model_id" : `is required for framework ${m.framework}` });
            }
            if (!isCustom && v.image) ctx.addIssue({ code: "custom", path: [key, "image"], message: "is only allowed when framework is custom; use runtimeVersion to change a runtime's image tag" });
        }
        if (m.canary && JSON.stringify({ ...m.canary, trafficPercent: undefined }) === JSON.stringify(m.stable)) {
            ctx.addIssue({ code: "custom", path: ["canary"], message: "is identical to stable; change storageUri, image or runtimeVersion, or remove the canary" });
        }
        for (const key of ["stable", "canary"] as const) {
            const v = m[key];
            if (!isCustom && v && (v.runAsUser !== undefined || v.runAsGroup !== undefined)) {
                ctx.addIssue({ code: "custom", path: [key, v.runAsUser !== undefined ? "runAsUser" : "runAsGroup"], message: "is only allowed when framework is custom (a runtime's container runs as its ServingRuntime says)" });
            }
        }
        // gRPC through the logger: KServe injects its agent in front of a logged predictor (pkg/webhook/admission/pod/
        // agent_injector.go, queue-proxy then sends to the agent's port), and the agent proxies HTTP/1 only
        // (cmd/agent/main.go has no h2c server; kserve/kserve#2251 "logger is not working with grpc request").
        for (const key of ["stable", "canary"] as const) {
            if (m[key]?.ports?.[0]?.name === "h2c" && m.logging !== "off") {
                ctx.addIssue({ code: "custom", path: [key, "ports", 0, "name"], message: "h2c (gRPC) needs logging: off: KServe's logger agent, injected in front of a logged predictor, proxies HTTP/1 only" });
            }
        }
        // The runtime inferstack names must support the model's format version and protocol (see frameworkRuntime).
        if (m.framework !== "custom" && !m.runtime) {
            const fw = frameworkRuntime[m.framework];
            if (fw.runtime && fw.formatVersions && m.formatVersion !== undefined && !fw.formatVersions.includes(m.formatVersion)) {
                ctx.addIssue({ code: "custom", path: ["formatVersion"], message: `is not served by ${fw.runtime}, which inferstack picks for ${m.framework} (it supports ${m.framework} ${fw.formatVersions.join(", ")}); name a runtime that does (e.g. kserve-mlserver with protocolVersion v2)` });
            }
            if (fw.runtime && fw.protocols && m.protocolVersion && !fw.protocols.includes(m.protocolVersion)) {
                ctx.addIssue({ code: "custom", path: ["protocolVersion"], message: `is not spoken by ${fw.runtime}, which inferstack picks for ${m.framework} (it speaks ${fw.protocols.join(", ")})` });
            }
        }
        // One autoscaler class per InferenceService: KServe validates every component against the InferenceService's
        // Knative class annotation (kserve/kserve@v0.20.0:pkg/apis/serving/v1beta1/inference_service_validation.go,
        // validateAutoScalingCompExtension: the HPA class allows cpu/memory, any other class only concurrency/rps),
        // and inferstack sets the HPA class when any component scales on cpu or memory.
        const components: { path: string[]; s: Scaling }[] = [{ path: ["scaling"], s: m.scaling }];
        if (m.transformer) components.push({ path: ["transformer", "scaling"], s: m.transformer.scaling });
        if (m.explainer) components.push({ path: ["explainer", "scaling"], s: m.explainer.scaling });
        const hpa = components.find((c) => isHpaMetric(c.s.scaleMetric));
        if (hpa) {
            const why = `${hpa.path.join(".")}.scaleMetric is ${hpa.s.scaleMetric ?? ""}: an InferenceService has one autoscaler class`;
            for (const c of components) {
                if (c.s.scaleMetric !== undefined && !isHpaMetric(c.s.scaleMetric)) {
                    ctx.addIssue({ code: "custom", path: [...c.path, "scaleMetric"], message: `must be cpu or memory (or unset) because ${why}, and KServe refuses ${c.s.scaleMetric} under the HPA class` });
                }
                // An unset metric is cpu under the HPA class (KServe's default), with cpu's limits (see `scaling`).
                if (c.s.scaleMetric === undefined && c.s.scaleTarget !== undefined && c.s.scaleTarget > 100) {
                    ctx.addIssue({ code: "custom", path: [...c.path, "scaleTarget"], message: `must be at most 100 because ${why} (the HPA class scales this component on cpu, and KServe refuses a larger target)` });
                }
                if (c.s.scaleMetric === undefined && c.s.minReplicas === 0) {
                    ctx.addIssue({ code: "custom", path: [...c.path, "minReplicas"], message: `must be at least 1 because ${why}, and the HPA autoscaler never scales to zero` });
                }
            }
        }
        if (m.scaling.minReplicas !== undefined && m.scaling.minReplicas > m.scaling.maxReplicas) {
            ctx.addIssue({ code: "custom", path: ["scaling", "minReplicas"], message: `must be at most scaling.maxReplicas (${m.scaling.maxReplicas})` });
        }
        if (m.latencyCritical && m.scaling.minReplicas === 0) {
            ctx.addIssue({ code: "custom", path: ["scaling", "minReplicas"], message: "must be at least 1 for a latencyCritical model (it may not scale to zero)" });
        }
    });
export type ModelConfig = z.infer<typeof modelSchema>;

// ---------------------------------------------------------------------------------------------------------
// The platform
// ---------------------------------------------------------------------------------------------------------

export const platformSchema = z
    .object({
        environment: z.enum(environments).default("dev"),
        cluster: clusterSchema.default({ provider: "existing" }),
        /** DNS domain for model URLs (`<model>.<namespace>.<domain>`). */
        domain: z
            .string()
            .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$|^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]+$/, "must be a DNS domain such as 127.0.0.1.sslip.io or models.example.com")
            .default("127.0.0.1.sslip.io"),
        /** Namespace of the InferenceServices, the Broker and the monitors. */
        modelNamespace: dns1123Label.default("inferstack-models"),
        serving: z
            .object({
                scaleToZero: z.boolean().default(true),
                stableWindow: duration.default("60s"),
                scaleToZeroGracePeriod: duration.default("30s"),
                scaleDownDelay: duration.default("0s"),
                containerConcurrencyTarget: z.number().int().min(1).default(100),
                /** Replicas of the Knative and KServe control planes (2+ for HA). */
                controlPlaneReplicas: z.number().int().min(1, "must be at least 1").default(1),
            })
            .strict()
            .default({ scaleToZero: true, stableWindow: "60s", scaleToZeroGracePeriod: "30s", scaleDownDelay: "0s", containerConcurrencyTarget: 100, controlPlaneReplicas: 1 }),
        eventing: z
            .object({
                brokerName: dns1123Label.default("default"),
                brokerClass: z.enum(["MTChannelBasedBroker", "Kafka"]).default("MTChannelBasedBroker"),
                /** Kafka bootstrap servers, required with brokerClass Kafka. */
                kafkaBootstrapServers: z.string().optional(),
                kafkaReplicationFactor: z.number().int().min(1).default(3),
                retry: z.number().int().min(0).max(20).default(3),
            })
            .strict()
            .refine((e) => e.brokerClass !== "Kafka" || !!e.kafkaBootstrapServers, { message: "kafkaBootstrapServers is required when brokerClass is Kafka", path: ["kafkaBootstrapServers"] })
            .default({ brokerName: "default", brokerClass: "MTChannelBasedBroker", kafkaReplicationFactor: 3, retry: 3 }),
        objectStore: objectStoreSchema.default({ provider: "minio", modelBucket: "models", extraBuckets: [], volumeSize: "10Gi", seed: [] }),
        monitoring: z
            .object({
                enabled: z.boolean().default(true),
                retention: duration.default("24h"),
                storageSize: quantity.optional(),
                prometheusReplicas: z.number().int().min(1).default(1),
                grafana: z.boolean().default(true),
                /**
                 * Image of the model monitor (services/monitor), built by `npm run monitor:image`; the pinned
                 * reference in components/versions.ts when unset. On kind, a `dev.local/...` name (loaded with
                 * `kind load docker-image`) skips Knative's tag resolution.
                 */
                monitorImage: z
                    .string()
                    .regex(/^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/, "must be an image reference such as registry.example.com/inferstack/monitor:0.1.0")
                    .refine((ref) => /@sha256:|:[^/]+$/.test(ref), "must name a tag or a digest (an untagged image means latest)")
                    .refine((ref) => !/:latest(@|$)/.test(ref), "must not be the latest tag: pin a version")
                    .optional(),
            })
            .strict()
            .default({ enabled: true, retention: "24h", prometheusReplicas: 1, grafana: true }),
        models: z.array(modelSchema).default([]),
    })
    .strict()
    .superRefine((p, ctx) => {
        // Cloud stores reach the cluster through workload identity, so they need their own cloud's cluster.
        const storeNeeds = { s3: "eks", gcs: "gke", azure: "aks" } as const;
        if (p.objectStore.provider !== "minio" && p.cluster.provider !== storeNeeds[p.objectStore.provider]) {
            ctx.addIssue({
                code: "custom",
                path: ["objectStore", "provider"],
                message: `${p.objectStore.provider} needs cluster.provider ${storeNeeds[p.objectStore.provider]} (it is read through that cloud's workload identity, with no stored keys); use minio on a ${p.cluster.provider} cluster`,
            });
        }
        // An API server reachable from the internet must at least be limited to known networks.
        const c = p.cluster;
        const openEndpoint =
            (c.provider === "eks" && c.publicEndpoint) || (c.provider === "gke" && !c.privateEndpoint) || (c.provider === "aks" && !c.privateCluster);
        if (openEndpoint && c.authorizedNetworks.length === 0) {
            const privateKey = { eks: "publicEndpoint: false", gke: "privateEndpoint: true", aks: "privateCluster: true" }[c.provider];
            ctx.addIssue({ code: "custom", path: ["cluster", "authorizedNetworks"], message: `must list the CIDRs allowed to reach the public API endpoint, or set cluster.${privateKey}` });
        }
        // Buckets the platform store creates (Minio) or owns: seeds and model URIs must land in one of them.
        const storeBuckets = new Set([p.objectStore.modelBucket, ...p.objectStore.extraBuckets]);
        // A bucket name that is itself wrong is reported once, not again for every seed and model it strands.
        const bucketsValid = [...storeBuckets].every((b) => bucketName.safeParse(b).success);
        if (p.objectStore.provider === "minio" && bucketsValid) {
            p.objectStore.seed.forEach((s, i) => {
                const bucket = s.target.split("/")[0];
                if (!storeBuckets.has(bucket)) {
                    ctx.addIssue({ code: "custom", path: ["objectStore", "seed", i, "target"], message: `is in bucket ${bucket}, which Minio never creates; use one of ${[...storeBuckets].join(", ")} or add it to objectStore.extraBuckets` });
                }
            });
        }
        const seen = new Set<string>();
        p.models.forEach((m, i) => {
            // With Minio, the models' S3 credentials reach only Minio, so an s3:// bucket it lacks cannot be read.
            if (p.objectStore.provider === "minio" && bucketsValid) {
                for (const key of ["stable", "canary"] as const) {
                    const uri = m[key]?.storageUri;
                    const bucket = uri?.startsWith("s3://") ? uri.slice("s3://".length).split("/")[0] : undefined;
                    if (bucket && !storeBuckets.has(bucket)) {
                        ctx.addIssue({ code: "custom", path: ["models", i, key, "storageUri"], message: `is in bucket ${bucket}, which the Minio store does not have; use one of ${[...storeBuckets].join(", ")} or add it to objectStore.extraBuckets` });
                    }
                }
            }
            const settings = m.monitoring;
            if (settings?.enabled && "inline" in settings.reference) {
                const width = settings.features.length;
                settings.reference.inline.forEach((row, r) => {
                    if (row.length !== width) {
                        ctx.addIssue({ code: "custom", path: ["models", i, "monitoring", "reference", "inline", r], message: `has ${row.length} values, but monitoring.features lists ${width} (one value per feature, in order)` });
                    }
                });
            }
            if (seen.has(m.name)) ctx.addIssue({ code: "custom", path: ["models", i, "name"], message: `duplicates another model named ${m.name}` });
            seen.add(m.name);
            if (p.environment === "prod" && m.latencyCritical && (m.scaling.minReplicas ?? 1) < 1) {
                ctx.addIssue({ code: "custom", path: ["models", i, "scaling", "minReplicas"], message: "must be at least 1 in prod for a latencyCritical model" });
            }
            if (m.monitoring?.enabled && !p.monitoring.enabled) {
                ctx.addIssue({ code: "custom", path: ["models", i, "monitoring", "enabled"], message: "needs monitoring.enabled: true (the monitors' alerts and dashboards live in Prometheus/Grafana)" });
            }
            const reference = m.monitoring?.reference;
            if (reference && "uri" in reference && p.objectStore.provider !== "minio") {
                ctx.addIssue({
                    code: "custom",
                    path: ["models", i, "monitoring", "reference", "uri"],
                    message: `the monitor reads a reference by URI with Minio's credentials only; with objectStore.provider ${p.objectStore.provider} give the reference inline`,
                });
            }
            if (m.monitoring?.enabled && m.logging === "off") {
                ctx.addIssue({ code: "custom", path: ["models", i, "logging"], message: "must not be off while the model is monitored (the monitor reads the logged requests)" });
            }
        });
    });

export type PlatformConfig = z.infer<typeof platformSchema>;
/** The top-level keys of the `inferstack:` namespace. */
export const configKeys = Object.keys(platformSchema.shape) as (keyof PlatformConfig)[];

/** Raised for any config value that does not fit; the message names the key, the value and what is allowed. */
export class ConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ConfigError";
    }
}

function keyPath(path: readonly PropertyKey[]): string {
    let out = "inferstack:";
    path.forEach((p, i) => {
        if (typeof p === "number") out += `[${p}]`;
        else out += i === 0 ? String(p) : `.${String(p)}`;
    });
    return out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let v: unknown = raw;
    for (const p of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<PropertyKey, unknown>)[p];
    }
    return v;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
    const key = keyPath(issue.path);
    const value = valueAt(raw, issue.path);
    const given = value === undefined ? "nothing" : JSON.stringify(value);
    switch (issue.code) {
        case "invalid_value":
            return `${key}: got ${given}; allowed values are ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "invalid_union": {
            // A discriminated union (cluster, objectStore) names its allowed discriminator values.
            const options = (issue as { options?: unknown[] }).options;
            if (options) return `${key}: got ${given}; allowed values are ${options.map((o) => JSON.stringify(o)).join(", ")}`;
            return `${key}: got ${given}; ${issue.message}`;
        }
        case "unrecognized_keys":
            return `${key}: unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; ${otherVariantHint(issue.path, issue.keys, raw) ?? "check the spelling against the README's config reference"}`;
        case "invalid_type":
            return value === undefined ? `${key}: got nothing; expected ${issue.expected}` : `${key}: got ${given}; ${issue.message}`;
        default:
            return `${key}: got ${given}; ${issue.message}`;
    }
}

/** Every key of each variant of a discriminated union (cluster, objectStore), by variant. */
function variantKeys(union: z.ZodDiscriminatedUnion): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const option of union.options as unknown as z.ZodObject[]) {
        const shape = option.shape as Record<string, unknown>;
        const provider = (shape["provider"] as z.ZodLiteral).value;
        out.set(String(provider), Object.keys(shape));
    }
    return out;
}

const unionsByKey: Record<string, Map<string, string[]>> = { cluster: variantKeys(clusterSchema), objectStore: variantKeys(objectStoreSchema) };

/** For keys a union variant rejects: the other variants they belong to, e.g. `"accountName" belongs to provider azure`. */
function otherVariantHint(path: readonly PropertyKey[], keys: string[], raw: unknown): string | undefined {
    const top = path[0];
    if (path.length !== 1 || typeof top !== "string" || !(top in unionsByKey)) return undefined;
    const variants = unionsByKey[top];
    const chosen = String((valueAt(raw, path) as { provider?: unknown } | undefined)?.provider);
    const hints = keys.flatMap((k) => {
        const owners = [...variants.entries()].filter(([v, ks]) => v !== chosen && ks.includes(k)).map(([v]) => v);
        return owners.length > 0 ? [`${JSON.stringify(k)} belongs to ${top}.provider ${owners.join(" or ")}`] : [];
    });
    return hints.length > 0 ? `${hints.join("; ")}, not ${chosen}: remove it, or switch the provider` : undefined;
}

/** Project namespaces whose keys a stack may set besides `inferstack:`: the providers' and Pulumi's own. */
export const foreignConfigNamespaces = ["aws", "gcp", "azure-native", "kubernetes", "pulumi"] as const;

/**
 * Config keys in a namespace nothing reads (e.g. a misspelt `inferstak:domain`), as one message, or undefined.
 * `keys` are the stack's full config keys (`<namespace>:<key>`).
 */
export function unknownNamespaceProblem(keys: string[], project = "inferstack"): string | undefined {
    const allowed = new Set<string>([project, ...foreignConfigNamespaces]);
    const stray = keys.filter((k) => !allowed.has(k.includes(":") ? k.slice(0, k.indexOf(":")) : project));
    if (stray.length === 0) return undefined;
    return `${stray.join(", ")}: unknown config namespace; inferstack reads ${project}: keys (and passes ${foreignConfigNamespaces.map((n) => `${n}:`).join(", ")} to their providers)`;
}

/**
 * Parses the raw `inferstack:` config (a map of top-level key to value, objects already decoded from JSON).
 * Throws a ConfigError listing every problem, one per line: unknown keys and every value that does not fit.
 */
export function parsePlatformConfig(raw: Record<string, unknown>): PlatformConfig {
    const unknownKeys = Object.keys(raw).filter((k) => !(configKeys as string[]).includes(k));
    const lines: string[] = [];
    if (unknownKeys.length > 0) {
        lines.push(`  - unknown config key(s) ${unknownKeys.map((k) => `inferstack:${k}`).join(", ")}; allowed keys are ${configKeys.map((k) => `inferstack:${k}`).join(", ")}`);
    }
    const known = Object.fromEntries(Object.entries(raw).filter(([k]) => !unknownKeys.includes(k)));
    const result = platformSchema.safeParse(known);
    if (!result.success) lines.push(...result.error.issues.map((i) => `  - ${describeIssue(i, raw)}`));
    if (lines.length > 0 || !result.success) throw new ConfigError(`invalid stack configuration:\n${lines.join("\n")}`);
    return result.data;
}

/**
 * Things that parse but are probably wrong, for the stack entry to log as warnings: a monitored model with the
 * unpublished default monitor image; a cloud store's model URI in a bucket the platform did not create (its
 * identity may not read it).
 */
export function configWarnings(c: PlatformConfig): string[] {
    const out: string[] = [];
    if (c.monitoring.enabled && !c.monitoring.monitorImage && c.models.some((m) => m.monitoring?.enabled)) {
        out.push(
            "inferstack:monitoring.monitorImage is unset: the monitor runs the pinned default image, which inferstack does not publish. " +
                "Build it first (npm run monitor:image; on kind with --tag dev.local/... --kind <cluster>) and set the key, or the first up waits 15 minutes for the monitor and fails",
        );
    }
    if (c.objectStore.provider === "minio") return out;
    const scheme = { s3: "s3://", gcs: "gs://", azure: "https://" }[c.objectStore.provider];
    const buckets = [c.objectStore.modelBucket, ...c.objectStore.extraBuckets];
    c.models.forEach((m, i) => {
        for (const key of ["stable", "canary"] as const) {
            const uri = m[key]?.storageUri;
            if (!uri?.startsWith(scheme) || (c.objectStore.provider === "azure" && !azureStorageUrl.test(uri))) continue;
            const inStore = c.objectStore.provider === "azure" ? buckets.some((b) => uri.includes(`.blob.core.windows.net/${b}/`)) : buckets.includes(uri.slice(scheme.length).split("/")[0]);
            if (!inStore) out.push(`inferstack:models[${i}].${key}.storageUri ${uri} is outside the platform's buckets (${buckets.join(", ")}); the models' identity is granted only those`);
        }
    });
    return out;
}

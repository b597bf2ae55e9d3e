/**
 * A model entry of the `inferstack:models` config key: a KServe InferenceService, written with KServe's own field
 * names, and the admission rules of KServe v0.20 and Knative 1.23 that a config could break.
 */
import { z } from "zod";
import { monitorSettingsSchema } from "../monitoring/monitoringSchema";
import { adversarialSettingsSchema, checkAdversarialSettings } from "../monitoring/adversarialSchema";
import { checkKernelShapExplainer, explainerField, isKernelShap } from "./explainerSchema";
import { rolloutSchema } from "./rolloutSchema";
import { dns1123Subdomain, goDurationSeconds, quantity, quantityValue, replicas } from "../schemaPrimitives";
import { azureStorageUrl } from "../storage/objectStoreSchema";
import { gpuTaint, tolerates } from "../cluster/gpuTaint";

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
    "pmml",
    "paddle",
    "autogluon",
    "tensorrt",
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
    // The other formats the v0.20 runtimes chart serves, each by one auto-selected ClusterServingRuntime (the chart
    // enables every runtime: values.yaml `disabled: false`).
    pmml: { format: "pmml", runtime: "kserve-pmmlserver", formatVersions: ["3", "4"], protocols: ["v1", "v2"] },
    paddle: { format: "paddle", runtime: "kserve-paddleserver", formatVersions: ["2"], protocols: ["v1", "v2"] },
    autogluon: { format: "autogluon", runtime: "kserve-autogluonserver", formatVersions: ["1"], protocols: ["v1", "v2"] },
    // TensorRT plans are served by Triton only (v2).
    tensorrt: { format: "tensorrt", runtime: "kserve-tritonserver", protocol: "v2", formatVersions: ["8"], protocols: ["v2"] },
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

/** InferenceService names become hostnames with suffixes (`-predictor-00001-private`), so KServe caps them. */
const modelName = z
    .string()
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter")
    .max(45, "must be at most 45 characters (KServe appends suffixes to build hostnames)");




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

/**
 * Env names Knative sets in every revision and refuses in the serving container (knative/serving@knative-v1.23.0:
 * pkg/apis/serving/k8s_validation.go, reservedEnvVars, checked by validateEnvVar: "is a reserved environment
 * variable"). Every container inferstack renders is its pod's serving container.
 */
export const knativeReservedEnvNames = ["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"] as const;

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
            })
            .refine((n) => !(knativeReservedEnvNames as readonly string[]).includes(n), {
                message: `is reserved by Knative, which sets it in every revision (reserved env names: ${knativeReservedEnvNames.join(", ")})`,
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
        /**
         * Request timeout in seconds (KServe copies it into the revision's timeoutSeconds). Its upper bound is the
         * platform's `serving.maxRevisionTimeoutSeconds`, a cross-key rule of platform/platformSchema.ts.
         */
        timeout: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
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

/** A count of seconds or tries in a probe (Kubernetes treats 0 as "unset": leave the key out instead). */
const probeCount = z.number().int("must be a whole number").min(1, "must be at least 1 (leave it out for the default)");
const probePort = z.union([z.number().int("must be a whole number").min(1, "must be from 1 to 65535").max(65535, "must be from 1 to 65535"), z.string().min(1)]);

/**
 * A container probe in Kubernetes' own shape (core/v1 Probe), restricted to the fields Knative allows
 * (knative/serving@knative-v1.23.0:pkg/apis/serving/fieldmask.go: ProbeMask, HandlerMask, HTTPGetActionMask,
 * TCPSocketActionMask, ExecActionMask, GRPCActionMask) and to exactly one handler (k8s_validation.go, validateProbe).
 * KServe's CRD requires a port on tcpSocket and grpc, not on httpGet (Knative probes the serving port).
 */
const probe = z
    .object({
        httpGet: z
            .object({
                path: z.string().optional(),
                port: probePort.optional(),
                host: z.string().optional(),
                scheme: z.enum(["HTTP", "HTTPS"]).optional(),
                httpHeaders: z.array(z.object({ name: z.string().min(1), value: z.string() }).strict()).optional(),
            })
            .strict()
            .optional(),
        tcpSocket: z.object({ port: probePort, host: z.string().optional() }).strict().optional(),
        exec: z.object({ command: z.array(z.string()).min(1, "must name the command to run") }).strict().optional(),
        grpc: z.object({ port: z.number().int().min(1, "must be from 1 to 65535").max(65535, "must be from 1 to 65535"), service: z.string().optional() }).strict().optional(),
        initialDelaySeconds: z.number().int("must be a whole number").min(0, "must be 0 or more").optional(),
        timeoutSeconds: probeCount.optional(),
        periodSeconds: probeCount.optional(),
        successThreshold: probeCount.optional(),
        failureThreshold: probeCount.optional(),
        terminationGracePeriodSeconds: probeCount.optional(),
    })
    .strict()
    .superRefine((p, ctx) => {
        const handlers = (["httpGet", "tcpSocket", "exec", "grpc"] as const).filter((h) => p[h] !== undefined);
        if (handlers.length !== 1) ctx.addIssue({ code: "custom", message: `must set exactly one of httpGet, tcpSocket, exec, grpc (Knative refuses ${handlers.length === 0 ? "none" : handlers.join(" and ")})` });
    });
type Probe = z.infer<typeof probe>;
type ProbeKey = "readinessProbe" | "livenessProbe" | "startupProbe";
const probeKeys: ProbeKey[] = ["readinessProbe", "livenessProbe", "startupProbe"];

/**
 * Knative's probe rules for the serving container (knative/serving@knative-v1.23.0:pkg/apis/serving/k8s_validation.go):
 * a named probe port must be the container port's name ("Probe port must match container port", validateProbe), and a
 * readiness probe without periodSeconds is Knative's own aggressive probe, which takes no failureThreshold or
 * timeoutSeconds (validateReadinessProbe). Liveness and startup probes must have successThreshold 1 (Kubernetes).
 */
function checkProbes(c: { ports?: { name?: string }[] } & Partial<Record<ProbeKey, Probe>>, path: (string | number)[], ctx: z.RefinementCtx) {
    const portName = c.ports?.[0]?.name;
    for (const key of probeKeys) {
        const p = c[key];
        if (!p) continue;
        for (const h of ["httpGet", "tcpSocket"] as const) {
            const port = p[h]?.port;
            if (typeof port === "string" && port !== portName) {
                ctx.addIssue({ code: "custom", path: [...path, key, h, "port"], message: `must match the container port's name (${portName ?? "the port is unnamed"}) or be a number: Knative refuses another named port ("Probe port must match container port")` });
            }
        }
        if (key === "readinessProbe" && p.periodSeconds === undefined) {
            for (const f of ["failureThreshold", "timeoutSeconds"] as const) {
                if (p[f] !== undefined) ctx.addIssue({ code: "custom", path: [...path, key, f], message: `needs periodSeconds: without it Knative runs its own aggressive readiness probe and refuses ${f} ("${f} is disallowed when periodSeconds is zero")` });
            }
        }
        if (key !== "readinessProbe" && p.successThreshold !== undefined && p.successThreshold !== 1) {
            ctx.addIssue({ code: "custom", path: [...path, key, "successThreshold"], message: `must be 1 for a ${key === "livenessProbe" ? "liveness" : "startup"} probe (Kubernetes pod validation)` });
        }
    }
}

/**
 * The container fields a model version, a transformer and a custom explainer share (core/v1 Container): the numeric
 * user and group (a version: custom only; default 1000, KServe's convention), arguments, env, the serving port (e.g.
 * `{name: h2c, containerPort: 8081}` for gRPC; the runtime's or 8080, HTTP, when unset), command and probes.
 * Declared after the helpers they use; spread into each shape.
 */
const containerFields = () => ({
    runAsUser: runAsUser.optional(),
    runAsGroup: runAsGroup.optional(),
    args: z.array(z.string()).default([]),
    env: z.array(envVar).default([]),
    envFrom: z.array(envFromSource).default([]),
    ports: containerPorts.optional(),
    ...containerExtras,
});

/** Command and probes (core/v1 Container). */
const containerExtras = {
    /** The image's entrypoint, replaced (Kubernetes `command`); `args` are its arguments. */
    command: z.array(z.string()).min(1, "must name the command (leave it out to keep the image's entrypoint)").optional(),
    readinessProbe: probe.optional(),
    livenessProbe: probe.optional(),
    startupProbe: probe.optional(),
};

/** A label selector (meta/v1 LabelSelector); operators In/NotIn take values, Exists/DoesNotExist none (Kubernetes). */
function selectorRequirement<O extends string>(operators: readonly [O, ...O[]]) {
    return z
        .object({ key: z.string().min(1), operator: z.enum(operators), values: z.array(z.string()).optional() })
        .strict()
        .superRefine((r, ctx) => {
            const n = r.values?.length ?? 0;
            if ((r.operator === "In" || r.operator === "NotIn") && n === 0) ctx.addIssue({ code: "custom", path: ["values"], message: `must not be empty with operator ${r.operator} (Kubernetes)` });
            if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0) ctx.addIssue({ code: "custom", path: ["values"], message: `must be empty with operator ${r.operator} (Kubernetes)` });
            if ((r.operator === "Gt" || r.operator === "Lt") && (n !== 1 || !/^-?[0-9]+$/.test(r.values![0]))) ctx.addIssue({ code: "custom", path: ["values"], message: `must be one integer with operator ${r.operator} (Kubernetes)` });
        });
}
const labelSelector = z
    .object({ matchLabels: z.record(z.string(), z.string()).optional(), matchExpressions: z.array(selectorRequirement(["In", "NotIn", "Exists", "DoesNotExist"])).optional() })
    .strict();
const nodeSelectorTerm = z
    .object({ matchExpressions: z.array(selectorRequirement(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"])).optional(), matchFields: z.array(selectorRequirement(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"])).optional() })
    .strict();
const weight = z.number().int("must be a whole number").min(1, "must be from 1 to 100").max(100, "must be from 1 to 100");
const podAffinityTerm = z
    .object({
        labelSelector: labelSelector.optional(),
        namespaceSelector: labelSelector.optional(),
        namespaces: z.array(z.string()).optional(),
        topologyKey: z.string().min(1, "is required (e.g. kubernetes.io/hostname)"),
        matchLabelKeys: z.array(z.string()).optional(),
        mismatchLabelKeys: z.array(z.string()).optional(),
    })
    .strict();
const podAffinity = z
    .object({
        requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).optional(),
        preferredDuringSchedulingIgnoredDuringExecution: z.array(z.object({ weight, podAffinityTerm }).strict()).optional(),
    })
    .strict();

/**
 * Pod affinity in Kubernetes' own shape (core/v1 Affinity). Knative passes it only with its
 * `kubernetes.podspec-affinity` feature flag, which the platform enables (knative/knativeServing.ts).
 */
const affinity = z
    .object({
        nodeAffinity: z
            .object({
                requiredDuringSchedulingIgnoredDuringExecution: z.object({ nodeSelectorTerms: z.array(nodeSelectorTerm).min(1, "must list at least one term (Kubernetes)") }).strict().optional(),
                preferredDuringSchedulingIgnoredDuringExecution: z.array(z.object({ weight, preference: nodeSelectorTerm }).strict()).optional(),
            })
            .strict()
            .optional(),
        podAffinity: podAffinity.optional(),
        podAntiAffinity: podAffinity.optional(),
    })
    .strict();

/**
 * Topology spread constraints (core/v1 TopologySpreadConstraint), passed by Knative only with its
 * `kubernetes.podspec-topologyspreadconstraints` flag, which the platform enables. Kubernetes: maxSkew at least 1,
 * minDomains only with whenUnsatisfiable DoNotSchedule.
 */
const topologySpreadConstraint = z
    .object({
        maxSkew: z.number().int("must be a whole number").min(1, "must be at least 1"),
        topologyKey: z.string().min(1),
        whenUnsatisfiable: z.enum(["DoNotSchedule", "ScheduleAnyway"]),
        labelSelector: labelSelector.optional(),
        minDomains: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
        nodeAffinityPolicy: z.enum(["Honor", "Ignore"]).optional(),
        nodeTaintsPolicy: z.enum(["Honor", "Ignore"]).optional(),
        matchLabelKeys: z.array(z.string()).optional(),
    })
    .strict()
    .refine((t) => t.minDomains === undefined || t.whenUnsatisfiable === "DoNotSchedule", { path: ["minDomains"], message: "needs whenUnsatisfiable: DoNotSchedule (Kubernetes)" });

const toleration = z
    .object({
        key: z.string(),
        operator: z.enum(["Equal", "Exists"]).default("Equal"),
        value: z.string().optional(),
        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
        tolerationSeconds: z.number().int("must be a whole number").optional(),
    })
    .strict()
    .superRefine((t, ctx) => {
        // Kubernetes: an empty key needs Exists, Exists takes no value, tolerationSeconds only with NoExecute.
        if (!t.key && t.operator !== "Exists") ctx.addIssue({ code: "custom", path: ["operator"], message: "must be Exists when key is empty (Kubernetes)" });
        if (t.operator === "Exists" && t.value) ctx.addIssue({ code: "custom", path: ["value"], message: "must be empty with operator Exists (Kubernetes)" });
        if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") ctx.addIssue({ code: "custom", path: ["tolerationSeconds"], message: "needs effect NoExecute (Kubernetes)" });
    });

/**
 * A component that asks for GPUs must not carry a toleration aimed at the GPU nodes' taint (its key) that does not
 * tolerate it: the scheduler would keep it off the GPU nodes (the platform adds its own toleration beside it, but a
 * wrong value or effect is a mistake the config should name).
 */
function checkGpuTolerations(c: { resources: { gpu: number }; tolerations: { key: string; operator: string; value?: string; effect?: string }[] }, path: (string | number)[], ctx: z.RefinementCtx): void {
    if (c.resources.gpu <= 0) return;
    c.tolerations.forEach((t, i) => {
        if (t.key !== gpuTaint.key || tolerates(t, gpuTaint)) return;
        ctx.addIssue({
            code: "custom",
            path: [...path, "tolerations", i],
            message: `does not tolerate the GPU nodes' taint ${gpuTaint.key}=${gpuTaint.value}:${gpuTaint.effect}: with key ${gpuTaint.key} use value "${gpuTaint.value}" (operator Equal) or operator Exists, with effect ${gpuTaint.effect} or none; or remove it (the platform adds a GPU toleration itself)`,
        });
    });
}

/** Where a component's pods run: each maps 1:1 onto the component's pod spec in KServe. */
const placement = {
    nodeSelector: z.record(z.string(), z.string()).default({}),
    tolerations: z.array(toleration).default([]),
    affinity: affinity.optional(),
    topologySpreadConstraints: z.array(topologySpreadConstraint).optional(),
};

/** Private images and per-component identity (core/v1 PodSpec `imagePullSecrets`, `serviceAccountName`). */
const identity = {
    /** Secrets of type kubernetes.io/dockerconfigjson in the models' namespace, for private registries. */
    imagePullSecrets: z.array(z.object({ name: dns1123Subdomain }).strict()).optional(),
    /**
     * The ServiceAccount the pods run as, instead of the platform's storage ServiceAccount (`kserve-models`), which
     * carries the object store's credentials. A model's own ServiceAccount gets no store access from the platform:
     * granting it (a Secret KServe's credential builder reads, or a workload-identity binding) is its owner's job.
     */
    serviceAccountName: dns1123Subdomain.optional(),
};

/**
 * The Knative annotations a component may carry (KServe's `annotations`, copied onto its revision template), each
 * validated as Knative 1.23 does (knative/serving@knative-v1.23.0:pkg/apis/autoscaling/annotation_validation.go and
 * register.go for the bounds; pkg/apis/serving/v1/revision_validation.go, validateProgressDeadlineAnnotation).
 * `initial-scale: 0` also needs the platform's `serving.allowZeroInitialScale` (a cross-key rule in platformSchema.ts).
 */
function durationRule(min: number, max: number | undefined, what: string): (v: string) => string | undefined {
    return (v) => {
        const d = goDurationSeconds(v);
        if (d === undefined) return "must be a duration such as 30s, 2m or 1h (Go syntax, as Knative parses it)";
        if (Math.round(d) !== d) return "must be whole seconds (Knative: at most second precision)";
        if (d < min || (max !== undefined && d > max)) return `must be ${max === undefined ? `at least ${min}s` : `from ${min}s to ${max}s`} (${what})`;
        return undefined;
    };
}
function numberRule(min: number, max: number, what: string): (v: string) => string | undefined {
    return (v) => (!/^[0-9]+(\.[0-9]+)?$/.test(v) ? "must be a number" : Number(v) < min || Number(v) > max ? `must be from ${min} to ${max} (${what})` : undefined);
}
export const knativeComponentAnnotations: Record<string, (v: string) => string | undefined> = {
    "autoscaling.knative.dev/initial-scale": (v) => (/^[0-9]+$/.test(v) ? undefined : "must be a whole number, 0 or more (Knative's validateInitialScale)"),
    "autoscaling.knative.dev/window": durationRule(6, 3600, "Knative's WindowMin and WindowMax"),
    "autoscaling.knative.dev/panic-window-percentage": numberRule(1, 100, "Knative's PanicWindowPercentageMin and Max"),
    "autoscaling.knative.dev/panic-threshold-percentage": numberRule(110, 1000, "Knative's PanicThresholdPercentageMin and Max"),
    "autoscaling.knative.dev/scale-down-delay": durationRule(0, 3600, "Knative's validateScaleDownDelay: 0 to WindowMax"),
    "autoscaling.knative.dev/scale-to-zero-pod-retention-period": durationRule(0, 3600, "Knative's validateLastPodRetention: 0 to WindowMax"),
    "serving.knative.dev/progress-deadline": durationRule(1, undefined, "Knative refuses a negative deadline, and a Deployment a zero one"),
};
/** Annotations that are KServe's fields in disguise: refused with the field to use. */
const annotationFields: Record<string, string> = {
    "autoscaling.knative.dev/min-scale": "KServe drops it (its ServiceAnnotationDisallowedList) and sets it from minReplicas: use scaling.minReplicas",
    "autoscaling.knative.dev/max-scale": "KServe drops it (its ServiceAnnotationDisallowedList) and sets it from maxReplicas: use scaling.maxReplicas",
    "autoscaling.knative.dev/class": "inferstack sets Knative's autoscaler class from scaling.scaleMetric (cpu or memory: the HPA class)",
    "autoscaling.knative.dev/metric": "KServe sets it from scaleMetric: use scaling.scaleMetric",
    "autoscaling.knative.dev/target": "KServe sets it from scaleTarget: use scaling.scaleTarget",
    "autoscaling.knative.dev/target-utilization-percentage": "KServe sets it from scaleTarget: use scaling.scaleTarget",
};
const componentAnnotations = z
    .record(z.string(), z.union([z.string(), z.number()]).transform(String))
    .superRefine((a, ctx) => {
        for (const [k, v] of Object.entries(a)) {
            const rule = knativeComponentAnnotations[k];
            const problem = rule ? rule(v) : annotationFields[k] ? `is not set here: ${annotationFields[k]}` : `is not an annotation inferstack passes (allowed: ${Object.keys(knativeComponentAnnotations).join(", ")})`;
            if (problem) ctx.addIssue({ code: "custom", path: [k], message: problem });
        }
    })
    .optional();

/**
 * KServe's request batcher (`spec.predictor.batcher`): KServe's agent, injected in front of the predictor, groups
 * requests (kserve/kserve@v0.20.0:pkg/apis/serving/v1beta1/inference_service.go, Batcher; pkg/webhook/admission/pod/
 * batcher_injector.go). maxLatency is in milliseconds, timeout in seconds.
 */
const batcher = z
    .object({
        maxBatchSize: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
        maxLatency: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
        timeout: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
    })
    .strict();

/** Whether a runtime's args name a Hugging Face model id (`--model_id=<id>` or `--model_id <id>`). */
export function hasModelId(args: readonly string[]): boolean {
    return args.some((a, i) => /^--model_id=\S+$/.test(a) || (a === "--model_id" && !!args[i + 1] && !args[i + 1].startsWith("--")));
}

/** A model version: where its artifact lives and how its container differs. */
const modelVersionShape = z
    .object({
        storageUri: storageUri.optional(),
        /** Runtime image tag override (`runtimeVersion`) or, for `custom`, the full image reference. */
        runtimeVersion: z
            .string()
            .refine((v) => v.trim() !== "" && v !== "latest", {
                message: "must name a pinned runtime image tag (e.g. v0.20.0), not latest or empty: KServe puts it on the runtime's image, and latest moves under every cold start; leave runtimeVersion out for the ServingRuntime's pinned default",
            })
            .optional(),
        image: z.string().optional(),
        ...containerFields(),
    })
    .strict();
const modelVersion = modelVersionShape.superRefine((v, ctx) => checkProbes(v, [], ctx));

/**
 * A pre/post-processing container or a custom explainer: KServe's `transformer` / `explainer` with one custom
 * container (`containers[0]`), its own pod-level fields and scaling (the `explainer` key also takes inferstack's
 * kernel-shap explainer: explainerSchema.ts).
 */
export const sidecarComponent = z
    .object({
        image: z.string().min(1),
        ...containerFields(),
        /** Unset keys: KServe's defaults for custom containers (its inferenceservice-config `resource`). */
        resources: resources.default({ gpu: 0 }),
        scaling: scaling.default({ maxReplicas: 3 }),
        ...placement,
        /** Unset: the model's serviceAccountName, else the platform's storage ServiceAccount. */
        ...identity,
        annotations: componentAnnotations,
    })
    .strict()
    .superRefine((c, ctx) => {
        checkProbes(c, [], ctx);
        checkGpuTolerations(c, [], ctx);
        // KServe's webhook (kserve/kserve@v0.20.0:pkg/apis/serving/v1beta1/component.go, validateReplicas) checks
        // every component's replicas, an unset minReplicas counting as 1.
        if ((c.scaling.minReplicas ?? 1) > c.scaling.maxReplicas) {
            ctx.addIssue({ code: "custom", path: ["scaling", "minReplicas"], message: `must be at most scaling.maxReplicas (${c.scaling.maxReplicas}): KServe refuses it ("'MinReplicas' cannot be greater than MaxReplicas"; unset counts as 1)` });
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
        canary: modelVersionShape
            .extend({ trafficPercent: z.number().int("must be a whole number").min(0, "must be from 0 to 100").max(100, "must be from 0 to 100") })
            .strict()
            .superRefine((v, ctx) => checkProbes(v, [], ctx))
            .optional(),
        /** Unset keys are not rendered: the ServingRuntime's own (or, for custom, KServe's defaults) apply. */
        resources: resources.default({ gpu: 0 }),
        scaling: scaling.default({ maxReplicas: 3 }),
        /** Never scale this model to zero (prod enforces minReplicas >= 1 for it). */
        latencyCritical: z.boolean().default(false),
        /** The predictor's placement: nodeSelector, tolerations, affinity, topologySpreadConstraints. */
        ...placement,
        /** The predictor's imagePullSecrets and serviceAccountName (default: the platform's storage ServiceAccount). */
        ...identity,
        /** Knative annotations of the predictor's revisions (initial-scale, window, panic settings, progress-deadline, ...). */
        annotations: componentAnnotations,
        /** KServe's request batcher in front of the predictor. */
        batcher: batcher.optional(),
        /**
         * `cluster-local`: Knative serves the model only inside the cluster (the InferenceService's
         * `networking.knative.dev/visibility` label, which KServe copies onto its Knative Services). Default: external.
         */
        visibility: z.enum(["external", "cluster-local"]).default("external"),
        transformer: sidecarComponent.optional(),
        /** A custom explainer container (sidecarComponent), or inferstack's open explainer: `{kind: kernel-shap, ...}`. */
        explainer: explainerField(sidecarComponent).optional(),
        /** Feature-squeezing adversarial-input detection on the model's request events (services/explainer). */
        adversarial: adversarialSettingsSchema.optional(),
        /** Request/response logging to the Broker: on by default so the monitors see traffic. */
        logging: z.enum(["all", "request", "response", "off"]).default("all"),
        monitoring: monitorSettingsSchema.optional(),
        /** Progressive delivery: the steps and checks `npm run rollout` walks a canary through (docs/rollout.md). */
        rollout: rolloutSchema.optional(),
    })
    .strict()
    .superRefine((m, ctx) => {
        const isCustom = m.framework === "custom";
        checkGpuTolerations(m, [], ctx);
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
        // The batcher runs in the same agent (pkg/webhook/admission/pod/agent_injector.go), so it is HTTP/1 only too.
        for (const key of ["stable", "canary"] as const) {
            if (m[key]?.ports?.[0]?.name === "h2c" && m.logging !== "off") {
                ctx.addIssue({ code: "custom", path: [key, "ports", 0, "name"], message: "h2c (gRPC) needs logging: off: KServe's logger agent, injected in front of a logged predictor, proxies HTTP/1 only" });
            }
            if (m[key]?.ports?.[0]?.name === "h2c" && m.batcher) {
                ctx.addIssue({ code: "custom", path: ["batcher"], message: `cannot batch an h2c (gRPC) predictor (${key}.ports): KServe's batcher runs in its agent, which proxies HTTP/1 only` });
            }
        }
        // A custom predictor's PROTOCOL env var picks its protocol; KServe's webhook refuses any value but v1 or v2
        // (kserve/kserve@v0.20.0:pkg/apis/serving/v1beta1/predictor_custom.go, validateCustomProtocol; it reads the
        // literal value, so a valueFrom counts as empty).
        if (isCustom) {
            for (const key of ["stable", "canary"] as const) {
                m[key]?.env.forEach((e, i) => {
                    if (e.name === "PROTOCOL" && e.value !== "v1" && e.value !== "v2") {
                        ctx.addIssue({ code: "custom", path: [key, "env", i, "value"], message: `must be v1 or v2 for a custom predictor's PROTOCOL (KServe's webhook: "invalid protocol")${e.valueFrom ? "; KServe reads the literal value, not valueFrom" : ""}` });
                    }
                });
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
        if (m.explainer && !isKernelShap(m.explainer)) components.push({ path: ["explainer", "scaling"], s: m.explainer.scaling });
        if (isKernelShap(m.explainer)) checkKernelShapExplainer(m.explainer, m, ctx);
        checkAdversarialSettings(m, ctx);
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

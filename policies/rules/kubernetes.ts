/**
 * What the policies need to know about Kubernetes objects as Pulumi sees them: typed views of the inputs they read
 * (a subset of each kind's schema), where a pod template sits in each workload kind (including Knative Services and
 * every component of a KServe InferenceService), and how to read an image name or a quantity.
 */

/** A core/v1 SecurityContext as the policies read it (container level). */
export interface SecurityContext {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string; localhostProfile?: string };
}

/** A container port (core/v1 ContainerPort). */
export interface ContainerPort {
    name?: string;
    containerPort?: number;
    hostPort?: number;
    protocol?: string;
}

/** An env var (core/v1 EnvVar). */
export interface EnvVar {
    name: string;
    value?: unknown;
    valueFrom?: unknown;
}

/** A container as the policies read it (a subset of core/v1 Container). */
export interface Container {
    name?: string;
    image?: string;
    command?: unknown[];
    args?: unknown[];
    env?: EnvVar[];
    ports?: ContainerPort[];
    resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
    securityContext?: SecurityContext;
}

/** A toleration (core/v1 Toleration). */
export interface Toleration {
    key?: string;
    operator?: string;
    value?: string;
    effect?: string;
}

/** A pod spec as the policies read it; InferenceService components have the same shape. */
export interface PodSpec {
    containers?: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
    volumes?: { name?: string; hostPath?: unknown }[];
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
    tolerations?: Toleration[];
    nodeSelector?: Record<string, string>;
}

/** core/v1 ObjectMeta, the part the policies read. */
export interface ObjectMeta {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

/** Any Kubernetes object's inputs. */
export interface KubernetesObject {
    metadata?: ObjectMeta;
}

/** A KServe model spec (`predictor.model`, or a framework key such as `predictor.sklearn`): a container plus the model. */
export interface ModelSpec extends Container {
    modelFormat?: { name?: string; version?: string };
    runtime?: string;
    runtimeVersion?: string;
    protocolVersion?: string;
    storageUri?: string;
}

/** The logger of an InferenceService component. */
export interface LoggerSpec {
    mode?: string;
    url?: string;
}

/** One component of an InferenceService (predictor, transformer, explainer): a pod spec with scaling and a logger. */
export interface ComponentSpec extends PodSpec {
    minReplicas?: number;
    maxReplicas?: number;
    canaryTrafficPercent?: number;
    logger?: LoggerSpec;
    model?: ModelSpec;
    [frameworkKey: string]: unknown;
}

/** The InferenceService components that run pods. */
export const inferenceServiceComponents = ["predictor", "transformer", "explainer"] as const;
export type ComponentName = (typeof inferenceServiceComponents)[number];

/** A KServe v1beta1 InferenceService's inputs. */
export interface InferenceService extends KubernetesObject {
    spec?: Partial<Record<ComponentName, ComponentSpec>>;
}

/**
 * The keys of a component that hold a model server spec: `model`, and the older framework keys (predictor) or
 * explainer kinds (explainer), which KServe still accepts.
 */
export const modelKeys = ["model", "sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "onnx", "triton", "pmml", "paddle", "huggingface", "art", "alibi"] as const;

/** Every model server spec of a component, with its key. */
export function modelSpecsOf(component: ComponentSpec): { key: string; spec: ModelSpec }[] {
    return modelKeys.flatMap((key) => {
        const spec = component[key];
        return spec && typeof spec === "object" && !Array.isArray(spec) ? [{ key, spec: spec as ModelSpec }] : [];
    });
}

/** The components an InferenceService declares, by name. */
export function componentsOf(isvc: InferenceService): { name: ComponentName; spec: ComponentSpec }[] {
    return inferenceServiceComponents.flatMap((name) => {
        const spec = isvc.spec?.[name];
        return spec && typeof spec === "object" ? [{ name, spec }] : [];
    });
}

/** A workload whose pod template is `spec.template.spec` (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, Knative Service). */
interface TemplatedWorkload extends KubernetesObject {
    spec?: { template?: { spec?: PodSpec } };
}
interface CronJob extends KubernetesObject {
    spec?: { jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } };
}
interface Pod extends KubernetesObject {
    spec?: PodSpec;
}

/** One pod template found in a resource, with where it was found (for messages). */
export interface FoundPodSpec {
    /** Path of the pod spec inside the resource's inputs, e.g. `spec.template.spec` or `spec.predictor`. */
    path: string;
    spec: PodSpec;
    /**
     * Every container of the pod: the KServe model container(s) (`predictor.model`, named kserve-container when
     * unnamed), init containers (including native sidecars), containers and ephemeral containers.
     */
    containers: Container[];
}

export const types = {
    pod: "kubernetes:core/v1:Pod",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    replicaSet: "kubernetes:apps/v1:ReplicaSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    knativeService: "kubernetes:serving.knative.dev/v1:Service",
    inferenceService: "kubernetes:serving.kserve.io/v1beta1:InferenceService",
    configMap: "kubernetes:core/v1:ConfigMap",
    pvc: "kubernetes:core/v1:PersistentVolumeClaim",
    trigger: "kubernetes:eventing.knative.dev/v1:Trigger",
    broker: "kubernetes:eventing.knative.dev/v1:Broker",
    prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    service: "kubernetes:core/v1:Service",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    namespace: "kubernetes:core/v1:Namespace",
    clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    knativeServing: "kubernetes:operator.knative.dev/v1beta1:KnativeServing",
    knativeEventing: "kubernetes:operator.knative.dev/v1beta1:KnativeEventing",
    helmChart: "kubernetes:helm.sh/v4:Chart",
    helmChartV3: "kubernetes:helm.sh/v3:Chart",
    helmRelease: "kubernetes:helm.sh/v3:Release",
} as const;

/** The Pulumi types of Helm charts and releases; each carries `chart`, `namespace` and `values` inputs. */
export const helmTypes: string[] = [types.helmChart, types.helmChartV3, types.helmRelease];

/** A Helm chart or release's inputs. */
export interface HelmChart {
    chart?: string;
    name?: string;
    namespace?: string;
    values?: Record<string, unknown>;
}

/** The chart name of a Helm resource (`oci://ghcr.io/kserve/charts/kserve-resources` is `kserve-resources`). */
export function chartName(chart: HelmChart): string {
    return (chart.chart ?? "").split("/").pop() ?? "";
}

function found(path: string, spec: PodSpec | undefined, extra: Container[] = []): FoundPodSpec[] {
    if (!spec || typeof spec !== "object") return [];
    return [{ path, spec, containers: [...extra, ...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])] }];
}

/** Every pod template a resource declares (none for kinds that run no pods). */
export function podSpecsOf(type: string, props: object): FoundPodSpec[] {
    switch (type) {
        case types.pod:
            return found("spec", (props as Pod).spec);
        case types.deployment:
        case types.statefulSet:
        case types.daemonSet:
        case types.replicaSet:
        case types.job:
        case types.knativeService:
            return found("spec.template.spec", (props as TemplatedWorkload).spec?.template?.spec);
        case types.cronJob:
            return found("spec.jobTemplate.spec.template.spec", (props as CronJob).spec?.jobTemplate?.spec?.template?.spec);
        case types.inferenceService:
            return componentsOf(props as InferenceService).flatMap(({ name, spec }) =>
                // A component's `model` (or framework key) is the server container KServe fills in from its runtime.
                found(
                    `spec.${name}`,
                    spec,
                    modelSpecsOf(spec).map((m) => ({ ...m.spec, name: m.spec.name ?? "kserve-container" })),
                ),
            );
        default:
            return [];
    }
}

/** True for the KServe model container a ServingRuntime fills in (no image of its own, no security context given). */
export function isRuntimeModelContainer(c: Container): boolean {
    return c.image === undefined && c.name === "kserve-container" && !c.securityContext;
}

/** An image reference split into registry, repository, tag and digest (Docker's defaults applied). */
export interface ImageRef {
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
}

export function parseImage(image: string): ImageRef {
    let rest = image;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    const slash = rest.indexOf("/");
    const first = slash >= 0 ? rest.slice(0, slash) : "";
    // The first path part is a registry only if it looks like a host (a dot, a port, or localhost).
    const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    const registry = hasRegistry ? first : "docker.io";
    let repository = hasRegistry ? rest.slice(slash + 1) : rest;
    let tag: string | undefined;
    const colon = repository.lastIndexOf(":");
    if (colon >= 0) {
        tag = repository.slice(colon + 1);
        repository = repository.slice(0, colon);
    }
    return { registry, repository, tag, digest };
}

/** Reads a Kubernetes quantity ("500m", "2", "1Gi") as a number of base units; NaN when unreadable. */
export function quantity(value: unknown): number {
    if (typeof value === "number") return value;
    if (typeof value !== "string") return NaN;
    const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(value.trim());
    if (!m) return NaN;
    const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
    return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

/** Reads a duration ("720h", "15d", "2w", "90m", "7776000s") as seconds; NaN when unreadable. */
export function durationSeconds(value: unknown): number {
    if (typeof value !== "string") return NaN;
    const parts = [...value.trim().matchAll(/([0-9.]+)(ms|s|m|h|d|w|y)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value.trim()) return NaN;
    const unit: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400, y: 365 * 86400 };
    return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0);
}

/** `namespace/name` of a Kubernetes object's inputs, for messages (the Pulumi name when auto-named). */
export function objectName(props: object, fallback: string): string {
    const meta = (props as KubernetesObject).metadata ?? {};
    const name = typeof meta.name === "string" ? meta.name : fallback;
    return typeof meta.namespace === "string" ? `${meta.namespace}/${name}` : name;
}

/** Reads a nested value by a dotted path from unknown input (undefined where a step is missing). */
export function at(value: unknown, path: string): unknown {
    return path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), value);
}

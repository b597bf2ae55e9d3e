/**
 * What the policies need to know about Kubernetes objects as Pulumi sees them: where a pod template sits in
 * each workload kind (including Knative Services and KServe InferenceServices), and how to read an image name.
 */

/** A container as the policies read it (a subset of core/v1 Container). */
export interface Container {
    name?: string;
    image?: string;
    env?: { name: string; value?: unknown; valueFrom?: unknown }[];
    resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
    securityContext?: { privileged?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; runAsUser?: number };
}

/** A pod spec as the policies read it; InferenceService components have the same shape. */
export interface PodSpec {
    containers?: Container[];
    initContainers?: Container[];
    volumes?: { name?: string; hostPath?: unknown }[];
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
    tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
    nodeSelector?: Record<string, string>;
}

/** One pod template found in a resource, with where it was found (for messages). */
export interface FoundPodSpec {
    /** Path of the pod spec inside the resource's inputs, e.g. `spec.template.spec` or `spec.predictor`. */
    path: string;
    spec: PodSpec;
    /** Containers of the pod, with the KServe model container (`predictor.model`) counted as one. */
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
    prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
} as const;

/** The InferenceService components that run pods. */
export const inferenceServiceComponents = ["predictor", "transformer", "explainer"] as const;

type Props = Record<string, any>;

function at(props: Props, path: string): unknown {
    return path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Props)[k] : undefined), props);
}

function found(path: string, spec: unknown, extra: Container[] = []): FoundPodSpec[] {
    if (!spec || typeof spec !== "object") return [];
    const s = spec as PodSpec;
    return [{ path, spec: s, containers: [...extra, ...(s.initContainers ?? []), ...(s.containers ?? [])] }];
}

/** Every pod template a resource declares (none for kinds that run no pods). */
export function podSpecsOf(type: string, props: Props): FoundPodSpec[] {
    switch (type) {
        case types.pod:
            return found("spec", props["spec"]);
        case types.deployment:
        case types.statefulSet:
        case types.daemonSet:
        case types.replicaSet:
        case types.job:
        case types.knativeService:
            return found("spec.template.spec", at(props, "spec.template.spec"));
        case types.cronJob:
            return found("spec.jobTemplate.spec.template.spec", at(props, "spec.jobTemplate.spec.template.spec"));
        case types.inferenceService:
            return inferenceServiceComponents.flatMap((c) => {
                const component = at(props, `spec.${c}`) as Props | undefined;
                if (!component) return [];
                // A predictor's `model` (or `model`-less framework key) is the server container KServe fills in.
                const model = component["model"] as Container | undefined;
                return found(`spec.${c}`, component, model ? [{ ...model, name: model.name ?? "kserve-container" }] : []);
            });
        default:
            return [];
    }
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
    const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(value.trim());
    if (!m) return NaN;
    const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
    return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

/** `namespace/name` of a Kubernetes object's inputs, for messages (the Pulumi name when auto-named). */
export function objectName(props: Props, fallback: string): string {
    const meta = (props["metadata"] ?? {}) as Props;
    const name = typeof meta["name"] === "string" ? meta["name"] : fallback;
    return typeof meta["namespace"] === "string" ? `${meta["namespace"]}/${name}` : name;
}

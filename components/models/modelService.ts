import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultRunAsUser, frameworkRuntime, type ModelConfig } from "./modelSchema";
import { isKernelShap, kernelShapExplainerSpec } from "./explainerSchema";
import { modelVersionAnnotation, modelVersionId } from "./rolloutSchema";
import { gpuTaint, tolerates } from "../cluster/gpuTaint";
import { awaitReadyAnnotation, readyTimeouts } from "../kubernetes";
import { restrictedSecurityContext } from "../podSecurity";

/** An S3-compatible endpoint and the Secret with its keys (the Minio store's), for in-cluster readers. */
export interface ObjectStoreS3 {
    endpoint: pulumi.Input<string>;
    credentialsSecretName: pulumi.Input<string>;
}

export interface ModelServiceArgs {
    /** Namespace of the InferenceService (the Broker's namespace, so the logger stays in-namespace). */
    namespace: pulumi.Input<string>;
    /** The model entry from the stack config: framework, versions, canary, scaling, resources. */
    model: ModelConfig;
    /** ServiceAccount that can read the model bucket (from the ObjectStore); used unless the model names its own. */
    serviceAccountName: pulumi.Input<string>;
    /** Labels the model pods need from the object store (e.g. AKS workload identity). */
    podLabels?: Record<string, string>;
    /** Where request/response events go: the Broker's ingress URL. */
    loggerUrl: pulumi.Input<string>;
    /** Domain of model URLs. */
    domain: string;
    /** Resources the InferenceService needs first (KServe's CRDs and webhook). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** S3-compatible endpoint and the Secret with its keys (Minio), for a kernel-shap explainer's `s3://` background. */
    s3?: ObjectStoreS3;
    /** Image of kernel-shap explainers that name none (the platform's `monitoring.explainerImage`). */
    explainerImage?: string;
}

/** Toleration that lets a GPU pod onto the tainted GPU nodes every cluster variant creates. */
const gpuToleration = { key: gpuTaint.key, operator: "Exists", effect: gpuTaint.effect };

/**
 * Knative's visibility label: on the InferenceService, KServe copies it onto each component's Knative Service (its
 * labels; kserve/kserve@v0.20.0:pkg/controller/v1beta1/inferenceservice/components/predictor.go, buildObjectMeta, and
 * reconcilers/knative/ksvc_reconciler.go, which keeps it off the revision template), and Knative then serves the
 * routes on the cluster-local gateway only (knative/serving@knative-v1.23.0:pkg/apis/serving/register.go).
 */
export const clusterLocalLabel = { "networking.knative.dev/visibility": "cluster-local" } as const;

type Resources = ModelConfig["resources"];
type Scaling = ModelConfig["scaling"];
type Version = ModelConfig["stable"];
type Sidecar = NonNullable<ModelConfig["transformer"]>;

/**
 * Exactly the resources the model asked for, or none: a key left unset keeps the ServingRuntime's own value
 * (KServe merges the two containers key by key) or, for a custom container, KServe's default for it.
 */
function resourceRequirements(r: Resources) {
    const gpu = r.gpu > 0 ? { "nvidia.com/gpu": String(r.gpu) } : {};
    const pick = (o: Record<string, string | undefined>) => {
        const out = defined(o) as Record<string, string>;
        return Object.keys(out).length > 0 ? out : undefined;
    };
    const requests = pick({ cpu: r.cpu, memory: r.memory, ...gpu });
    const limits = pick({ cpu: r.cpuLimit, memory: r.memoryLimit, ...gpu });
    return requests || limits ? { requests, limits } : undefined;
}

/** Whether any component scales on cpu or memory, i.e. needs Knative's HPA autoscaler class. */
export function usesHpa(m: ModelConfig): boolean {
    return [m.scaling, m.transformer?.scaling, m.explainer?.scaling].some((s) => s?.scaleMetric === "cpu" || s?.scaleMetric === "memory");
}

/**
 * Knative's autoscaler class annotation for the HPA (knative/serving@knative-v1.23.0:pkg/apis/autoscaling/register.go).
 * In Knative mode KServe validates scaling against this annotation, not its own `serving.kserve.io/autoscalerClass`
 * (kserve/kserve@v0.20.0:pkg/apis/serving/v1beta1/inference_service_validation.go, validateAutoScalingCompExtension),
 * keeps it when set (pkg/controller/v1alpha1/utils/utils.go, SetAutoScalingAnnotations; the KPA otherwise) and
 * copies the InferenceService's annotations onto each component's revision template. The Knative Operator installs
 * the HPA autoscaler with Serving (its 3-serving-hpa.yaml).
 */
export const hpaClassAnnotation = { "autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev" } as const;

/** The restricted security context with a numeric user (and group), so the kubelet can check runAsNonRoot. */
function customSecurityContext(c: { runAsUser?: number; runAsGroup?: number }) {
    return { ...restrictedSecurityContext, runAsUser: c.runAsUser ?? defaultRunAsUser, ...(c.runAsGroup !== undefined ? { runAsGroup: c.runAsGroup } : {}) };
}

/** KServe component-level scaling fields; unset ones are left to KServe's defaults. */
function scalingFields(s: Scaling) {
    return {
        minReplicas: s.minReplicas,
        maxReplicas: s.maxReplicas,
        scaleMetric: s.scaleMetric,
        scaleTarget: s.scaleTarget,
        containerConcurrency: s.containerConcurrency,
        timeout: s.timeout,
    };
}

type Container = Version | Sidecar;

/** A component's pod-level fields, each exactly as the config writes them; a GPU pod also tolerates the GPU taint. */
function podFields(c: Pick<Sidecar, "nodeSelector" | "tolerations" | "affinity" | "topologySpreadConstraints" | "imagePullSecrets" | "annotations">, gpu: number) {
    // Only a toleration that actually tolerates the taint (the scheduler's matching: key, value unless Exists, effect)
    // makes the platform's unnecessary; one with the GPU key but another value or effect does not.
    const needsGpuToleration = gpu > 0 && !c.tolerations.some((t) => tolerates(t, gpuTaint));
    const tolerations = needsGpuToleration ? [...c.tolerations, gpuToleration] : c.tolerations;
    const annotations = c.annotations && Object.keys(c.annotations).length > 0 ? c.annotations : undefined;
    return {
        nodeSelector: Object.keys(c.nodeSelector).length > 0 ? c.nodeSelector : undefined,
        tolerations: tolerations.length > 0 ? tolerations.map((t) => defined(t)) : undefined,
        affinity: c.affinity,
        topologySpreadConstraints: c.topologySpreadConstraints && c.topologySpreadConstraints.length > 0 ? c.topologySpreadConstraints : undefined,
        imagePullSecrets: c.imagePullSecrets && c.imagePullSecrets.length > 0 ? c.imagePullSecrets : undefined,
        annotations,
    };
}

/** Drops unset keys, so a rendered object carries only what the config says. */
function defined<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The env, envFrom and ports of a container, each exactly as the config writes them (Kubernetes' own shapes: a
 * `valueFrom` names a Secret or ConfigMap key, never its value); empty lists are left out.
 */
function containerIo(c: Container) {
    return {
        env: c.env.length > 0 ? c.env.map((e) => defined({ name: e.name, value: e.value, valueFrom: e.valueFrom && defined({ secretKeyRef: e.valueFrom.secretKeyRef && defined(e.valueFrom.secretKeyRef), configMapKeyRef: e.valueFrom.configMapKeyRef && defined(e.valueFrom.configMapKeyRef) }) })) : undefined,
        envFrom: c.envFrom.length > 0 ? c.envFrom.map((e) => defined({ prefix: e.prefix, secretRef: e.secretRef && defined(e.secretRef), configMapRef: e.configMapRef && defined(e.configMapRef) })) : undefined,
        ports: c.ports && c.ports.length > 0 ? c.ports.map((p) => defined(p)) : undefined,
    };
}

function sidecarSpec(c: Sidecar, serviceAccountName: pulumi.Input<string>) {
    return {
        ...scalingFields(c.scaling),
        serviceAccountName: c.serviceAccountName ?? serviceAccountName,
        ...podFields(c, c.resources.gpu),
        containers: [
            {
                name: "kserve-container",
                image: c.image,
                command: c.command,
                args: c.args.length > 0 ? c.args : undefined,
                ...containerIo(c),
                readinessProbe: c.readinessProbe,
                livenessProbe: c.livenessProbe,
                startupProbe: c.startupProbe,
                resources: resourceRequirements(c.resources),
                // Custom images run under the restricted Pod Security Standard, as the policy pack requires.
                securityContext: customSecurityContext(c),
            },
        ],
    };
}

/**
 * The predictor of the InferenceService. KServe keeps one spec per InferenceService: while a canary runs the
 * spec is the canary's, `canaryTrafficPercent` sends that share to it and the rest to the previous rolled-out
 * revision (the stable one). 100 promotes (the field is dropped: all traffic to the latest revision);
 * 0 rolls back (all traffic pinned to the previous revision).
 */
export function predictorSpec(m: ModelConfig, serviceAccountName: pulumi.Input<string>, loggerUrl: pulumi.Input<string>) {
    const version: Version = m.canary ?? m.stable;
    const canaryTrafficPercent = m.canary && m.canary.trafficPercent < 100 ? m.canary.trafficPercent : undefined;
    const resources = resourceRequirements(m.resources);
    const common = {
        ...scalingFields(m.scaling),
        canaryTrafficPercent,
        serviceAccountName: m.serviceAccountName ?? serviceAccountName,
        // A GPU model always tolerates the GPU nodes' taint, whatever other tolerations it lists.
        ...podFields(m, m.resources.gpu),
        logger: m.logging === "off" ? undefined : { mode: m.logging, url: loggerUrl, metadataAnnotations: [modelVersionAnnotation] },
        batcher: m.batcher && defined(m.batcher),
    };
    if (m.framework === "custom") {
        return {
            ...common,
            containers: [
                {
                    name: "kserve-container",
                    image: version.image,
                    command: version.command,
                    args: version.args.length > 0 ? version.args : undefined,
                    ...containerIo(version),
                    readinessProbe: version.readinessProbe,
                    livenessProbe: version.livenessProbe,
                    startupProbe: version.startupProbe,
                    resources,
                    securityContext: customSecurityContext(version),
                },
            ],
        };
    }
    const fw = frameworkRuntime[m.framework];
    return {
        ...common,
        model: {
            modelFormat: { name: fw.format, version: m.formatVersion },
            runtime: m.runtime ?? fw.runtime,
            protocolVersion: m.protocolVersion ?? fw.protocol,
            storageUri: version.storageUri,
            runtimeVersion: version.runtimeVersion,
            command: version.command,
            args: version.args.length > 0 ? version.args : undefined,
            ...containerIo(version),
            readinessProbe: version.readinessProbe,
            livenessProbe: version.livenessProbe,
            startupProbe: version.startupProbe,
            resources,
        },
    };
}

/** The InferenceService manifest for a model entry (pure: the tests and the benchmark call it directly). */
export function inferenceServiceSpec(m: ModelConfig, serviceAccountName: pulumi.Input<string>, loggerUrl: pulumi.Input<string>, podLabels?: Record<string, string>, extras: { s3?: ObjectStoreS3; explainerImage?: string } = {}) {
    // KServe copies a component's labels onto its pods (where e.g. AKS workload identity looks for them).
    const labels = podLabels && Object.keys(podLabels).length > 0 ? { labels: podLabels } : {};
    // A transformer or explainer without its own ServiceAccount runs as the predictor does.
    const sidecarAccount = m.serviceAccountName ?? serviceAccountName;
    return {
        predictor: { ...predictorSpec(m, serviceAccountName, loggerUrl), ...labels },
        transformer: m.transformer ? { ...sidecarSpec(m.transformer, sidecarAccount), ...labels } : undefined,
        explainer: !m.explainer
            ? undefined
            : isKernelShap(m.explainer)
              ? { ...kernelShapExplainerSpec({ explainer: { ...m.explainer, image: m.explainer.image ?? extras.explainerImage }, model: { ...m, protocolVersion: modelProtocol(m) }, serviceAccountName: sidecarAccount, s3: extras.s3 }), ...labels }
              : { ...sidecarSpec(m.explainer, sidecarAccount), ...labels },
    };
}

/** The InferenceService's annotations for a model entry (pure, like inferenceServiceSpec). */
export function inferenceServiceAnnotations(m: ModelConfig): Record<string, string> {
    const annotations: Record<string, string> = {
        "serving.kserve.io/deploymentMode": "Knative",
        // Knative tags `latest-` and `prev-` routes, so the canary and the stable revision can be called alone.
        "serving.kserve.io/enable-tag-routing": "true",
        "serving.kserve.io/enable-prometheus-scraping": "true",
        // `pulumi up` ends when the model serves (or fails with KServe's reason), not when the object is stored.
        ...awaitReadyAnnotation,
        // cpu/memory scaling: Knative's HPA class, for every component (KServe allows one class per service).
        ...(usesHpa(m) ? hpaClassAnnotation : {}),
    };
    // Nothing that changes between a canary's steps goes here: KServe copies these annotations onto the revision
    // template, so a value that changed at promotion (or at the tidy after it) would roll one more revision.
    annotations[modelVersionAnnotation] = modelVersionId((m.canary ?? m.stable) as Record<string, unknown>);
    return annotations;
}

/** The InferenceService's labels for a model entry (pure, like inferenceServiceSpec). */
export function inferenceServiceLabels(m: ModelConfig): Record<string, string> {
    return {
        "app.kubernetes.io/part-of": "inferstack",
        "inferstack.io/model": m.name,
        "inferstack.io/framework": m.framework,
        ...(m.latencyCritical ? { "inferstack.io/latency-critical": "true" } : {}),
        ...(m.monitoring?.enabled ? { "inferstack.io/monitored": "true" } : {}),
        ...(m.visibility === "cluster-local" ? clusterLocalLabel : {}),
    };
}

/** The protocol the model's predictor speaks: the configured one, else its runtime's default (v1 for custom). */
export function modelProtocol(m: ModelConfig): "v1" | "v2" {
    return m.protocolVersion ?? (m.framework === "custom" ? "v1" : frameworkRuntime[m.framework].protocol ?? "v1");
}

/** Path of the predict endpoint for the model's protocol. */
export function predictPath(m: ModelConfig): string {
    return modelProtocol(m) === "v2" ? `/v2/models/${m.name}/infer` : `/v1/models/${m.name}:predict`;
}

/** Path of the explain endpoint: KServe routes only the v1 form to an explainer (pkg/constants/constants.go, ExplainPrefix). */
export function explainPath(m: ModelConfig): string {
    return `/v1/models/${m.name}:explain`;
}

/**
 * One model as a KServe InferenceService in Knative mode: its framework runtime or custom container, the
 * canary split over the stable version, tag routing for calling the canary and the previous revision directly,
 * autoscaling, GPUs, a transformer and an explainer, request/response logging to the Broker and Prometheus
 * scraping of the model server.
 */
export class ModelService extends pulumi.ComponentResource {
    /** The model's name (the InferenceService name). */
    public readonly modelName: string;
    /** Public URL of the model (all traffic, split by the canary percent). */
    public readonly url: pulumi.Output<string>;
    /** URL of the latest revision only (the canary while one runs). */
    public readonly latestUrl: pulumi.Output<string>;
    /** URL of the previous rolled-out revision (the stable one while a canary runs). */
    public readonly previousUrl: pulumi.Output<string>;
    /** A curl line that calls the model through the Kourier gateway. */
    public readonly curl: pulumi.Output<string>;
    /** URL of the explain endpoint, when the model has an explainer. */
    public readonly explainUrl?: pulumi.Output<string>;
    /** A curl line that asks the explainer for a prediction's attributions, when the model has one. */
    public readonly explainCurl?: pulumi.Output<string>;
    /** The InferenceService resource. */
    public readonly inferenceService: k8s.apiextensions.CustomResource;

    constructor(name: string, args: ModelServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:models:ModelService", name, {}, opts);
        const m = args.model;
        this.modelName = m.name;
        const annotations = inferenceServiceAnnotations(m);
        this.inferenceService = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "serving.kserve.io/v1beta1",
                kind: "InferenceService",
                metadata: {
                    name: m.name,
                    namespace: args.namespace,
                    annotations,
                    labels: inferenceServiceLabels(m),
                },
                spec: inferenceServiceSpec(m, args.serviceAccountName, args.loggerUrl, args.podLabels, { s3: args.s3, explainerImage: args.explainerImage }),
            },
            { parent: this, dependsOn: args.dependsOn, customTimeouts: readyTimeouts.model },
        );
        // Without Istio (KServe's `disableIstioVirtualHost`), only the predictor's Knative route exists: the
        // `<model>.<ns>.<domain>` host is not routed. With a transformer, the entry point is the transformer.
        // A cluster-local model is reached only inside the cluster, at Knative's cluster-local domain.
        const entry = m.transformer ? "transformer" : "predictor";
        const local = m.visibility === "cluster-local";
        const domain = local ? "svc.cluster.local" : args.domain;
        const host = (tag?: string) => pulumi.interpolate`${tag ? `${tag}-` : ""}${m.name}-${entry}.${args.namespace}.${domain}`;
        this.url = pulumi.interpolate`http://${host()}`;
        this.latestUrl = pulumi.interpolate`http://${host("latest")}`;
        this.previousUrl = pulumi.interpolate`http://${host("prev")}`;
        this.curl = local
            ? pulumi.interpolate`curl -s -H 'Content-Type: application/json' http://${host()}${predictPath(m)} -d @input.json  # from a pod in the cluster`
            : pulumi.interpolate`curl -s -H 'Host: ${host()}' -H 'Content-Type: application/json' http://$INGRESS${predictPath(m)} -d @input.json`;
        if (m.explainer) {
            // The explainer is its own Knative Service, `<model>-explainer`, routed like the predictor.
            const explainerHost = pulumi.interpolate`${m.name}-explainer.${args.namespace}.${domain}`;
            this.explainUrl = pulumi.interpolate`http://${explainerHost}${explainPath(m)}`;
            this.explainCurl = local
                ? pulumi.interpolate`curl -s -H 'Content-Type: application/json' ${this.explainUrl} -d @input.json  # from a pod in the cluster`
                : pulumi.interpolate`curl -s -H 'Host: ${explainerHost}' -H 'Content-Type: application/json' http://$INGRESS${explainPath(m)} -d @input.json`;
        }
        this.registerOutputs({ url: this.url, latestUrl: this.latestUrl, previousUrl: this.previousUrl, curl: this.curl, explainUrl: this.explainUrl, explainCurl: this.explainCurl });
    }
}

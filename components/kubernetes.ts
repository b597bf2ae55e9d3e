/** Small building blocks every component uses the same way. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Label on everything inferstack creates, so `kubectl get -l app.kubernetes.io/part-of=inferstack` finds it all. */
export const partOfLabel = { "app.kubernetes.io/part-of": "inferstack" } as const;

/**
 * Readiness gate for a custom resource: the provider otherwise treats a custom resource as ready as soon as the
 * API server has stored it, so whatever depends on it would race its controller. With this annotation the
 * provider waits until the object's `Ready` condition is True (or the create times out, see `readyTimeouts`).
 */
export const awaitReadyAnnotation = { "pulumi.com/waitFor": "condition=Ready" } as const;

/**
 * Readiness gate for a webhook configuration whose CA bundle cert-manager's CA injector writes: the provider
 * reports it ready only once the bundle is there. Until then the API server cannot call the webhook (x509
 * errors), and a create that needs it fails outright: the provider retries creates only for missing CRDs.
 */
export const awaitCaBundleAnnotation = { "pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}" } as const;

const webhookConfigurationTypes = new Set([
    "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
]);

/**
 * A chart transform that gates each webhook configuration whose CA cert-manager injects
 * (`cert-manager.io/inject-ca-from`) on its CA bundle, for charts that have no value for those annotations.
 * Whatever depends on the chart then waits until the chart's webhooks can be called.
 */
export const awaitInjectedCaBundles: pulumi.ResourceTransform = ({ type, props, opts }) => {
    const metadata = (props["metadata"] ?? {}) as { annotations?: Record<string, string> };
    if (!webhookConfigurationTypes.has(type) || !metadata.annotations?.["cert-manager.io/inject-ca-from"]) return undefined;
    return { props: { ...props, metadata: { ...metadata, annotations: { ...metadata.annotations, ...awaitCaBundleAnnotation } } }, opts };
};

/**
 * How long a readiness-gated resource may take to become ready: a control plane's first rollout pulls images
 * and rolls out many Deployments; a model pulls its runtime image and downloads its artifact.
 */
export const readyTimeouts = {
    /** Knative Serving / Eventing installs, Brokers and platform Knative Services. */
    controlPlane: { create: "15m", update: "15m" },
    /** InferenceServices: runtime image pull, storage initializer download, first scale-up (GPU nodes: node scale-up too). */
    model: { create: "20m", update: "20m" },
} as const;

/** A namespace owned by a component, labelled as part of inferstack. */
export function platformNamespace(
    name: string,
    namespace: string,
    opts: pulumi.CustomResourceOptions,
    labels: Record<string, string> = {},
): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(name, { metadata: { name: namespace, labels: { ...partOfLabel, ...labels } } }, opts);
}

/** CPU and memory requests and limits of one container, in Kubernetes quantities. */
export interface ContainerResources {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

/** Requests and limits for a chart workload's container (charts default them to `{}`; the policy pack requires both). */
export function containerResources(cpu: string, memory: string, cpuLimit: string, memoryLimit: string): ContainerResources {
    return { requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } };
}

/** A Helm chart pin from components/versions.ts: an HTTP repository chart, or an OCI reference without repo. */
export interface ChartPin {
    chart: string;
    version: string;
    repo?: string;
}

/** A Helm chart at its pinned version (the provider expands it at deploy time). */
export function pinnedChart(
    name: string,
    pin: ChartPin,
    args: Omit<k8s.helm.v4.ChartArgs, "chart" | "version" | "repositoryOpts">,
    opts: pulumi.ComponentResourceOptions,
): k8s.helm.v4.Chart {
    return new k8s.helm.v4.Chart(
        name,
        { ...args, chart: pin.chart, version: pin.version, repositoryOpts: pin.repo ? { repo: pin.repo } : undefined },
        opts,
    );
}

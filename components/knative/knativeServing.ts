import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awaitReadyAnnotation, platformNamespace, readyTimeouts } from "../kubernetes";
import { versions } from "../versions";
import { KnativeOperator } from "./knativeOperator";

/** Knative's pod autoscaler (KPA) defaults for every revision that does not override them. */
export interface AutoscalerDefaults {
    /** Allow revisions to scale to zero replicas when idle. */
    scaleToZero: boolean;
    /** Window over which the autoscaler averages concurrency in stable mode (e.g. 60s). */
    stableWindow: string;
    /** How long the last replica stays after traffic stops before scale to zero (e.g. 30s). */
    scaleToZeroGracePeriod: string;
    /** Delay before any scale-down decision is applied (e.g. 0s, 15m), to ride out bursts. */
    scaleDownDelay: string;
    /** Default soft target of requests in flight per replica. */
    containerConcurrencyTarget: number;
    /** Let a revision start at zero replicas (`initial-scale: "0"`); Knative's default is false. */
    allowZeroInitialScale?: boolean;
}

export interface KnativeServingArgs {
    /** The operator that reconciles the KnativeServing resource. */
    operator: KnativeOperator;
    /** DNS domain for service URLs (`<name>.<namespace>.<domain>`). */
    domain: string;
    /** Autoscaler defaults. */
    autoscaler: AutoscalerDefaults;
    /** Replicas of the HA parts of the control plane (activator, autoscaler, controller, webhook, kourier). */
    replicas: number;
    /** Service type of the Kourier gateway. Default: LoadBalancer. */
    ingressServiceType?: "LoadBalancer" | "NodePort" | "ClusterIP";
    /** Knative's `max-revision-timeout-seconds`; unset keeps Knative's 600. */
    maxRevisionTimeoutSeconds?: number;
}

/**
 * The KnativeServing's `spec.config` (pure, so a test checks every key against the operator's bundled manifests):
 * ConfigMap name (without `config-`) to the data keys the operator overwrites.
 */
export function knativeServingConfig(args: Pick<KnativeServingArgs, "domain" | "autoscaler" | "maxRevisionTimeoutSeconds">, ingressClass: string): Record<string, Record<string, string>> {
    const a = args.autoscaler;
    return {
        network: { "ingress-class": ingressClass },
        domain: { [args.domain]: "" },
        autoscaler: {
            "enable-scale-to-zero": String(a.scaleToZero),
            "stable-window": a.stableWindow,
            "scale-to-zero-grace-period": a.scaleToZeroGracePeriod,
            "scale-down-delay": a.scaleDownDelay,
            "container-concurrency-target-default": String(a.containerConcurrencyTarget),
            // Read by Knative's webhook (pkg/apis/autoscaling/annotation_validation.go, validateInitialScale) and by
            // KServe's controller (kserve/kserve@v0.20.0:pkg/controller/v1alpha1/utils/utils.go, CheckZeroInitialScaleAllowed).
            ...(a.allowZeroInitialScale ? { "allow-zero-initial-scale": "true" } : {}),
        },
        // Raised only when asked; Knative's webhook bounds every revision's timeoutSeconds by it
        // (knative/serving@knative-v1.23.0:pkg/apis/serving/v1/revision_validation.go, validateTimeoutSeconds).
        ...(args.maxRevisionTimeoutSeconds !== undefined ? { defaults: { "max-revision-timeout-seconds": String(args.maxRevisionTimeoutSeconds) } } : {}),
        // KServe renders these pod-spec fields into Knative Services (GPU placement, a model's affinity and
        // topology spread, PVC models); Knative drops or refuses each unless its flag is on
        // (knative/serving@knative-v1.23.0:pkg/apis/serving/fieldmask.go, PodSpecMask; pkg/apis/config/features.go).
        features: {
            "kubernetes.podspec-affinity": "enabled",
            "kubernetes.podspec-nodeselector": "enabled",
            "kubernetes.podspec-tolerations": "enabled",
            "kubernetes.podspec-topologyspreadconstraints": "enabled",
            "kubernetes.podspec-persistent-volume-claim": "enabled",
            "kubernetes.podspec-persistent-volume-write": "enabled",
        },
        // Knative 1.19+ exports no metrics unless a protocol is chosen: `metrics-protocol` for the
        // control plane (port 9090), `request-metrics-protocol` for every queue-proxy (port 9091).
        observability: {
            "metrics-protocol": "prometheus",
            "request-metrics-protocol": "prometheus",
        },
    };
}

/**
 * Port on which Knative's control plane serves Prometheus metrics once `metrics-protocol` is prometheus (knative/pkg's
 * default; the components' `metrics` container port).
 */
export const knativeMetricsPort = 9090;
/**
 * Port on which every revision's queue-proxy serves its request metrics once `request-metrics-protocol` is
 * prometheus (`http-usermetric`; `kn_serving_invocation_duration_seconds_*`, Knative 1.19+ names).
 */
export const queueProxyMetricsPort = 9091;

/**
 * Knative Serving with Kourier as its ingress, configured for KServe: the pod-spec feature flags KServe's
 * InferenceServices rely on, autoscaler defaults, a domain, and Prometheus metrics (off by default since 1.19).
 */
export class KnativeServing extends pulumi.ComponentResource {
    /** Namespace of Knative Serving. */
    public readonly namespace: pulumi.Output<string>;
    /** The KnativeServing resource; workloads that need Knative's CRDs wait on it. */
    public readonly serving: k8s.apiextensions.CustomResource;
    /** Ingress class that Knative routes use (Kourier). */
    public readonly ingressClass: string = "kourier.ingress.networking.knative.dev";
    /** Domain of service URLs. */
    public readonly domain: pulumi.Output<string>;

    constructor(name: string, args: KnativeServingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:knative:KnativeServing", name, {}, opts);
        this.namespace = platformNamespace(name, "knative-serving", { parent: this }).metadata.name;
        this.serving = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "operator.knative.dev/v1beta1",
                kind: "KnativeServing",
                // Ready once the operator has rolled out every Serving Deployment: KServe's controller checks for the
                // Knative Service CRD only at start-up, and Knative Services need the webhook, so both wait on it.
                metadata: { name: "knative-serving", namespace: this.namespace, annotations: awaitReadyAnnotation },
                spec: {
                    version: versions.knativeServing,
                    "high-availability": { replicas: args.replicas },
                    ingress: { kourier: { enabled: true, "service-type": args.ingressServiceType ?? "LoadBalancer" } },
                    config: knativeServingConfig(args, this.ingressClass),
                },
            },
            { parent: this, dependsOn: [args.operator.chart], customTimeouts: readyTimeouts.controlPlane },
        );
        this.domain = pulumi.output(args.domain);
        this.registerOutputs({ namespace: this.namespace, domain: this.domain });
    }
}

/** Serving guardrails: how InferenceServices roll out, log, store and scale (every component: predictor, transformer, explainer). */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { clearWaiver, recordWaiver } from "./exemptions";
import { ComponentSpec, componentsOf, InferenceService, KubernetesObject, modelSpecsOf, objectName, types } from "./kubernetes";

export const deploymentModeAnnotation = "serving.kserve.io/deploymentMode";
export const latencyCriticalLabel = "inferstack.io/latency-critical";
/** Label the ModelService component puts on a monitored model's InferenceService. */
export const monitoredLabel = "inferstack.io/monitored";

/** A Knative Eventing Trigger's inputs, the part the policies read. */
interface Trigger extends KubernetesObject {
    spec?: { filter?: { attributes?: Record<string, string> }; delivery?: { deadLetterSink?: { ref?: unknown; uri?: string } } };
}

/** Every storage URI an InferenceService reads, with where it sits. */
export function storageUrisOf(props: object): { path: string; uri: string }[] {
    const out: { path: string; uri: string }[] = [];
    for (const { name, spec } of componentsOf(props as InferenceService)) {
        for (const m of modelSpecsOf(spec)) if (typeof m.spec.storageUri === "string") out.push({ path: `spec.${name}.${m.key}.storageUri`, uri: m.spec.storageUri });
        for (const [i, container] of (spec.containers ?? []).entries()) {
            for (const env of container.env ?? []) {
                if (env.name === "STORAGE_URI" && typeof env.value === "string") out.push({ path: `spec.${name}.containers[${i}].env.STORAGE_URI`, uri: env.value });
            }
        }
    }
    return out;
}

/** Scheme (`s3`) and bucket (`models`; the account/container for Azure Blob, the claim for pvc, the registry for oci) of a storage URI. */
export function parseStorageUri(uri: string): { scheme: string; bucket: string } {
    const m = /^([a-z0-9+.-]+):\/\/([^/]*)\/?([^/]*)/.exec(uri);
    if (!m) return { scheme: "", bucket: "" };
    const [, scheme, host, first] = m;
    // https://<account>.blob.core.windows.net/<container>/...: the container names the "bucket".
    return { scheme, bucket: scheme === "https" ? `${host.split(".")[0]}/${first}` : host };
}

/** Why a component's serving port speaks gRPC (h2c), or undefined. */
export function grpcServing(component: ComponentSpec): string | undefined {
    for (const m of modelSpecsOf(component)) {
        if (m.spec.ports?.[0]?.name === "h2c") return `${m.key}.ports[0] is h2c`;
        if (typeof m.spec.protocolVersion === "string" && m.spec.protocolVersion.startsWith("grpc")) return `${m.key}.protocolVersion is ${m.spec.protocolVersion}`;
    }
    const port = (component.containers ?? []).find((c) => c.ports?.[0]?.name === "h2c");
    return port ? `container ${port.name ?? "(unnamed)"} serves h2c` : undefined;
}

export const canaryTrafficMax: ResourceValidationPolicy = {
    name: "inferenceservice-canary-max",
    description: "A canary may take at most the configured share of an InferenceService component's traffic (predictor, transformer, explainer).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { maxCanaryPercent: { type: "integer", minimum: 0, maximum: 100, default: 50 } } },
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const { maxCanaryPercent } = args.getConfig<{ maxCanaryPercent: number }>();
        for (const { name, spec } of componentsOf(args.props as InferenceService)) {
            const percent = spec.canaryTrafficPercent;
            if (typeof percent === "number" && percent > maxCanaryPercent) {
                report(
                    `InferenceService ${objectName(args.props, args.name)} sends ${percent}% of ${name} traffic to its canary; the maximum is ${maxCanaryPercent}%. ` +
                        `Lower models[].canary.trafficPercent, or promote the canary (remove models[].canary and make it the stable version).`,
                );
            }
        }
    },
};

const grpcReason =
    "gRPC (h2c) predictor: KServe's logger agent, injected in front of a logged predictor, proxies HTTP/1 only (kserve/kserve#2251), so the model must run with logging: off; its requests reach neither the Broker nor a monitor";

export const logsToBroker: ResourceValidationPolicy = {
    name: "inferenceservice-logs-to-broker",
    description:
        "Every InferenceService logs its requests and responses to the Broker, so monitors and audits see them. A gRPC (h2c) predictor, which KServe's logger cannot proxy, is waived (reported by policy-exemptions) unless exemptGrpc is false.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            brokerUrlPattern: { type: "string", default: "broker-ingress" },
            exemptGrpc: { type: "boolean", default: true, description: "Waive the logger for a gRPC (h2c) predictor, reporting the waiver through policy-exemptions." },
        },
    },
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const { brokerUrlPattern, exemptGrpc } = args.getConfig<{ brokerUrlPattern: string; exemptGrpc: boolean }>();
        const isvc = args.props as InferenceService;
        const predictor = isvc.spec?.predictor ?? {};
        const logger = predictor.logger;
        const name = objectName(args.props, args.name);
        clearWaiver("inferenceservice-logs-to-broker", args.urn);
        if (!logger) {
            const grpc = grpcServing(predictor);
            const finding = `InferenceService ${name} has no request logger.`;
            if (grpc && exemptGrpc) {
                const meta = isvc.metadata ?? {};
                recordWaiver("inferenceservice-logs-to-broker", args.urn, { kind: "InferenceService", namespace: meta.namespace ?? "default", name: meta.name ?? args.name, reason: `${grpcReason} (${grpc})` }, [finding]);
            } else {
                report(`${finding} Remove models[].logging: off (the default logs to the Broker)${grpc ? "; this predictor serves gRPC, which the logger cannot proxy: serve HTTP or set the policy's exemptGrpc" : ""}.`);
            }
        } else if (typeof logger.url === "string" && !logger.url.includes(brokerUrlPattern)) {
            report(`InferenceService ${name} logs to ${logger.url}, which is not the Broker's ingress (expected a URL containing "${brokerUrlPattern}").`);
        } else if (logger.mode !== undefined && !["all", "request", "response"].includes(logger.mode)) {
            report(`InferenceService ${name} logger mode is ${logger.mode}; use all, request or response.`);
        }
    },
};

export const knativeDeploymentMode: ResourceValidationPolicy = {
    name: "inferenceservice-knative-mode",
    description: `Every InferenceService states its deployment mode explicitly (${deploymentModeAnnotation}: Knative), so a change of the cluster default never moves it.`,
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const mode = (args.props as InferenceService).metadata?.annotations?.[deploymentModeAnnotation];
        if (mode !== "Knative") {
            report(`InferenceService ${objectName(args.props, args.name)} has ${deploymentModeAnnotation}=${mode ?? "(unset)"}; set it to "Knative" (this policy can remediate it).`);
        }
    },
    remediateResource: (args) => {
        if (args.type !== types.inferenceService) return undefined;
        const metadata = (args.props as InferenceService).metadata ?? {};
        if (metadata.annotations?.[deploymentModeAnnotation] === "Knative") return undefined;
        return { ...args.props, metadata: { ...metadata, annotations: { ...(metadata.annotations ?? {}), [deploymentModeAnnotation]: "Knative" } } };
    },
};

export const storageAllowed: ResourceValidationPolicy = {
    name: "inferenceservice-storage-allowed",
    description:
        "Model artifacts come only from allowed storage schemes and, when configured, allowed buckets; an oci:// model names a digest and an hf:// model a commit when required (requireOciDigest, requireHfCommit).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedSchemes: { type: "array", items: { type: "string" }, default: ["s3", "gs", "https", "pvc"] },
            allowedBuckets: { type: "array", items: { type: "string" }, default: [] },
            requireOciDigest: { type: "boolean", default: true, description: "An allowed oci:// model must be pinned by @sha256 digest." },
            requireHfCommit: { type: "boolean", default: true, description: "An allowed hf:// model must be pinned to a commit (hf://<owner>/<model>:<commit sha>)." },
        },
    },
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const { allowedSchemes, allowedBuckets, requireOciDigest, requireHfCommit } = args.getConfig<{ allowedSchemes: string[]; allowedBuckets: string[]; requireOciDigest: boolean; requireHfCommit: boolean }>();
        for (const { path, uri } of storageUrisOf(args.props)) {
            const { scheme, bucket } = parseStorageUri(uri);
            if (!allowedSchemes.includes(scheme)) {
                report(`${path} = ${uri}: scheme "${scheme || "(none)"}" is not allowed in this environment; use one of ${allowedSchemes.join(", ")} (policy config allowedSchemes).`);
            } else if (scheme === "oci" && requireOciDigest && !/@sha256:[a-f0-9]{64}$/.test(uri)) {
                report(`${path} = ${uri}: an oci:// model must be pinned by digest; write oci://<registry>/<repository>@sha256:<digest> in models[].stable.storageUri.`);
            } else if (scheme === "hf" && requireHfCommit && !/:[0-9a-f]{7,40}$/.test(uri)) {
                report(`${path} = ${uri}: an hf:// model must be pinned to a commit; write hf://<owner>/<model>:<commit sha> in models[].stable.storageUri (a branch such as main moves).`);
            } else if (allowedBuckets.length > 0 && !["hf", "oci"].includes(scheme) && !allowedBuckets.includes(bucket)) {
                report(`${path} = ${uri}: bucket "${bucket}" is not allowed; use one of ${allowedBuckets.join(", ")} (policy config allowedBuckets).`);
            }
        }
    },
};

export const latencyCriticalMinReplicas: ResourceValidationPolicy = {
    name: "inferenceservice-latency-critical-min-replicas",
    description: `A latency-critical model (label ${latencyCriticalLabel}) keeps at least one replica of every component (predictor, transformer, explainer): no cold starts from zero.`,
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const isvc = args.props as InferenceService;
        if (isvc.metadata?.labels?.[latencyCriticalLabel] !== "true") return;
        for (const { name, spec } of componentsOf(isvc)) {
            // KServe's default minReplicas is 1, so only an explicit 0 scales to zero.
            if (spec.minReplicas === 0) {
                const key = name === "predictor" ? "models[].scaling.minReplicas" : `models[].${name}.scaling.minReplicas`;
                report(`InferenceService ${objectName(args.props, args.name)} is latency-critical but its ${name} may scale to zero; set ${key} to 1 or more.`);
            }
        }
    },
};

export const replicasBounded: ResourceValidationPolicy = {
    name: "inferenceservice-replicas-bounded",
    description: "Every InferenceService component has a maximum replica count, no higher than the configured bound, and min <= max.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { maxReplicas: { type: "integer", minimum: 1, default: 20 } } },
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const bound = args.getConfig<{ maxReplicas: number }>().maxReplicas;
        const name = objectName(args.props, args.name);
        for (const { name: c, spec } of componentsOf(args.props as InferenceService)) {
            const key = c === "predictor" ? "models[].scaling" : `models[].${c}.scaling`;
            const min = spec.minReplicas ?? 1;
            const max = spec.maxReplicas;
            if (typeof max !== "number" || max <= 0) {
                report(`InferenceService ${name} ${c} has no maxReplicas (unbounded scale-out); set ${key}.maxReplicas (at most ${bound}).`);
            } else if (max > bound) {
                report(`InferenceService ${name} ${c} may scale to ${max} replicas; the bound is ${bound}. Lower ${key}.maxReplicas or raise the policy's maxReplicas.`);
            } else if (min > max) {
                report(`InferenceService ${name} ${c} has minReplicas ${min} above maxReplicas ${max}; fix ${key}.`);
            }
        }
    },
};

/** Names of the InferenceServices some Trigger feeds to a monitor. */
function triggeredModels(resources: PolicyResource[]): Set<string> {
    return new Set(
        resources
            .filter((r) => r.type === types.trigger)
            .map((r) => (r.props as Trigger).spec?.filter?.attributes?.["inferenceservicename"])
            .filter((n): n is string => typeof n === "string"),
    );
}

export const modelsMonitored: StackValidationPolicy = {
    name: "inferenceservice-monitored",
    description: "When the environment requires it, every InferenceService has Triggers feeding a model monitor (a gRPC predictor, which cannot be logged, is waived and reported).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { requireMonitoring: { type: "boolean", default: false } } },
    validateStack: (args, report) => {
        if (!args.getConfig<{ requireMonitoring: boolean }>().requireMonitoring) return;
        const monitored = triggeredModels(args.resources);
        for (const r of args.resources.filter((x) => x.type === types.inferenceService)) {
            const isvc = r.props as InferenceService;
            clearWaiver("inferenceservice-monitored", r.urn);
            if (monitored.has(isvc.metadata?.name ?? "")) continue;
            const finding = `InferenceService ${objectName(r.props, r.name)} has no model monitor.`;
            const grpc = isvc.spec?.predictor && !isvc.spec.predictor.logger ? grpcServing(isvc.spec.predictor) : undefined;
            if (grpc) {
                recordWaiver("inferenceservice-monitored", r.urn, { kind: "InferenceService", namespace: isvc.metadata?.namespace ?? "default", name: isvc.metadata?.name ?? r.name, reason: `${grpcReason} (${grpc})` }, [finding]);
                continue;
            }
            report(`${finding} Set models[].monitoring.enabled: true (with its features and reference sample).`, r.urn);
        }
    },
};

export const monitorSeesResponses: StackValidationPolicy = {
    name: "inferenceservice-monitor-logs-complete",
    description: "A monitored model logs both requests and responses (logger mode all): the monitor needs requests for drift and outliers and responses for accuracy.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const triggered = triggeredModels(args.resources);
        for (const r of args.resources.filter((x) => x.type === types.inferenceService)) {
            const isvc = r.props as InferenceService;
            const monitored = isvc.metadata?.labels?.[monitoredLabel] === "true" || triggered.has(isvc.metadata?.name ?? "");
            const mode = isvc.spec?.predictor?.logger?.mode;
            if (!monitored || !isvc.spec?.predictor?.logger || mode === undefined || mode === "all") continue;
            report(`InferenceService ${objectName(r.props, r.name)} is monitored but logs only ${mode}s; set models[].logging: all (the monitor needs requests for drift and responses for accuracy).`, r.urn);
        }
    },
};

export const servingPolicies = [canaryTrafficMax, logsToBroker, knativeDeploymentMode, storageAllowed, latencyCriticalMinReplicas, replicasBounded, modelsMonitored, monitorSeesResponses];

/** Serving guardrails: how InferenceServices roll out, log, store and scale. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { inferenceServiceComponents, objectName, types } from "./kubernetes";

type Props = Record<string, any>;

export const deploymentModeAnnotation = "serving.kserve.io/deploymentMode";
export const latencyCriticalLabel = "inferstack.io/latency-critical";

/** Every storage URI an InferenceService reads, with where it sits. */
export function storageUrisOf(props: Props): { path: string; uri: string }[] {
    const out: { path: string; uri: string }[] = [];
    for (const c of inferenceServiceComponents) {
        const component = props["spec"]?.[c] as Props | undefined;
        if (!component) continue;
        for (const [key, value] of Object.entries(component)) {
            const uri = (value as Props | undefined)?.["storageUri"];
            if (typeof uri === "string") out.push({ path: `spec.${c}.${key}.storageUri`, uri });
        }
        for (const [i, container] of ((component["containers"] ?? []) as Props[]).entries()) {
            for (const env of (container["env"] ?? []) as Props[]) {
                if (env["name"] === "STORAGE_URI" && typeof env["value"] === "string") out.push({ path: `spec.${c}.containers[${i}].env.STORAGE_URI`, uri: env["value"] });
            }
        }
    }
    return out;
}

/** Scheme (`s3`) and bucket (`models`; the account/container for Azure Blob, the claim for pvc) of a storage URI. */
export function parseStorageUri(uri: string): { scheme: string; bucket: string } {
    const m = /^([a-z0-9+.-]+):\/\/([^/]*)\/?([^/]*)/.exec(uri);
    if (!m) return { scheme: "", bucket: "" };
    const [, scheme, host, first] = m;
    // https://<account>.blob.core.windows.net/<container>/...: the container names the "bucket".
    return { scheme, bucket: scheme === "https" ? `${host.split(".")[0]}/${first}` : host };
}

export const canaryTrafficMax: ResourceValidationPolicy = {
    name: "inferenceservice-canary-max",
    description: "A canary may take at most the configured share of an InferenceService's traffic.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { maxCanaryPercent: { type: "integer", minimum: 0, maximum: 100, default: 50 } } },
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const { maxCanaryPercent } = args.getConfig<{ maxCanaryPercent: number }>();
        const percent = args.props["spec"]?.["predictor"]?.["canaryTrafficPercent"];
        if (typeof percent === "number" && percent > maxCanaryPercent) {
            report(
                `InferenceService ${objectName(args.props, args.name)} sends ${percent}% of traffic to its canary; the maximum is ${maxCanaryPercent}%. ` +
                    `Lower models[].canary.trafficPercent, or promote the canary (remove models[].canary and make it the stable version).`,
            );
        }
    },
};

export const logsToBroker: ResourceValidationPolicy = {
    name: "inferenceservice-logs-to-broker",
    description: "Every InferenceService logs its requests and responses to the Broker, so monitors and audits see them.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { brokerUrlPattern: { type: "string", default: "broker-ingress" } } },
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const { brokerUrlPattern } = args.getConfig<{ brokerUrlPattern: string }>();
        const logger = args.props["spec"]?.["predictor"]?.["logger"] as Props | undefined;
        const name = objectName(args.props, args.name);
        if (!logger) {
            report(`InferenceService ${name} has no request logger. Remove models[].logging: off (the default logs to the Broker).`);
        } else if (typeof logger["url"] === "string" && !logger["url"].includes(brokerUrlPattern)) {
            report(`InferenceService ${name} logs to ${logger["url"]}, which is not the Broker's ingress (expected a URL containing "${brokerUrlPattern}").`);
        } else if (logger["mode"] !== undefined && !["all", "request", "response"].includes(logger["mode"])) {
            report(`InferenceService ${name} logger mode is ${logger["mode"]}; use all, request or response.`);
        }
    },
};

export const knativeDeploymentMode: ResourceValidationPolicy = {
    name: "inferenceservice-knative-mode",
    description: `Every InferenceService states its deployment mode explicitly (${deploymentModeAnnotation}: Knative), so a change of the cluster default never moves it.`,
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const mode = args.props["metadata"]?.["annotations"]?.[deploymentModeAnnotation];
        if (mode !== "Knative") {
            report(`InferenceService ${objectName(args.props, args.name)} has ${deploymentModeAnnotation}=${mode ?? "(unset)"}; set it to "Knative" (this policy can remediate it).`);
        }
    },
    remediateResource: (args) => {
        if (args.type !== types.inferenceService) return undefined;
        const metadata = (args.props["metadata"] ?? {}) as Props;
        if (metadata["annotations"]?.[deploymentModeAnnotation] === "Knative") return undefined;
        return { ...args.props, metadata: { ...metadata, annotations: { ...(metadata["annotations"] ?? {}), [deploymentModeAnnotation]: "Knative" } } };
    },
};

export const storageAllowed: ResourceValidationPolicy = {
    name: "inferenceservice-storage-allowed",
    description: "Model artifacts come only from allowed storage schemes and, when configured, allowed buckets.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedSchemes: { type: "array", items: { type: "string" }, default: ["s3", "gs", "https", "pvc"] },
            allowedBuckets: { type: "array", items: { type: "string" }, default: [] },
        },
    },
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        const { allowedSchemes, allowedBuckets } = args.getConfig<{ allowedSchemes: string[]; allowedBuckets: string[] }>();
        for (const { path, uri } of storageUrisOf(args.props)) {
            const { scheme, bucket } = parseStorageUri(uri);
            if (!allowedSchemes.includes(scheme)) {
                report(`${path} = ${uri}: scheme "${scheme || "(none)"}" is not allowed; use one of ${allowedSchemes.join(", ")}.`);
            } else if (allowedBuckets.length > 0 && !allowedBuckets.includes(bucket)) {
                report(`${path} = ${uri}: bucket "${bucket}" is not allowed; use one of ${allowedBuckets.join(", ")} (policy config allowedBuckets).`);
            }
        }
    },
};

export const latencyCriticalMinReplicas: ResourceValidationPolicy = {
    name: "inferenceservice-latency-critical-min-replicas",
    description: `A latency-critical model (label ${latencyCriticalLabel}) keeps at least one replica: no cold starts from zero.`,
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== types.inferenceService) return;
        if (args.props["metadata"]?.["labels"]?.[latencyCriticalLabel] !== "true") return;
        const min = args.props["spec"]?.["predictor"]?.["minReplicas"];
        // KServe's default minReplicas is 1, so only an explicit 0 scales to zero.
        if (min === 0) {
            report(`InferenceService ${objectName(args.props, args.name)} is latency-critical but may scale to zero; set models[].scaling.minReplicas to 1 or more.`);
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
        for (const c of inferenceServiceComponents) {
            const component = args.props["spec"]?.[c] as Props | undefined;
            if (!component) continue;
            const min = component["minReplicas"] ?? 1;
            const max = component["maxReplicas"];
            if (typeof max !== "number" || max <= 0) {
                report(`InferenceService ${name} ${c} has no maxReplicas (unbounded scale-out); set models[].scaling.maxReplicas (at most ${bound}).`);
            } else if (max > bound) {
                report(`InferenceService ${name} ${c} may scale to ${max} replicas; the bound is ${bound}. Lower maxReplicas or raise the policy's maxReplicas.`);
            } else if (min > max) {
                report(`InferenceService ${name} ${c} has minReplicas ${min} above maxReplicas ${max}.`);
            }
        }
    },
};

export const modelsMonitored: StackValidationPolicy = {
    name: "inferenceservice-monitored",
    description: "When the environment requires it, every InferenceService has Triggers feeding a model monitor.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { requireMonitoring: { type: "boolean", default: false } } },
    validateStack: (args, report) => {
        if (!args.getConfig<{ requireMonitoring: boolean }>().requireMonitoring) return;
        const monitored = new Set(
            args.resources
                .filter((r) => r.type === types.trigger)
                .map((r) => r.props["spec"]?.["filter"]?.["attributes"]?.["inferenceservicename"])
                .filter((n): n is string => typeof n === "string"),
        );
        for (const r of args.resources.filter((x) => x.type === types.inferenceService)) {
            const name = r.props["metadata"]?.["name"];
            if (!monitored.has(name)) {
                report(`InferenceService ${objectName(r.props, r.name)} has no model monitor; set models[].monitoring.enabled: true (with its features and reference sample).`, r.urn);
            }
        }
    },
};

export const servingPolicies = [canaryTrafficMax, logsToBroker, knativeDeploymentMode, storageAllowed, latencyCriticalMinReplicas, replicasBounded, modelsMonitored];

/**
 * The whole platform configuration: the components' schema fragments composed under the `inferstack:` keys, and
 * the rules that span several of them (a cloud store on its own cloud's cluster, model URIs in the store's buckets).
 */
import { z } from "zod";
import { clusterSchema } from "../cluster/clusterSchema";
import { clusterVariants } from "../cluster/clusterVariants";
import { eventingSchema, knativeDefaultMaxRevisionTimeoutSeconds, servingSchema } from "../knative/knativeSchema";
import { explainerRevisionTimeout, isKernelShap } from "../models/explainerSchema";
import { modelSchema } from "../models/modelSchema";
import { monitoringSchema } from "../monitoring/monitoringSchema";
import { bucketName, dns1123Label } from "../schemaPrimitives";
import { objectStoreSchema } from "../storage/objectStoreSchema";
import { anyClusterStores, objectStoreVariants } from "../storage/objectStoreVariants";

/**
 * Allowed environments. The environment names cloud resources (e.g. the AKS resource group) and turns on the
 * prod-only rules (a latency-critical model keeps a replica); it sets no other defaults: each stack file states
 * what differs between dev, staging and prod.
 */
export const environments = ["dev", "staging", "prod"] as const;
export type Environment = (typeof environments)[number];

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
        serving: servingSchema,
        eventing: eventingSchema,
        objectStore: objectStoreSchema.default({ provider: "minio", modelBucket: "models", extraBuckets: [], volumeSize: "10Gi", seed: [] }),
        monitoring: monitoringSchema,
        models: z.array(modelSchema).default([]),
    })
    .strict()
    .superRefine((p, ctx) => {
        // Cloud stores reach the cluster through workload identity, so they need their own cloud's cluster (the
        // cluster variant a store variant `requires`, components/storage/objectStoreVariants.ts).
        const needs = objectStoreVariants.get(p.objectStore.provider)?.requires?.provider;
        if (needs !== undefined && p.cluster.provider !== needs) {
            ctx.addIssue({
                code: "custom",
                path: ["objectStore", "provider"],
                message: `${p.objectStore.provider} needs cluster.provider ${needs} (it is read through that cloud's workload identity, with no stored keys); use ${anyClusterStores().join(" or ")} on a ${p.cluster.provider} cluster`,
            });
        }
        // An API server reachable from the internet must at least be limited to known networks (the cluster
        // variant's `apiEndpoint`, components/cluster/clusterVariants.ts).
        const endpoint = clusterVariants.get(p.cluster.provider)?.apiEndpoint;
        if (endpoint?.isOpen(p.cluster) && endpoint.authorizedNetworks(p.cluster).length === 0) {
            ctx.addIssue({ code: "custom", path: ["cluster", "authorizedNetworks"], message: `must list the CIDRs allowed to reach the public API endpoint, or set cluster.${endpoint.privateSetting}` });
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
            // The kernel-shap explainer reads an s3:// background the same way (Minio's endpoint and keys only).
            if (isKernelShap(m.explainer) && typeof m.explainer.background === "object" && "uri" in m.explainer.background && p.objectStore.provider !== "minio") {
                ctx.addIssue({
                    code: "custom",
                    path: ["models", i, "explainer", "background", "uri"],
                    message: `the explainer reads a background by URI with Minio's credentials only; with objectStore.provider ${p.objectStore.provider} give it inline or use "monitoring"`,
                });
            }
            // The monitor needs both halves of every exchange (services/monitor/src/server.ts): requests for drift and
            // outliers, responses for the predictions that feedback scores (accuracy).
            if (m.monitoring?.enabled && m.logging !== "all") {
                ctx.addIssue({
                    code: "custom",
                    path: ["models", i, "logging"],
                    message: `must be all while the model is monitored (allowed values: all; got ${m.logging}): the monitor reads the logged requests for drift and outliers and the logged responses for accuracy`,
                });
            }
            // Knative refuses a revision timeout above its max-revision-timeout-seconds (knative/serving@knative-v1.23.0:
            // pkg/apis/serving/v1/revision_validation.go, validateTimeoutSeconds); KServe copies `timeout` into it.
            const maxTimeout = p.serving.maxRevisionTimeoutSeconds ?? knativeDefaultMaxRevisionTimeoutSeconds;
            // A kernel-shap explainer's revision timeout is its explain budget plus 10 s (explainerRevisionTimeout).
            if (isKernelShap(m.explainer) && explainerRevisionTimeout(m.explainer) > maxTimeout) {
                ctx.addIssue({
                    code: "custom",
                    path: ["models", i, "explainer", "budgets", "timeoutSeconds"],
                    message: `must be at most ${maxTimeout - 10}: the explainer's revision timeout is timeoutSeconds + 10, and Knative refuses one above serving.maxRevisionTimeoutSeconds (${maxTimeout})`,
                });
            }
            const customExplainer = m.explainer && !isKernelShap(m.explainer) ? m.explainer : undefined;
            const components = [{ path: [] as string[], c: m }, { path: ["transformer"], c: m.transformer }, { path: ["explainer"], c: customExplainer }];
            for (const { path, c } of components) {
                const timeout = c?.scaling.timeout;
                if (timeout !== undefined && timeout > maxTimeout) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["models", i, ...path, "scaling", "timeout"],
                        message: `must be at most serving.maxRevisionTimeoutSeconds (${maxTimeout}${p.serving.maxRevisionTimeoutSeconds === undefined ? ", Knative's default" : ""}): Knative refuses a longer revision timeout; raise serving.maxRevisionTimeoutSeconds to allow it`,
                    });
                }
                // initial-scale 0 needs Knative's allow-zero-initial-scale (pkg/apis/autoscaling/annotation_validation.go,
                // validateInitialScale: "=0 not allowed by cluster").
                if (c?.annotations?.["autoscaling.knative.dev/initial-scale"] === "0" && !p.serving.allowZeroInitialScale) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["models", i, ...path, "annotations", "autoscaling.knative.dev/initial-scale"],
                        message: "may be 0 only with serving.allowZeroInitialScale: true (Knative refuses initial-scale 0 unless its allow-zero-initial-scale is set)",
                    });
                }
            }
        });
    });

export type PlatformConfig = z.infer<typeof platformSchema>;
/** The top-level keys of the `inferstack:` namespace. */
export const configKeys = Object.keys(platformSchema.shape) as (keyof PlatformConfig)[];

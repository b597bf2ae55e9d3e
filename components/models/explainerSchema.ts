/**
 * Config schema fragment of a model's `explainer: { kind: "kernel-shap", ... }` (inferstack's open explainer,
 * services/explainer: KernelSHAP attributions for any model) and the pure function that renders it as the
 * InferenceService's `spec.explainer`.
 *
 * KServe v0.20 runs an explainer given as one custom container (`spec.explainer.containers[0]`) as the Knative
 * Service `<isvc>-explainer`, names the container `kserve-container` and appends `--model_name <isvc>
 * --predictor_host <isvc>-predictor.<namespace> --http_port 8080` to its args
 * (kserve/kserve@v0.20.0:pkg/apis/serving/v1beta1/explainer_custom.go, GetContainer; the flags are
 * pkg/constants/constants.go ArgumentModelName / ArgumentPredictorHost / ArgumentHttpPort); its ingress sends
 * `POST /v1/models/<isvc>:explain` there (constants.go ExplainPrefix). KServe passes no protocol to a custom
 * explainer, so the rendered args add `--predictor_protocol` (the model's).
 */
import { z } from "zod";
import { restrictedSecurityContext } from "../podSecurity";
import { pinnedImageRef, quantity, quantityValue } from "../schemaPrimitives";
import { versions } from "../versions";

/** Bounds the explainer service enforces too (services/explainer/src/config.ts); a test checks they agree. */
export const explainerLimits = { maxExactFeatures: 16, maxFeatures: 256, maxBackgroundSize: 1000, maxTimeoutSeconds: 300 } as const;

/** The numeric user of the explainer image (its Dockerfile: `USER 1000:1000`, the node image's "node" user). */
export const explainerRunAsUser = 1000;

const imageRef = pinnedImageRef("registry.example.com/inferstack/explainer:0.1.0");

const explainerResources = z
    .object({
        cpu: quantity.default("100m"),
        memory: quantity.default("256Mi"),
        cpuLimit: quantity.default("1"),
        memoryLimit: quantity.default("1Gi"),
    })
    .strict()
    .superRefine((r, ctx) => {
        for (const [req, lim] of [["cpu", "cpuLimit"], ["memory", "memoryLimit"]] as const) {
            if (quantityValue(r[req]) > quantityValue(r[lim])) ctx.addIssue({ code: "custom", path: [req], message: `must be at most ${lim} (${r[lim]}): Kubernetes refuses a request above its limit` });
        }
    });

/**
 * Scaling of the explainer's Knative Service. Only Knative's KPA metrics: an explainer is request-bound, and the
 * model schema's one-autoscaler-class rule reads `scaleMetric` / `scaleTarget` / `minReplicas` of every component.
 */
const explainerScaling = z
    .object({
        /** 0 (default): scale to zero between explanations. */
        minReplicas: z.number().int("must be a whole number").min(0, "must be 0 or more").default(0),
        maxReplicas: z.number().int("must be a whole number").min(1, "must be at least 1").default(2),
        scaleMetric: z.enum(["concurrency", "rps"]).optional(),
        scaleTarget: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
        /** Explanations in flight per replica (KServe passes it on as `--workers`; the explainer refuses more with 503). */
        containerConcurrency: z.number().int("must be a whole number").min(1, "must be at least 1").max(64, "must be at most 64").default(4),
    })
    .strict()
    .refine((s) => s.minReplicas <= s.maxReplicas, { message: "minReplicas must be at most maxReplicas", path: ["minReplicas"] });

/** Per-request limits: past them an explain request is refused (422, before calling the predictor) or cut (503). */
const explainerBudgets = z
    .object({
        /** Predictor calls one explain request may make; a request needing more gets 422 before any call. */
        maxPredictorCalls: z.number().int().min(1).max(100_000).default(200),
        /** Time one explain request may take (503 `timeout` past it); the revision's timeout is this plus 10 s. */
        timeoutSeconds: z.number().int().min(1).max(explainerLimits.maxTimeoutSeconds).default(30),
        /** Instances one explain request may carry (400 beyond). */
        maxInstances: z.number().int().min(1).max(1000).default(16),
    })
    .strict();

/** Rows in the explainer's own config (what `background.inline` takes). */
const inlineRows = z.array(z.array(z.number().finite())).min(1, "must list at least one row");

export const kernelShapExplainerSchema = z
    .object({
        kind: z.literal("kernel-shap"),
        /** Feature names in instance order; default: the model's `monitoring.features`. */
        features: z.array(z.string().min(1)).min(1).max(explainerLimits.maxFeatures).optional(),
        /**
         * Background sample the attributions are relative to (base value = mean prediction over it): `monitoring`
         * (default) takes the model monitor's reference sample, or give `{uri: s3://...}` or `{inline: rows}`.
         */
        background: z
            .union([z.literal("monitoring"), z.object({ uri: z.string().regex(/^s3:\/\/[^/]+\/.+$/, "must be s3://<bucket>/<key>") }).strict(), z.object({ inline: inlineRows }).strict()])
            .default("monitoring"),
        /** At most this many background rows are used (a seeded subsample of a larger sample). */
        backgroundSize: z.number().int().min(1).max(explainerLimits.maxBackgroundSize).default(50),
        /** Exact enumeration of all 2^d - 2 coalitions up to this many features; seeded sampling beyond. */
        maxExactFeatures: z.number().int().min(1).max(explainerLimits.maxExactFeatures).default(10),
        /** Coalitions per instance when sampling (at least twice the feature count). */
        samples: z.number().int().min(2).max(100_000).default(512),
        /** Seed of the coalition sampler and the background subsample (same seed, same explanation). */
        seed: z.number().int().min(0).max(4294967295).default(0),
        /** Rows per predictor call, and predictor calls in flight per instance. */
        batchSize: z.number().int().min(1).max(100_000).default(2000),
        parallelCalls: z.number().int().min(1).max(64).default(2),
        budgets: explainerBudgets.default({ maxPredictorCalls: 200, timeoutSeconds: 30, maxInstances: 16 }),
        resources: explainerResources.default({ cpu: "100m", memory: "256Mi", cpuLimit: "1", memoryLimit: "1Gi" }),
        scaling: explainerScaling.default({ minReplicas: 0, maxReplicas: 2, containerConcurrency: 4 }),
        /** The explainer image; the pinned `versions.images.explainer` when unset. */
        image: imageRef.optional(),
    })
    .strict();
export type KernelShapExplainer = z.infer<typeof kernelShapExplainerSchema>;

/**
 * The `explainer` key of a model entry: inferstack's kernel-shap explainer when the block has a `kind`, else the
 * given schema (the custom-container explainer). A dispatch rather than `z.union`, so an error names the key of the
 * variant the user meant (a union would report both variants' issues as "Invalid input").
 */
export function explainerField<C extends z.ZodType>(custom: C) {
    const hasKind = (v: unknown) => typeof v === "object" && v !== null && "kind" in v;
    return z.unknown().transform((v, ctx): KernelShapExplainer | z.output<C> => {
        const r = hasKind(v) ? kernelShapExplainerSchema.safeParse(v) : custom.safeParse(v);
        if (r.success) return r.data as KernelShapExplainer | z.output<C>;
        for (const issue of r.error.issues) ctx.addIssue({ ...(issue as z.core.$ZodRawIssue) });
        return z.NEVER;
    });
}

export function isKernelShap(e: unknown): e is KernelShapExplainer {
    return typeof e === "object" && e !== null && (e as { kind?: unknown }).kind === "kernel-shap";
}

/** What of the model entry a kernel-shap explainer needs: its protocol and its monitoring block (features, reference). */
export interface ExplainedModel {
    protocolVersion?: "v1" | "v2";
    monitoring?: { features: { name: string }[]; reference: { uri: string } | { inline: number[][] } };
}

/**
 * Cross-key rules of a kernel-shap explainer within its model entry, for the model schema's superRefine:
 * features and background must come from somewhere, and every background row must have one value per feature.
 */
export function checkKernelShapExplainer(e: KernelShapExplainer, m: ExplainedModel, ctx: z.RefinementCtx, path: (string | number)[] = ["explainer"]): void {
    const features = e.features ?? m.monitoring?.features.map((f) => f.name);
    if (!features) {
        ctx.addIssue({ code: "custom", path: [...path, "features"], message: "is required when the model has no monitoring block (the feature names in instance order)" });
        return;
    }
    if (e.background === "monitoring" && !m.monitoring) {
        ctx.addIssue({ code: "custom", path: [...path, "background"], message: 'is "monitoring" (the default) but the model has no monitoring.reference: give {uri: "s3://..."} or {inline: [...]}' });
    }
    const d = features.length;
    if (d > e.maxExactFeatures && e.samples < 2 * d) {
        ctx.addIssue({ code: "custom", path: [...path, "samples"], message: `must be at least 2 x the feature count (${2 * d}): with ${d} features above maxExactFeatures (${e.maxExactFeatures}) coalitions are sampled` });
    }
    const inline = typeof e.background === "object" && "inline" in e.background ? e.background.inline : e.background === "monitoring" && m.monitoring && "inline" in m.monitoring.reference ? m.monitoring.reference.inline : undefined;
    const bad = inline?.findIndex((r) => r.length !== d) ?? -1;
    if (inline && bad >= 0) {
        ctx.addIssue({ code: "custom", path: [...path, "background"], message: `row ${bad} has ${inline[bad].length} values, expected ${d} (one per feature: ${features.join(", ")})` });
    }
}

/** The explainer service's config (services/explainer README, EXPLAINER_CONFIG) for a kernel-shap block. */
export function kernelShapServiceConfig(e: KernelShapExplainer, m: ExplainedModel) {
    const features = e.features ?? m.monitoring?.features.map((f) => f.name);
    if (!features) throw new Error("kernel-shap explainer: no features (give explainer.features or a monitoring block)");
    const source = e.background === "monitoring" ? m.monitoring?.reference : e.background;
    if (!source) throw new Error('kernel-shap explainer: background is "monitoring" but the model has no monitoring.reference');
    let background: object;
    if ("uri" in source) {
        const [bucket, ...key] = source.uri.slice("s3://".length).split("/");
        background = { s3: { bucket, key: key.join("/") } };
    } else background = { inline: source.inline };
    return {
        features,
        background,
        backgroundSize: e.backgroundSize,
        maxExactFeatures: e.maxExactFeatures,
        samples: e.samples,
        seed: e.seed,
        batchSize: e.batchSize,
        parallelCalls: e.parallelCalls,
        maxPredictorCalls: e.budgets.maxPredictorCalls,
        timeoutMs: e.budgets.timeoutSeconds * 1000,
        maxInstances: e.budgets.maxInstances,
    };
}

export interface KernelShapRenderArgs<S> {
    /** The explainer block (parsed). */
    explainer: KernelShapExplainer;
    /** The model entry's protocol and monitoring block. */
    model: ExplainedModel;
    /** ServiceAccount of the explainer's pods (the model's; it can read the reference bucket). */
    serviceAccountName: S;
    /** S3-compatible endpoint and the Secret with its keys, for an `s3://` background (as the model monitor gets). */
    s3?: { endpoint: S; credentialsSecretName: S };
    /** Labels for the explainer's pods (e.g. AKS workload identity). */
    podLabels?: Record<string, string>;
}

/** Seconds the explainer's revision may take per request: the explain budget plus time to answer with the error. */
export function explainerRevisionTimeout(e: KernelShapExplainer): number {
    return e.budgets.timeoutSeconds + 10;
}

/**
 * The InferenceService's `spec.explainer` for a kernel-shap block (pure): one custom container running the pinned
 * explainer image in `explainer` mode, its config inline in `EXPLAINER_CONFIG`, under the restricted security
 * context with a numeric user.
 */
export function kernelShapExplainerSpec<S>(a: KernelShapRenderArgs<S>) {
    const e = a.explainer;
    const config = kernelShapServiceConfig(e, a.model);
    const protocol = a.model.protocolVersion ?? "v1";
    return {
        minReplicas: e.scaling.minReplicas,
        maxReplicas: e.scaling.maxReplicas,
        ...(e.scaling.scaleMetric !== undefined ? { scaleMetric: e.scaling.scaleMetric } : {}),
        ...(e.scaling.scaleTarget !== undefined ? { scaleTarget: e.scaling.scaleTarget } : {}),
        containerConcurrency: e.scaling.containerConcurrency,
        timeout: explainerRevisionTimeout(e),
        serviceAccountName: a.serviceAccountName,
        ...(a.podLabels && Object.keys(a.podLabels).length > 0 ? { labels: a.podLabels } : {}),
        containers: [
            {
                name: "kserve-container",
                image: e.image ?? versions.images.explainer,
                // KServe appends --model_name, --predictor_host, --http_port and --workers after these.
                args: ["--predictor_protocol", protocol],
                env: [
                    { name: "INFERSTACK_MODE", value: "explainer" },
                    { name: "EXPLAINER_CONFIG", value: JSON.stringify(config) },
                    ...(a.s3 ? [{ name: "S3_ENDPOINT", value: a.s3.endpoint }, { name: "S3_USE_HTTPS", value: "0" }] : []),
                ],
                ...(a.s3 ? { envFrom: [{ secretRef: { name: a.s3.credentialsSecretName } }] } : {}),
                readinessProbe: { httpGet: { path: "/readyz" } },
                livenessProbe: { httpGet: { path: "/healthz" } },
                resources: { requests: { cpu: e.resources.cpu, memory: e.resources.memory }, limits: { cpu: e.resources.cpuLimit, memory: e.resources.memoryLimit } },
                securityContext: { ...restrictedSecurityContext, runAsUser: explainerRunAsUser },
            },
        ],
    };
}

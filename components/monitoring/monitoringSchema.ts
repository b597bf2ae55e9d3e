/**
 * Config schema fragments of monitoring: the platform's `inferstack:monitoring` key and a model's `monitoring` block.
 */
import { z } from "zod";
import { outlierMinimumRows } from "../../services/monitor/src/conformal";
import { duration, pinnedImageRef, quantity } from "../schemaPrimitives";

export const monitoringSchema = z
    .object({
        enabled: z.boolean().default(true),
        retention: duration.default("24h"),
        storageSize: quantity.optional(),
        prometheusReplicas: z.number().int().min(1).default(1),
        grafana: z.boolean().default(true),
        /**
         * Image of the model monitor (services/monitor), built by `npm run monitor:image`; the pinned
         * reference in components/versions.ts when unset. On kind, a `dev.local/...` name (loaded with
         * `kind load docker-image`) skips Knative's tag resolution.
         */
        monitorImage: pinnedImageRef("registry.example.com/inferstack/monitor:0.1.0").optional(),
        /**
         * Image of the explainer and adversarial detector (services/explainer), built by `npm run explainer:image`;
         * the pinned reference in components/versions.ts when unset. A model's `explainer.image` overrides it.
         */
        explainerImage: pinnedImageRef("registry.example.com/inferstack/explainer:0.1.0").optional(),
    })
    .strict()
    .default({ enabled: true, retention: "24h", prometheusReplicas: 1, grafana: true });

/** A model's `monitoring` block: drift, outliers and accuracy from feedback, watched by the model monitor. */
export const monitorSettingsSchema = z
    .object({
        enabled: z.boolean().default(true),
        task: z.enum(["classification", "regression"]).default("classification"),
        features: z.array(z.object({ name: z.string().min(1), type: z.enum(["numeric", "categorical"]).default("numeric") }).strict()).min(1, "must list at least one feature"),
        /** Reference sample: `s3://<bucket>/<key>` in the object store, or inline rows. */
        reference: z.union([z.object({ uri: z.string().startsWith("s3://", "must be an s3:// URI") }).strict(), z.object({ inline: z.array(z.array(z.number())).min(2) }).strict()]),
        driftPValue: z.number().gt(0).lt(1).default(0.05),
        windowSize: z.number().int().min(10).default(1000),
        outlierQuantile: z.number().gt(0.5).lt(1).default(0.99),
        /** Alert thresholds. */
        alerts: z
            .object({
                outlierRate: z.number().gt(0).lt(1).default(0.05),
                minAccuracy: z.number().gt(0).lt(1).default(0.8),
                maxP95LatencySeconds: z.number().gt(0).default(1),
            })
            .strict()
            .default({ outlierRate: 0.05, minAccuracy: 0.8, maxP95LatencySeconds: 1 }),
    })
    .strict()
    .superRefine((m, ctx) => {
        // The monitor's split-conformal threshold flags clean traffic at a rate of at most 1 - outlierQuantile, and
        // needs q / (1 - q) calibration rows (every other reference row) for that guarantee.
        const q = m.outlierQuantile;
        const need = outlierMinimumRows(q);
        if ("inline" in m.reference && m.reference.inline.length < need) {
            ctx.addIssue({ code: "custom", path: ["reference", "inline"], message: `has ${m.reference.inline.length} rows, too few for outlierQuantile ${q}: at least ${need} are needed (or lower outlierQuantile)` });
        }
        if (m.alerts.outlierRate <= 1 - q) {
            ctx.addIssue({ code: "custom", path: ["alerts", "outlierRate"], message: `must be above 1 - outlierQuantile (${+(1 - q).toFixed(6)}): clean traffic is flagged at up to that rate, so the alert would fire on it` });
        }
    });

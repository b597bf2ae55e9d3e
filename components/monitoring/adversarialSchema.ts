/**
 * A model's `adversarial` config block (schema fragment) and what the AdversarialDetector component reads of a model
 * entry. SDK-free, so the model schema can compose it without loading the component.
 */
import { z } from "zod";

/**
 * Prefix of the CloudEvent ids of inferstack's own predictor calls: the explainer and the detector send `Ce-Id:
 * inferstack-<caller>-<uuid>` (services/explainer/src/predictor.ts), and KServe's logger uses that header as the
 * logged events' id (kserve/kserve@v0.20.0:pkg/logger/handler.go, getOrCreateID).
 */
export const ownCallIdPrefix = "inferstack-";

/**
 * A model's `adversarial` settings (config schema fragment): feature-squeezing detection of its requests. The
 * features and squeeze ranges come from the model's monitoring block (features, reference sample) unless given.
 */
export const adversarialSettingsSchema = z
    .object({
        enabled: z.boolean().default(true),
        /** Fraction of requests scored; each costs the predictor one extra call carrying 1 + squeezers copies of the instances. */
        sampleRate: z.number().gt(0).max(1).default(0.1),
        /**
         * Score (L1 distance between the predictions on an instance and on its squeezed copy) above which it is flagged.
         * Unset (default): calibrated by the detector at start on the monitoring reference sample, so that clean inputs
         * are flagged at a rate of at most `falsePositiveRate` (the paper picks its threshold the same way).
         */
        threshold: z.number().gt(0).optional(),
        /** Target false-positive rate of the calibrated threshold (the reference needs at least 1/rate - 1 rows). */
        falsePositiveRate: z.number().gt(0).lt(1).default(0.01),
        /** Bit depths of the squeezers (bit-depth reduction over each feature's reference range); the score is the largest. */
        bitDepths: z.array(z.number().int().min(1).max(16)).min(1).max(4).default([4]),
        /** Per-feature [min, max] to squeeze over; default: the range of the monitoring reference sample. */
        ranges: z.array(z.tuple([z.number(), z.number()])).optional(),
        /** Alert when more than this fraction of scored instances is flagged (10-minute window, at least minScored). */
        alertFlaggedRate: z.number().gt(0).lt(1).default(0.05),
        /** Scored instances the 10-minute window must hold before the flagged-rate alert judges. */
        minScored: z.number().int().min(1).default(20),
    })
    .strict()
    .superRefine((a, ctx) => {
        if (a.threshold === undefined && a.alertFlaggedRate <= a.falsePositiveRate) {
            ctx.addIssue({ code: "custom", path: ["alertFlaggedRate"], message: `must be above falsePositiveRate (${a.falsePositiveRate}): clean traffic is flagged at up to that rate, so the alert would fire on it` });
        }
    });
export type AdversarialSettings = z.infer<typeof adversarialSettingsSchema>;

/** A model the detector watches. */
export interface AdversarialModel {
    /** InferenceService name (the `inferenceservicename` extension of its events). */
    name: string;
    /** The predictor's protocol (what `POST` the detector sends it). */
    protocol: "v1" | "v2";
    /** Feature names in instance order. */
    features: string[];
    /** Where the squeeze ranges come from when `settings.ranges` is unset: the monitoring reference sample. */
    reference?: { uri: string } | { inline: number[][] };
    /** The model's `adversarial` block (sampling, squeezers, threshold or its calibration, alert thresholds). */
    settings: AdversarialSettings;
}

/** What of a model entry adversarial detection reads (structurally the model schema's entry). */
export interface AdversarialModelEntry {
    /** InferenceService name. */
    name: string;
    /** Request/response logging: the detector needs the request events. */
    logging?: "all" | "request" | "response" | "off";
    /** The model's `adversarial` block, when it has one. */
    adversarial?: AdversarialSettings;
    /** The model's monitoring block: its features and reference sample. */
    monitoring?: { features: { name: string }[]; reference: { uri: string } | { inline: number[][] } };
}

/**
 * Cross-key rules of a model's `adversarial` block, for the model schema's superRefine: it needs the model's
 * request events and its monitoring block (features, and the reference sample unless ranges are given).
 */
export function checkAdversarialSettings(m: AdversarialModelEntry, ctx: z.RefinementCtx): void {
    const a = m.adversarial;
    if (!a?.enabled) return;
    if (m.logging === "off" || m.logging === "response") {
        ctx.addIssue({ code: "custom", path: ["adversarial"], message: `needs the model's request events, but logging is ${m.logging}: set logging to all or request` });
    }
    if (!m.monitoring) {
        ctx.addIssue({ code: "custom", path: ["adversarial"], message: "needs the model's monitoring block (its features, and its reference sample for the squeeze ranges)" });
        return;
    }
    const reference = m.monitoring.reference;
    const need = calibrationMinimumRows(a.falsePositiveRate);
    if (a.threshold === undefined && "inline" in reference && reference.inline.length < need) {
        ctx.addIssue({ code: "custom", path: ["adversarial", "falsePositiveRate"], message: `needs at least ${need} reference rows to calibrate the threshold on, and monitoring.reference.inline has ${reference.inline.length}: raise falsePositiveRate, add rows, or set threshold` });
    }
    if (a.ranges && a.ranges.length !== m.monitoring.features.length) {
        ctx.addIssue({ code: "custom", path: ["adversarial", "ranges"], message: `has ${a.ranges.length} entries, expected ${m.monitoring.features.length} (one per monitoring feature)` });
    }
    a.ranges?.forEach(([lo, hi], i) => {
        if (!(lo < hi)) ctx.addIssue({ code: "custom", path: ["adversarial", "ranges", i], message: `must be [min, max] with min < max, got [${lo}, ${hi}]` });
    });
}

/** The detector's view of a model entry with `adversarial.enabled` (after checkAdversarialSettings passed). */
export function adversarialModelOf(m: AdversarialModelEntry, protocol: "v1" | "v2"): AdversarialModel {
    if (!m.adversarial || !m.monitoring) throw new Error(`model ${m.name}: adversarial detection needs its adversarial and monitoring blocks`);
    return { name: m.name, protocol, features: m.monitoring.features.map((f) => f.name), reference: m.monitoring.reference, settings: m.adversarial };
}

/** Reference rows the detector scores to calibrate a threshold (a seeded subsample; more when the rate needs more). */
export const calibrationRows = 500;

/**
 * Fewest reference scores a threshold at this false-positive rate can be calibrated on: the ceil((n + 1)(1 - rate))-th
 * smallest of n must exist, so n >= 1/rate - 1 (the detector's own rule, services/explainer/src/config.ts).
 */
export function calibrationMinimumRows(rate: number): number {
    return Math.ceil(1 / rate - 1 - 1e-9);
}

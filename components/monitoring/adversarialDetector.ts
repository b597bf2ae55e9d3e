import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { EVENT_TYPES } from "../../services/monitor/src/eventTypes";
import type { InferenceBroker } from "../knative/inferenceBroker";
import type { KnativeServing } from "../knative/knativeServing";
import { awaitReadyAnnotation, partOfLabel, readyTimeouts } from "../kubernetes";
import { restrictedSecurityContext } from "../podSecurity";
import { versions } from "../versions";
import { adversarialAlertRules } from "./adversarialAlertRules";
import { adversarialDashboard } from "./modelDashboard";

/** Name of the detector's Knative Service (and its PodMonitor, which the metric catalogue's `scrapedBy` names). */
export const adversarialDetectorName = "adversarial-detector";

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

/**
 * The detector's arguments. The cluster's Kubernetes provider is not one of them: like every component, the detector
 * inherits it through `parent` (the Platform's `providers`), or takes it as `{ provider }` in its options.
 */
export interface AdversarialDetectorArgs {
    /** Namespace of the models and the Broker; the detector runs there too. */
    namespace: pulumi.Input<string>;
    /** The Broker the models log to: its name, its dead-letter sink, and the Broker resource the Triggers wait for. */
    broker: Pick<InferenceBroker, "brokerName" | "deadLetterSink" | "broker">;
    /** The Serving install: the detector is a Knative Service and waits for it to be Ready. */
    serving: Pick<KnativeServing, "serving">;
    /** The models to watch (at least one). */
    models: AdversarialModel[];
    /** S3-compatible endpoint and the Secret with its keys, for `s3://` reference samples (Minio). */
    s3?: { endpoint: pulumi.Input<string>; credentialsSecretName: pulumi.Input<string> };
    /** Image of the explainer/detector service (the pinned `versions.images.explainer` when unset). */
    image?: string;
    /** Label a ConfigMap needs for Grafana's sidecar to load it as a dashboard. */
    dashboardLabel: Record<string, string>;
    /** Replicas bounds of the detector's Knative Service (default 0..3: it is stateless and scales to zero). */
    scale?: { min: number; max: number };
    /** The Prometheus install: the PodMonitor's and PrometheusRules' CRDs and operator come from it. */
    dependsOn: pulumi.Input<pulumi.Resource>[];
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

/** The detector's config file (services/explainer README, DETECTOR_CONFIG) for the models; predictors by their in-cluster host. */
export function detectorConfig(models: AdversarialModel[], namespace: string) {
    return {
        reply: "flagged",
        models: Object.fromEntries(
            models.map((m) => {
                let source: object | undefined;
                // The reference gives the squeeze ranges (unless configured) and the rows a calibrated threshold comes from.
                const needsReference = !m.settings.ranges || m.settings.threshold === undefined;
                if (needsReference && !m.reference) throw new Error(`adversarial detection of ${m.name}: no reference sample to take the ranges from or calibrate the threshold on`);
                if (m.reference) {
                    if ("uri" in m.reference) {
                        const [bucket, ...key] = m.reference.uri.slice("s3://".length).split("/");
                        source = { s3: { bucket, key: key.join("/") } };
                    } else source = { inline: m.reference.inline };
                }
                return [
                    m.name,
                    {
                        // KServe names the predictor's Knative Service <isvc>-predictor; in-namespace, over the cluster-local route.
                        predictorHost: `${m.name}-predictor.${namespace}`,
                        protocol: m.protocol,
                        features: m.features,
                        ...(m.settings.ranges ? { ranges: m.settings.ranges } : {}),
                        ...(source ? { reference: source } : {}),
                        squeezers: m.settings.bitDepths.map((bitDepth) => ({ bitDepth })),
                        ...(m.settings.threshold !== undefined ? { threshold: m.settings.threshold } : { calibration: { falsePositiveRate: m.settings.falsePositiveRate, rows: Math.max(calibrationRows, calibrationMinimumRows(m.settings.falsePositiveRate)) } }),
                        sampleRate: m.settings.sampleRate,
                    },
                ];
            }),
        ),
    };
}

/**
 * Adversarial-input detection (feature squeezing, services/explainer in `adversarial-detector` mode) for one
 * namespace: a Knative Service fed by one Trigger per watched model on the Broker's inference request events
 * (`filters`: the model's request type, minus the platform's own predictor calls, so the detector never scores its
 * own squeezed copies or the explainer's coalitions), with the Broker's dead-letter sink; a PodMonitor; per model a
 * PrometheusRule (flagged rate, detector failing) and a Grafana dashboard. Flagged requests are answered with an
 * `io.inferstack.adversarial.flagged` CloudEvent, which the Broker routes to whatever subscribes to that type.
 *
 * Stateless (every event is scored on its own), so unlike the monitor it scales, to zero too.
 */
export class AdversarialDetector extends pulumi.ComponentResource {
    /** In-cluster URL of the detector. */
    public readonly url: pulumi.Output<string>;
    /** Names of the Triggers, one per watched model. */
    public readonly triggerNames: string[];

    constructor(name: string, args: AdversarialDetectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:monitoring:AdversarialDetector", name, {}, opts);
        if (args.models.length === 0) throw new pulumi.ResourceError("AdversarialDetector: models must list at least one model", this);
        const seen = new Set<string>();
        for (const m of args.models) {
            if (seen.has(m.name)) throw new pulumi.ResourceError(`AdversarialDetector: model ${m.name} is listed twice`, this);
            seen.add(m.name);
        }
        const scale = args.scale ?? { min: 0, max: 3 };
        const child = { parent: this, dependsOn: args.dependsOn };
        const gated = { parent: this, customTimeouts: readyTimeouts.controlPlane };
        const serviceName = adversarialDetectorName;
        const labels = { "app.kubernetes.io/name": serviceName, ...partOfLabel };
        const namespace = pulumi.output(args.namespace);
        const configJson = namespace.apply((ns) => JSON.stringify(detectorConfig(args.models, ns), null, 2));

        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: { name: `${serviceName}-config`, namespace: args.namespace, labels }, data: { "config.json": configJson } },
            { parent: this },
        );
        const service = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "serving.knative.dev/v1",
                kind: "Service",
                metadata: { name: serviceName, namespace: args.namespace, labels, annotations: awaitReadyAnnotation },
                spec: {
                    template: {
                        metadata: {
                            labels,
                            annotations: configJson.apply((json) => ({
                                "autoscaling.knative.dev/min-scale": String(scale.min),
                                "autoscaling.knative.dev/max-scale": String(scale.max),
                                // A config change must roll a new revision (a ConfigMap edit alone would not).
                                "inferstack.io/config-sha256": createHash("sha256").update(json).digest("hex"),
                            })),
                        },
                        spec: {
                            containers: [
                                {
                                    name: "detector",
                                    image: args.image ?? versions.images.explainer,
                                    ports: [{ containerPort: 8080 }],
                                    env: [
                                        { name: "INFERSTACK_MODE", value: "adversarial-detector" },
                                        { name: "DETECTOR_CONFIG_FILE", value: "/etc/inferstack/config.json" },
                                        ...(args.s3 ? [{ name: "S3_ENDPOINT", value: args.s3.endpoint }, { name: "S3_USE_HTTPS", value: "0" }] : []),
                                    ],
                                    envFrom: args.s3 ? [{ secretRef: { name: args.s3.credentialsSecretName } }] : undefined,
                                    readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
                                    livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
                                    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
                                    securityContext: { ...restrictedSecurityContext, runAsUser: 1000 },
                                    volumeMounts: [{ name: "config", mountPath: "/etc/inferstack", readOnly: true }],
                                },
                            ],
                            volumes: [{ name: "config", configMap: { name: config.metadata.name } }],
                        },
                    },
                },
            },
            { ...gated, dependsOn: [args.serving.serving] },
        );
        const subscriber = { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: serviceName } };
        const delivery = { deadLetterSink: { ref: args.broker.deadLetterSink }, retry: 3, backoffPolicy: "exponential", backoffDelay: "PT0.5S" };
        this.triggerNames = [];
        for (const model of args.models) {
            const triggerName = `${model.name}-adversarial`;
            this.triggerNames.push(triggerName);
            new k8s.apiextensions.CustomResource(
                `${name}-${model.name}-trigger`,
                {
                    apiVersion: "eventing.knative.dev/v1",
                    kind: "Trigger",
                    metadata: { name: triggerName, namespace: args.namespace, labels: { ...labels, "inferstack.io/model": model.name }, annotations: awaitReadyAnnotation },
                    spec: {
                        broker: args.broker.brokerName,
                        // Subscriptions API filters (GA in Knative Eventing's channel-based and Kafka brokers): an exact
                        // match on the request type and the model, and not the platform's own predictor calls.
                        filters: [{ exact: { type: EVENT_TYPES.request, inferenceservicename: model.name } }, { not: { prefix: { id: ownCallIdPrefix } } }],
                        subscriber,
                        delivery,
                    },
                },
                { ...gated, dependsOn: [args.broker.broker, service] },
            );
            new k8s.apiextensions.CustomResource(
                `${name}-${model.name}-rules`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PrometheusRule",
                    metadata: { name: `${model.name}-adversarial-alerts`, namespace: args.namespace, labels: { ...labels, "inferstack.io/model": model.name } },
                    spec: namespace.apply((ns) => adversarialAlertRules({ model: model.name, namespace: ns, flaggedRate: model.settings.alertFlaggedRate, minScored: model.settings.minScored })),
                },
                child,
            );
            new k8s.core.v1.ConfigMap(
                `${name}-${model.name}-dashboard`,
                {
                    metadata: { name: `${model.name}-adversarial-dashboard`, namespace: args.namespace, labels: { ...labels, "inferstack.io/model": model.name, ...args.dashboardLabel } },
                    data: namespace.apply((ns) => ({ [`${model.name}-adversarial.json`]: JSON.stringify(adversarialDashboard({ model: model.name, namespace: ns })) })),
                },
                { parent: this },
            );
        }
        new k8s.apiextensions.CustomResource(
            `${name}-podmonitor`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PodMonitor",
                metadata: { name: serviceName, namespace: args.namespace, labels },
                spec: {
                    selector: { matchLabels: { "serving.knative.dev/service": serviceName } },
                    podMetricsEndpoints: [{ portNumber: 8080, path: "/metrics", interval: "30s" }],
                },
            },
            child,
        );
        this.url = pulumi.interpolate`http://${serviceName}.${args.namespace}.svc.cluster.local`;
        this.registerOutputs({ url: this.url, triggerNames: this.triggerNames });
    }
}

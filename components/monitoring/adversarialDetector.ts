import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EVENT_TYPES } from "../../services/shared/eventTypes";
import type { InferenceBroker } from "../knative/inferenceBroker";
import type { KnativeServing } from "../knative/knativeServing";
import { awaitReadyAnnotation, partOfLabel, readyTimeouts } from "../kubernetes";
import { versions } from "../versions";
import { adversarialAlertRules } from "./adversarialAlertRules";
import { brokerTriggerSpec, configuredService, serviceConfigDir, servicePodMonitor } from "./brokerService";
import { type AdversarialModel, calibrationMinimumRows, calibrationRows } from "./adversarialSchema";
import { adversarialDashboard } from "./modelDashboard";

/** Name of the detector's Knative Service (and its PodMonitor, which the metric catalogue's `scrapedBy` names). */
export const adversarialDetectorName = "adversarial-detector";



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
        const serviceArgs = {
            serviceName,
            namespace: args.namespace,
            labels,
            configMapName: config.metadata.name,
            configJson,
            scale,
            container: {
                name: "detector",
                image: args.image ?? versions.images.explainer,
                env: [
                    { name: "INFERSTACK_MODE", value: "adversarial-detector" },
                    { name: "DETECTOR_CONFIG_FILE", value: `${serviceConfigDir}/config.json` },
                ],
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
            },
            s3: args.s3,
        };
        const service = configuredService(name, serviceArgs, { ...gated, dependsOn: [args.serving.serving] });
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
                    // The model's request events, minus the platform's own predictor calls.
                    spec: brokerTriggerSpec(args.broker.brokerName, { type: EVENT_TYPES.request, inferenceservicename: model.name }, serviceName, args.broker.deadLetterSink),
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
        servicePodMonitor(`${name}-podmonitor`, serviceArgs, child);
        this.url = pulumi.interpolate`http://${serviceName}.${args.namespace}.svc.cluster.local`;
        this.registerOutputs({ url: this.url, triggerNames: this.triggerNames });
    }
}

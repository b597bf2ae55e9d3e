import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EVENT_TYPES } from "../../services/shared/eventTypes";
import type { ModelConfig } from "../models/modelSchema";
import { InferenceBroker } from "../knative/inferenceBroker";
import { KnativeServing } from "../knative/knativeServing";
import { awaitReadyAnnotation, partOfLabel, readyTimeouts } from "../kubernetes";
import { versions } from "../versions";
import { brokerTriggerSpec, configuredService, serviceConfigDir, servicePodMonitor } from "./brokerService";
import { modelDashboard } from "./modelDashboard";

/** The CloudEvent types KServe's logger emits; Triggers pass only these, so the monitor's replies never loop. */
export const inferenceEventTypes = [EVENT_TYPES.request, EVENT_TYPES.response] as const;
/** CloudEvent type of labels sent through the Broker instead of POST /feedback. */
export const feedbackEventType = EVENT_TYPES.feedback;

/** A model to monitor: its name and its monitoring settings from the stack config. */
export interface MonitoredModel {
    /** InferenceService name (the `inferenceservicename` extension of its events). */
    name: string;
    /** Features, reference sample, thresholds. */
    settings: NonNullable<ModelConfig["monitoring"]>;
}

export interface ModelMonitorArgs {
    /** Namespace of the models and the Broker; the monitor runs there too. */
    namespace: pulumi.Input<string>;
    /** The Broker the models log to; the Triggers wait for it to be Ready. */
    broker: InferenceBroker;
    /** The Serving install; the monitor is a Knative Service and waits for it to be Ready. */
    serving: KnativeServing;
    /** The models to monitor (at least one). */
    models: MonitoredModel[];
    /** S3-compatible endpoint for `s3://` reference samples, and the Secret with its keys (Minio). */
    s3?: { endpoint: pulumi.Input<string>; credentialsSecretName: pulumi.Input<string> };
    /** Image of the monitor service (the pinned `versions.images.monitor` when unset). */
    image?: string;
    /** Label a ConfigMap needs for Grafana's sidecar to load it as a dashboard. */
    dashboardLabel: Record<string, string>;
    /** The Prometheus install: the PodMonitor's CRD and operator come from it. */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The monitor service's config file (see services/monitor/README.md). */
export function monitorConfig(models: MonitoredModel[]) {
    return {
        models: Object.fromEntries(
            models.map(({ name, settings: s }) => {
                let reference: object;
                if ("uri" in s.reference) {
                    const [bucket, ...key] = s.reference.uri.slice("s3://".length).split("/");
                    reference = { s3: { bucket, key: key.join("/") } };
                } else {
                    reference = { inline: s.reference.inline };
                }
                return [
                    name,
                    {
                        features: s.features,
                        task: s.task,
                        reference,
                        drift: { windowSize: s.windowSize, pValue: s.driftPValue, correction: "bonferroni", minSamples: Math.min(50, s.windowSize) },
                        outlier: { quantile: s.outlierQuantile },
                    },
                ];
            }),
        ),
    };
}

/**
 * The open model monitor (services/monitor) for one namespace: a Knative Service fed by Triggers on the Broker's
 * inference events of each monitored model, plus per model a PrometheusRule (drift, outliers, feedback accuracy,
 * canary errors and latency, not ready) and a Grafana dashboard.
 *
 * The monitor keeps its windows and request/response joins in memory, so it runs exactly one replica.
 */
export class ModelMonitor extends pulumi.ComponentResource {
    /** In-cluster URL of the monitor (POST /feedback here). */
    public readonly url: pulumi.Output<string>;
    /** Feedback endpoint. */
    public readonly feedbackUrl: pulumi.Output<string>;

    constructor(name: string, args: ModelMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:monitoring:ModelMonitor", name, {}, opts);
        if (args.models.length === 0) throw new pulumi.ResourceError("ModelMonitor: models must list at least one model", this);
        const child = { parent: this, dependsOn: args.dependsOn };
        // The Knative Service and the Triggers are readiness-gated (`up` ends with the monitor subscribed), each
        // after the controller that serves it; a Trigger turns Ready once its subscriber (the monitor) resolves.
        const gated = { parent: this, customTimeouts: readyTimeouts.controlPlane };
        const serviceName = "model-monitor";
        const labels = { "app.kubernetes.io/name": serviceName, ...partOfLabel };
        const configJson = JSON.stringify(monitorConfig(args.models), null, 2);

        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: { name: `${serviceName}-config`, namespace: args.namespace, labels }, data: { "config.json": configJson } },
            child,
        );
        const serviceArgs = {
            serviceName,
            namespace: args.namespace,
            labels,
            configMapName: config.metadata.name,
            configJson,
            // One replica: the windows live in its memory.
            scale: { min: 1, max: 1 },
            container: {
                name: "monitor",
                image: args.image ?? versions.images.monitor,
                env: [{ name: "MONITOR_CONFIG_FILE", value: `${serviceConfigDir}/config.json` }],
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
            },
            s3: args.s3,
        };
        configuredService(name, serviceArgs, { ...gated, dependsOn: [args.serving.serving] });
        const trigger = (id: string, filter: Record<string, string>) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${id}`,
                {
                    apiVersion: "eventing.knative.dev/v1",
                    kind: "Trigger",
                    metadata: { name: id, namespace: args.namespace, labels, annotations: awaitReadyAnnotation },
                    spec: brokerTriggerSpec(args.broker.brokerName, filter, serviceName, args.broker.deadLetterSink),
                },
                { ...gated, dependsOn: [args.broker.broker] },
            );
        trigger("monitor-feedback", { type: feedbackEventType });

        servicePodMonitor(`${name}-podmonitor`, serviceArgs, child);

        for (const model of args.models) {
            const modelLabels = { ...labels, "inferstack.io/model": model.name };
            for (const type of inferenceEventTypes) {
                trigger(`${model.name}-${type.split(".").pop()}s`, { type, inferenceservicename: model.name });
            }
            const namespace = pulumi.output(args.namespace);
            new k8s.core.v1.ConfigMap(
                `${name}-${model.name}-dashboard`,
                {
                    metadata: { name: `${model.name}-dashboard`, namespace: args.namespace, labels: { ...modelLabels, ...args.dashboardLabel } },
                    data: namespace.apply((ns) => ({ [`${model.name}.json`]: JSON.stringify(modelDashboard({ model: model.name, namespace: ns })) })),
                },
                child,
            );
        }
        this.url = pulumi.interpolate`http://${serviceName}.${args.namespace}.svc.cluster.local`;
        this.feedbackUrl = pulumi.interpolate`${this.url}/feedback`;
        this.registerOutputs({ url: this.url, feedbackUrl: this.feedbackUrl });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MonitorAlertSettings, modelAlertRules } from "./modelAlertRules";
import { partOfLabel } from "../kubernetes";

export interface ModelAlertsArgs {
    /** InferenceService name. */
    model: string;
    /** Namespace of the InferenceService (the rule lives beside it). */
    namespace: pulumi.Input<string>;
    /** p95 latency (seconds) above which a revision counts as slow. */
    maxP95LatencySeconds: number;
    /** Thresholds of the monitor's rules, when the model has a monitor. */
    monitor?: MonitorAlertSettings;
    /** The Prometheus install (its CRDs must exist first). */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Label every model's PrometheusRule carries; the policy pack checks that each InferenceService has one. */
export const modelLabel = "inferstack.io/model";

/**
 * The alert rules of one model, as a PrometheusRule beside it: serving rules for every model, plus the monitor's
 * drift/outlier/feedback rules for a monitored one.
 */
export class ModelAlerts extends pulumi.ComponentResource {
    /** Name of the PrometheusRule. */
    public readonly ruleName: pulumi.Output<string>;

    constructor(name: string, args: ModelAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:monitoring:ModelAlerts", name, {}, opts);
        const rule = new k8s.apiextensions.CustomResource(
            `${name}-rules`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: {
                    name: `${args.model}-alerts`,
                    namespace: args.namespace,
                    labels: { ...partOfLabel, [modelLabel]: args.model },
                },
                spec: pulumi.output(args.namespace).apply((namespace) =>
                    modelAlertRules({ model: args.model, namespace, maxP95LatencySeconds: args.maxP95LatencySeconds, monitor: args.monitor }),
                ),
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.ruleName = rule.metadata.name;
        this.registerOutputs({ ruleName: this.ruleName });
    }
}

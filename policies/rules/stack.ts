/** Stack-wide guardrails: what must exist beside each model and each Trigger. */
import type { StackValidationPolicy } from "@pulumi/policy";
import { KubernetesObject, objectName, types } from "./kubernetes";

/** A Trigger's inputs, the part read here. */
interface Trigger extends KubernetesObject {
    spec?: { delivery?: { deadLetterSink?: { ref?: unknown; uri?: string } } };
}

/** Label a PrometheusRule carries to say which model it covers. */
export const modelLabel = "inferstack.io/model";

export const modelsHaveAlertRules: StackValidationPolicy = {
    name: "models-have-alert-rules",
    description: `Every InferenceService has a PrometheusRule labelled ${modelLabel}=<model> in its namespace (not-ready and canary alerts at least).`,
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const rules = args.resources.filter((r) => r.type === types.prometheusRule);
        for (const isvc of args.resources.filter((r) => r.type === types.inferenceService)) {
            const meta = (isvc.props as KubernetesObject).metadata ?? {};
            const covered = rules.some((r) => {
                const ruleMeta = (r.props as KubernetesObject).metadata ?? {};
                return ruleMeta.labels?.[modelLabel] === meta.name && ruleMeta.namespace === meta.namespace;
            });
            if (!covered) {
                report(`InferenceService ${objectName(isvc.props, isvc.name)} has no alert rules; turn monitoring.enabled on for the stack (every model then gets a PrometheusRule).`, isvc.urn);
            }
        }
    },
};

export const triggersHaveDeadLetterSink: StackValidationPolicy = {
    name: "triggers-have-dead-letter-sink",
    description: "Every Trigger has a dead-letter sink, so events its subscriber cannot take are kept, not dropped.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const t of args.resources.filter((r) => r.type === types.trigger)) {
            const sink = (t.props as Trigger).spec?.delivery?.deadLetterSink;
            if (!sink?.["ref"] && !sink?.["uri"]) report(`Trigger ${objectName(t.props, t.name)} has no spec.delivery.deadLetterSink; point it at the Broker's dead-letter service.`, t.urn);
        }
    },
};

export const stackPolicies = [modelsHaveAlertRules, triggersHaveDeadLetterSink];

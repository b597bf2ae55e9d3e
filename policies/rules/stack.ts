/** Stack-wide guardrails: what must exist beside each model and each Trigger. */
import type { StackValidationPolicy } from "@pulumi/policy";
import { objectName, types } from "./kubernetes";

/** Label a PrometheusRule carries to say which model it covers. */
export const modelLabel = "inferstack.io/model";

export const modelsHaveAlertRules: StackValidationPolicy = {
    name: "models-have-alert-rules",
    description: `Every InferenceService has a PrometheusRule labelled ${modelLabel}=<model> in its namespace (not-ready and canary alerts at least).`,
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const rules = args.resources.filter((r) => r.type === types.prometheusRule);
        for (const isvc of args.resources.filter((r) => r.type === types.inferenceService)) {
            const name = isvc.props["metadata"]?.["name"];
            const namespace = isvc.props["metadata"]?.["namespace"];
            const covered = rules.some((r) => r.props["metadata"]?.["labels"]?.[modelLabel] === name && r.props["metadata"]?.["namespace"] === namespace);
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
            const sink = t.props["spec"]?.["delivery"]?.["deadLetterSink"];
            if (!sink?.["ref"] && !sink?.["uri"]) report(`Trigger ${objectName(t.props, t.name)} has no spec.delivery.deadLetterSink; point it at the Broker's dead-letter service.`, t.urn);
        }
    },
};

export const stackPolicies = [modelsHaveAlertRules, triggersHaveDeadLetterSink];

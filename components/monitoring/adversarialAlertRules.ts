/**
 * Alert rules on the adversarial-input detector's metrics (services/explainer in `adversarial-detector` mode,
 * metric names in services/explainer/src/metrics.ts and test/upstream/metrics/catalogue.json), as a PrometheusRule
 * spec per model. Pure (no resources), so test/adversarial.test.ts runs `promtool test rules` on them.
 *
 * The detector scores a sampled fraction of requests, so the rules judge rates over sampled instances and only with
 * enough of them in the window: on little traffic a single flagged instance would be a large "rate".
 */
export interface AdversarialAlertSettings {
    /** InferenceService name. */
    model: string;
    /** Namespace of the InferenceService (and of the detector). */
    namespace: string;
    /** Fraction of scored instances flagged above which to alert (clean traffic: about the calibration false-positive rate). */
    flaggedRate: number;
    /** Scored instances the 10-minute window must hold before the flagged-rate rule judges. */
    minScored: number;
}

/** Error reasons that mean the detector could not score (predictor or detector trouble), not bad input. */
export const detectorFailureReasons = ["predictor_unavailable", "predictor_error", "timeout", "not_ready", "internal"] as const;

export function adversarialAlertRules(s: AdversarialAlertSettings) {
    const m = `model="${s.model}"`;
    const labels = (severity: string) => ({ severity, model: s.model, namespace: s.namespace });
    const failures = `sum(rate(inferstack_adversarial_event_errors_total{${m}, reason=~"${detectorFailureReasons.join("|")}"}[10m]))`;
    const scoredEvents = `sum(rate(inferstack_adversarial_events_total{${m}, outcome="scored"}[10m]))`;
    return {
        groups: [
            {
                name: `inferstack-adversarial-${s.model}`,
                rules: [
                    {
                        alert: "InferstackAdversarialInputsHigh",
                        expr:
                            `sum(rate(inferstack_adversarial_flagged_instances_total{${m}}[10m])) / sum(rate(inferstack_adversarial_scored_instances_total{${m}}[10m])) > ${s.flaggedRate}` +
                            ` and sum(increase(inferstack_adversarial_scored_instances_total{${m}}[10m])) >= ${s.minScored}`,
                        for: "10m",
                        labels: labels("warning"),
                        annotations: {
                            summary: `Many inputs to model ${s.model} look adversarial`,
                            description: `More than ${s.flaggedRate * 100}% of the sampled instances sent to ${s.model} change prediction when feature-squeezed (score above the model's threshold). Check the flagged requests (io.inferstack.adversarial.flagged events) and their sources.`,
                        },
                    },
                    {
                        alert: "InferstackAdversarialDetectorFailing",
                        // `or vector(0)`: when every sampled event fails there is no "scored" series at all, and the ratio is 1.
                        expr: `${failures} / ((${scoredEvents} or vector(0)) + ${failures}) > 0.2`,
                        for: "15m",
                        labels: labels("warning"),
                        annotations: {
                            summary: `The adversarial detector cannot score requests of model ${s.model}`,
                            description: `Over 20% of the sampled request events of ${s.model} fail in the detector (predictor unreachable, failing or slow); they are retried and then go to the Broker's dead-letter sink. kubectl logs -l serving.knative.dev/service=adversarial-detector tells why.`,
                        },
                    },
                ],
            },
        ],
    };
}

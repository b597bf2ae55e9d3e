import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { versions } from "../versions";
import { awaitReadyAnnotation, partOfLabel, readyTimeouts } from "../kubernetes";
import { restrictedSecurityContext } from "../podSecurity";
import { KnativeEventing } from "./knativeEventing";
import { KnativeServing } from "./knativeServing";

export interface InferenceBrokerArgs {
    /** The Eventing install (broker class, its config and ingress host); the Broker waits for it to be Ready. */
    eventing: KnativeEventing;
    /** The Serving install; the dead-letter sink is a Knative Service and waits for it to be Ready. */
    serving: KnativeServing;
    /** Namespace of the Broker: the one the InferenceServices log from. */
    namespace: pulumi.Input<string>;
    /** Broker name. Default: default. */
    brokerName?: string;
    /** Delivery attempts before an event goes to the dead-letter sink. */
    retry: number;
}

/** A Knative Service reference, as Knative's `Destination.ref` takes it. */
export interface ServiceRef {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
}

/**
 * The Broker that receives every model's request/response events, with a dead-letter sink for events
 * that no subscriber could take after the retries.
 */
export class InferenceBroker extends pulumi.ComponentResource {
    /** Broker name. */
    public readonly brokerName: string;
    /** Broker namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** In-cluster URL that takes CloudEvents (the KServe logger's target). */
    public readonly ingressUrl: pulumi.Output<string>;
    /** The dead-letter sink, for Triggers' delivery specs. */
    public readonly deadLetterSink: ServiceRef;
    /** The Broker resource (readiness-gated); Triggers wait on it. */
    public readonly broker: k8s.apiextensions.CustomResource;
    /** The dead-letter sink's Knative Service (readiness-gated). */
    public readonly deadLetterService: k8s.apiextensions.CustomResource;

    constructor(name: string, args: InferenceBrokerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:knative:InferenceBroker", name, {}, opts);
        this.brokerName = args.brokerName ?? "default";
        this.namespace = pulumi.output(args.namespace);
        const child = { parent: this, customTimeouts: readyTimeouts.controlPlane };

        // Dead letters are logged by event_display (one replica kept warm so none are lost to a cold start).
        const sinkName = `${this.brokerName}-dead-letter`;
        this.deadLetterService = new k8s.apiextensions.CustomResource(
            `${name}-dead-letter`,
            {
                apiVersion: "serving.knative.dev/v1",
                kind: "Service",
                metadata: {
                    name: sinkName,
                    namespace: args.namespace,
                    labels: { ...partOfLabel, "app.kubernetes.io/component": "dead-letter-sink" },
                    annotations: awaitReadyAnnotation,
                },
                spec: {
                    template: {
                        metadata: { annotations: { "autoscaling.knative.dev/min-scale": "1" } },
                        spec: {
                            // The sink only logs the events it receives: no Kubernetes API, so no ServiceAccount token.
                            automountServiceAccountToken: false,
                            containers: [
                                {
                                    name: "event-display",
                                    image: versions.images.eventDisplay,
                                    ports: [{ containerPort: 8080 }],
                                    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                                    securityContext: restrictedSecurityContext,
                                },
                            ],
                        },
                    },
                },
            },
            { ...child, dependsOn: [args.serving.serving] },
        );
        this.deadLetterSink = { apiVersion: "serving.knative.dev/v1", kind: "Service", name: sinkName };

        this.broker = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "eventing.knative.dev/v1",
                kind: "Broker",
                metadata: {
                    name: this.brokerName,
                    namespace: args.namespace,
                    annotations: { "eventing.knative.dev/broker.class": args.eventing.brokerClass, ...awaitReadyAnnotation },
                },
                spec: {
                    config: args.eventing.brokerConfig,
                    delivery: {
                        deadLetterSink: { ref: this.deadLetterSink },
                        retry: args.retry,
                        backoffPolicy: "exponential",
                        backoffDelay: "PT0.5S",
                    },
                },
            },
            // Ready needs Eventing's controllers and a resolvable dead-letter sink.
            { ...child, dependsOn: [args.eventing.eventing, this.deadLetterService] },
        );
        this.ingressUrl = pulumi.interpolate`http://${args.eventing.brokerIngressHost}/${this.namespace}/${this.brokerName}`;
        this.registerOutputs({ ingressUrl: this.ingressUrl, namespace: this.namespace });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awaitReadyAnnotation, platformNamespace, readyTimeouts } from "../kubernetes";
import { versions } from "../versions";
import { KnativeOperator } from "./knativeOperator";

/** Broker classes inferstack supports: in-memory channels for dev, Kafka-backed for durable environments. */
export type BrokerClass = "MTChannelBasedBroker" | "Kafka";

export interface KnativeEventingArgs {
    /** The operator that reconciles the KnativeEventing resource. */
    operator: KnativeOperator;
    /** Default class of new Brokers. */
    brokerClass: BrokerClass;
    /** Replicas of the HA parts of the control plane. */
    replicas: number;
    /** Kafka bootstrap servers; required for the Kafka broker class. */
    kafkaBootstrapServers?: string;
    /** Replication factor of the topics the Kafka broker creates. Default: 3. */
    kafkaReplicationFactor?: number;
}

/**
 * The Kafka broker's default config ConfigMap, shipped with a placeholder bootstrap server by eventing-kafka-broker's
 * controller manifest (`eventing-kafka-controller.yaml`, from control-plane/config/eventing-kafka-broker/100-broker).
 */
export const kafkaBrokerConfigName = "kafka-broker-config";

/** The data of `kafka-broker-config`: where the Kafka cluster is and how new broker topics are created. */
export function kafkaBrokerConfigData(bootstrapServers: string, replicationFactor: number): Record<string, string> {
    return {
        "bootstrap.servers": bootstrapServers,
        "default.topic.partitions": "10",
        "default.topic.replication.factor": String(replicationFactor),
    };
}

/**
 * Knative Eventing through the operator. With the Kafka class it also installs the Kafka broker's control and
 * data plane (as operator-managed additional manifests), pointed at Kafka through the operator's config overrides.
 */
export class KnativeEventing extends pulumi.ComponentResource {
    /** Namespace of Knative Eventing (where the broker ingress runs). */
    public readonly namespace: pulumi.Output<string>;
    /** The KnativeEventing resource; Brokers and Triggers wait on it for their CRDs. */
    public readonly eventing: k8s.apiextensions.CustomResource;
    /** Default broker class. */
    public readonly brokerClass: BrokerClass;
    /** The ConfigMap a Broker of the default class references (`spec.config`). */
    public readonly brokerConfig: { apiVersion: string; kind: string; name: string; namespace: string };
    /** In-cluster host of the broker ingress of the default class. */
    public readonly brokerIngressHost: string;

    constructor(name: string, args: KnativeEventingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:knative:KnativeEventing", name, {}, opts);
        if (args.brokerClass === "Kafka" && !args.kafkaBootstrapServers) {
            throw new pulumi.ResourceError("KnativeEventing: kafkaBootstrapServers is required with brokerClass Kafka", this);
        }
        const nsName = "knative-eventing";
        this.namespace = platformNamespace(name, nsName, { parent: this }).metadata.name;
        this.brokerClass = args.brokerClass;
        const kafka = args.brokerClass === "Kafka";

        this.eventing = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "operator.knative.dev/v1beta1",
                kind: "KnativeEventing",
                // Ready once the operator has rolled out Eventing (and the Kafka broker planes): Brokers wait on it.
                metadata: { name: "knative-eventing", namespace: this.namespace, annotations: awaitReadyAnnotation },
                spec: {
                    version: versions.knativeEventing,
                    defaultBrokerClass: args.brokerClass,
                    "high-availability": { replicas: args.replicas },
                    config: {
                        observability: { "metrics-protocol": "prometheus" },
                        // The Kafka controller manifest ships `kafka-broker-config` with a placeholder bootstrap server;
                        // the operator overrides the data of any ConfigMap it installs that is named here (additional
                        // manifests included), so the install has one owner: a Pulumi-owned ConfigMap of that name
                        // would fail with AlreadyExists or be reverted by the operator's next reconcile.
                        ...(kafka ? { [kafkaBrokerConfigName]: kafkaBrokerConfigData(args.kafkaBootstrapServers!, args.kafkaReplicationFactor ?? 3) } : {}),
                    },
                    ...(kafka
                        ? { additionalManifests: [{ URL: versions.kafkaBroker.controller }, { URL: versions.kafkaBroker.broker }] }
                        : {}),
                },
            },
            { parent: this, dependsOn: [args.operator.chart], customTimeouts: readyTimeouts.controlPlane },
        );

        if (kafka) {
            this.brokerConfig = { apiVersion: "v1", kind: "ConfigMap", name: kafkaBrokerConfigName, namespace: nsName };
            this.brokerIngressHost = `kafka-broker-ingress.${nsName}.svc.cluster.local`;
        } else {
            // The MT channel broker's default config (installed by Eventing): in-memory channels.
            this.brokerConfig = { apiVersion: "v1", kind: "ConfigMap", name: "config-br-default-channel", namespace: nsName };
            this.brokerIngressHost = `broker-ingress.${nsName}.svc.cluster.local`;
        }
        this.registerOutputs({ namespace: this.namespace });
    }
}

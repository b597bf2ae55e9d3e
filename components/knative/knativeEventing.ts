import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformNamespace } from "../kubernetes";
import { versions } from "../versions";
import { KnativeOperator } from "./knativeOperator";

/** Broker classes inferstack supports: in-memory channels for dev, Kafka-backed for durable environments. */
export type BrokerClass = "MTChannelBasedBroker" | "Kafka";

export interface KnativeEventingArgs {
    /** Provider of the target cluster. */
    provider: k8s.Provider;
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
 * Knative Eventing through the operator. With the Kafka class it also installs the Kafka broker's control and
 * data plane (as operator-managed additional manifests) and the broker config that points them at Kafka.
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
            throw new Error("KnativeEventing: kafkaBootstrapServers is required with brokerClass Kafka");
        }
        const nsName = "knative-eventing";
        this.namespace = platformNamespace(name, nsName, { parent: this, provider: args.provider }).metadata.name;
        this.brokerClass = args.brokerClass;
        const kafka = args.brokerClass === "Kafka";

        this.eventing = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "operator.knative.dev/v1beta1",
                kind: "KnativeEventing",
                metadata: { name: "knative-eventing", namespace: this.namespace },
                spec: {
                    version: versions.knativeEventing,
                    defaultBrokerClass: args.brokerClass,
                    "high-availability": { replicas: args.replicas },
                    config: {
                        observability: { "metrics-protocol": "prometheus" },
                    },
                    ...(kafka
                        ? { additionalManifests: [{ URL: versions.kafkaBroker.controller }, { URL: versions.kafkaBroker.broker }] }
                        : {}),
                },
            },
            { parent: this, provider: args.provider, dependsOn: [args.operator.chart] },
        );

        if (kafka) {
            new k8s.core.v1.ConfigMap(
                `${name}-kafka-broker-config`,
                {
                    metadata: { name: "kafka-broker-config", namespace: this.namespace },
                    data: {
                        "bootstrap.servers": args.kafkaBootstrapServers!,
                        "default.topic.partitions": "10",
                        "default.topic.replication.factor": String(args.kafkaReplicationFactor ?? 3),
                    },
                },
                { parent: this, provider: args.provider },
            );
            this.brokerConfig = { apiVersion: "v1", kind: "ConfigMap", name: "kafka-broker-config", namespace: nsName };
            this.brokerIngressHost = `kafka-broker-ingress.${nsName}.svc.cluster.local`;
        } else {
            // The MT channel broker's default config (installed by Eventing): in-memory channels.
            this.brokerConfig = { apiVersion: "v1", kind: "ConfigMap", name: "config-br-default-channel", namespace: nsName };
            this.brokerIngressHost = `broker-ingress.${nsName}.svc.cluster.local`;
        }
        this.registerOutputs({ namespace: this.namespace });
    }
}

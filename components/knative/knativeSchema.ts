/**
 * Config schema fragments of Knative: the platform's `inferstack:serving` and `inferstack:eventing` keys.
 */
import { z } from "zod";
import { dns1123Label, duration } from "../schemaPrimitives";

/** Knative Serving's autoscaler defaults and the control planes' replicas. */
export const servingSchema = z
    .object({
        scaleToZero: z.boolean().default(true),
        stableWindow: duration.default("60s"),
        scaleToZeroGracePeriod: duration.default("30s"),
        scaleDownDelay: duration.default("0s"),
        containerConcurrencyTarget: z.number().int().min(1).default(100),
        /** Replicas of the Knative and KServe control planes (2+ for HA). */
        controlPlaneReplicas: z.number().int().min(1, "must be at least 1").default(1),
    })
    .strict()
    .default({ scaleToZero: true, stableWindow: "60s", scaleToZeroGracePeriod: "30s", scaleDownDelay: "0s", containerConcurrencyTarget: 100, controlPlaneReplicas: 1 });

/** Knative Eventing: the Broker models log to, and its delivery. */
export const eventingSchema = z
    .object({
        brokerName: dns1123Label.default("default"),
        brokerClass: z.enum(["MTChannelBasedBroker", "Kafka"]).default("MTChannelBasedBroker"),
        /** Kafka bootstrap servers, required with brokerClass Kafka. */
        kafkaBootstrapServers: z.string().optional(),
        kafkaReplicationFactor: z.number().int().min(1).default(3),
        retry: z.number().int().min(0).max(20).default(3),
    })
    .strict()
    .refine((e) => e.brokerClass !== "Kafka" || !!e.kafkaBootstrapServers, { message: "kafkaBootstrapServers is required when brokerClass is Kafka", path: ["kafkaBootstrapServers"] })
    .default({ brokerName: "default", brokerClass: "MTChannelBasedBroker", kafkaReplicationFactor: 3, retry: 3 });

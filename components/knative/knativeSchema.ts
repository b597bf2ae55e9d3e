/**
 * Config schema fragments of Knative: the platform's `inferstack:serving` and `inferstack:eventing` keys.
 */
import { z } from "zod";
import { dns1123Label, duration } from "../schemaPrimitives";

/**
 * Knative's default `max-revision-timeout-seconds` (knative/serving@knative-v1.23.0:pkg/apis/config/defaults.go,
 * DefaultMaxRevisionTimeoutSeconds), and its default `revision-timeout-seconds` (DefaultRevisionTimeoutSeconds),
 * which the platform does not change: Knative's config-defaults refuses a maximum below it ("revision-timeout-seconds
 * (%d) cannot be greater than max-revision-timeout-seconds (%d)", same file).
 */
export const knativeDefaultMaxRevisionTimeoutSeconds = 600;
export const knativeDefaultRevisionTimeoutSeconds = 300;

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
        /**
         * Knative's `max-revision-timeout-seconds` (config-defaults): the largest `scaling.timeout` a model may set.
         * Unset: Knative's 600. Above 600, the activator's terminationGracePeriodSeconds (600 in Knative's manifests,
         * which the operator does not let the platform change) no longer covers the longest request, so a request
         * buffered by an activator that is shutting down can be cut.
         */
        maxRevisionTimeoutSeconds: z
            .number()
            .int("must be a whole number")
            .min(knativeDefaultRevisionTimeoutSeconds, `must be at least ${knativeDefaultRevisionTimeoutSeconds}: Knative's config-defaults refuses a maximum below its revision-timeout-seconds (${knativeDefaultRevisionTimeoutSeconds})`)
            .optional(),
        /** Knative's `allow-zero-initial-scale` (config-autoscaler): lets a model set `initial-scale: "0"`. */
        allowZeroInitialScale: z.boolean().default(false),
    })
    .strict()
    .default({ scaleToZero: true, stableWindow: "60s", scaleToZeroGracePeriod: "30s", scaleDownDelay: "0s", containerConcurrencyTarget: 100, controlPlaneReplicas: 1, allowZeroInitialScale: false });

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

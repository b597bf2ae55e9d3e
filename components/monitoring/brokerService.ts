/**
 * What the model monitor and the adversarial detector have in common: each is one Knative Service on the Broker,
 * reading its config from a ConfigMap, fed by Triggers with the Broker's dead-letter sink, scraped by a PodMonitor.
 * Builders of those objects, so the two components differ only in what really differs.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awaitReadyAnnotation } from "../kubernetes";
import { restrictedSecurityContext } from "../podSecurity";
import { ownCallIdPrefix } from "./adversarialSchema";

/** Where the config file is mounted in the container. */
export const serviceConfigDir = "/etc/inferstack";
/** The port every inferstack service serves on (requests, `/metrics`, probes). */
export const servicePort = 8080;

/** The service's container: what differs between the monitor and the detector. */
export interface ServiceContainer {
    name: string;
    image: string;
    /** Env vars besides the S3 ones, e.g. the config file's path (`${serviceConfigDir}/config.json`). */
    env: { name: string; value: string }[];
    resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
}

export interface ConfiguredServiceArgs {
    /** Knative Service name, also the ConfigMap's `<name>-config`. */
    serviceName: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    /** The ConfigMap's name (mounted read-only at serviceConfigDir). */
    configMapName: pulumi.Input<string>;
    /** The config's text: its hash annotates the revision, so a config change rolls a new one. */
    configJson: pulumi.Input<string>;
    scale: { min: number; max: number };
    container: ServiceContainer;
    /** Minio's S3 endpoint and key Secret, for `s3://` reference samples. */
    s3?: { endpoint: pulumi.Input<string>; credentialsSecretName: pulumi.Input<string> };
}

/** The Knative Service, awaited until Ready (pulumi.com/waitFor). */
export function configuredService(name: string, a: ConfiguredServiceArgs, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(name, { apiVersion: "serving.knative.dev/v1", kind: "Service", ...configuredServiceManifest(a) }, opts);
}

function configuredServiceManifest(a: ConfiguredServiceArgs) {
    return {
        metadata: { name: a.serviceName, namespace: a.namespace, labels: a.labels, annotations: awaitReadyAnnotation },
        spec: {
            template: {
                metadata: {
                    labels: a.labels,
                    annotations: pulumi.output(a.configJson).apply((json) => ({
                        "autoscaling.knative.dev/min-scale": String(a.scale.min),
                        "autoscaling.knative.dev/max-scale": String(a.scale.max),
                        // A config change must roll a new revision (a ConfigMap edit alone would not).
                        "inferstack.io/config-sha256": createHash("sha256").update(json).digest("hex"),
                    })),
                },
                spec: {
                    // The services never call the Kubernetes API: no ServiceAccount token in their pods (Knative
                    // 1.23's PodSpec field mask admits the field when false: pkg/apis/serving/fieldmask.go).
                    automountServiceAccountToken: false,
                    containers: [
                        {
                            name: a.container.name,
                            image: a.container.image,
                            ports: [{ containerPort: servicePort }],
                            env: [...a.container.env, ...(a.s3 ? [{ name: "S3_ENDPOINT", value: a.s3.endpoint }, { name: "S3_USE_HTTPS", value: "0" }] : [])],
                            envFrom: a.s3 ? [{ secretRef: { name: a.s3.credentialsSecretName } }] : undefined,
                            readinessProbe: { httpGet: { path: "/readyz", port: servicePort } },
                            livenessProbe: { httpGet: { path: "/healthz", port: servicePort } },
                            resources: a.container.resources,
                            // The images' USER is the numeric 1000 (services/*/Dockerfile).
                            securityContext: { ...restrictedSecurityContext, runAsUser: 1000 },
                            volumeMounts: [{ name: "config", mountPath: serviceConfigDir, readOnly: true }],
                        },
                    ],
                    volumes: [{ name: "config", configMap: { name: a.configMapName } }],
                },
            },
        },
    };
}

/**
 * A Trigger's spec: the events matching `attributes` exactly, minus the platform's own predictor calls (the
 * explainer's and the detector's, which KServe's logger logs too), to `serviceName`, with the Broker's
 * dead-letter sink. With `filters` set Knative applies only them (eventing pkg/broker/filter/filter_handler.go);
 * `filter` states the same match for readers of the older field (the policy pack).
 */
export function brokerTriggerSpec(brokerName: pulumi.Input<string>, attributes: Record<string, string>, serviceName: string, deadLetterSink: unknown) {
    return {
        broker: brokerName,
        filter: { attributes },
        filters: [{ exact: attributes }, { not: { prefix: { id: ownCallIdPrefix } } }],
        subscriber: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: serviceName } },
        delivery: { deadLetterSink: { ref: deadLetterSink }, retry: 3, backoffPolicy: "exponential", backoffDelay: "PT0.5S" },
    };
}

/** A PodMonitor for the Knative Service's revision pods, on the port the container declares. */
export function servicePodMonitor(name: string, a: Pick<ConfiguredServiceArgs, "serviceName" | "namespace" | "labels">, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        name,
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: { name: a.serviceName, namespace: a.namespace, labels: a.labels },
            spec: {
                selector: { matchLabels: { "serving.knative.dev/service": a.serviceName } },
                podMetricsEndpoints: [{ portNumber: servicePort, path: "/metrics", interval: "30s" }],
            },
        },
        opts,
    );
}

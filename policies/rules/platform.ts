/**
 * Platform posture: where workloads run and how they are reached, who is cluster-admin, and whether the
 * environment's platform services (object store, Broker, control planes, Prometheus) are as durable as it needs.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { chartName, durationSeconds, helmTypes, HelmChart, KubernetesObject, objectName, parseImage, podSpecsOf, quantity, types } from "./kubernetes";

/** The Kubernetes kinds the stack declares that live in a namespace (cluster-scoped kinds are never checked). */
const namespacedTypes: string[] = [
    types.pod,
    types.deployment,
    types.statefulSet,
    types.daemonSet,
    types.replicaSet,
    types.job,
    types.cronJob,
    types.knativeService,
    types.inferenceService,
    types.configMap,
    types.pvc,
    types.trigger,
    types.broker,
    types.prometheusRule,
    types.service,
    types.serviceAccount,
    types.roleBinding,
    types.role,
    "kubernetes:core/v1:Secret",
    "kubernetes:monitoring.coreos.com/v1:PodMonitor",
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
];

export const notInSystemNamespaces: ResourceValidationPolicy = {
    name: "workloads-not-in-system-namespaces",
    description: "Namespaced objects and Helm releases go to the platform's own namespaces, never to default, kube-system, kube-public or kube-node-lease (nor unset, which means default).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { forbiddenNamespaces: { type: "array", items: { type: "string" }, default: ["default", "kube-system", "kube-public", "kube-node-lease"] } } },
    validateResource: (args, report) => {
        const { forbiddenNamespaces } = args.getConfig<{ forbiddenNamespaces: string[] }>();
        let namespace: string | undefined;
        if (helmTypes.includes(args.type)) namespace = (args.props as HelmChart).namespace;
        else if (namespacedTypes.includes(args.type)) namespace = (args.props as KubernetesObject).metadata?.namespace;
        else return;
        const effective = namespace === undefined || namespace === "" ? "default" : namespace;
        if (forbiddenNamespaces.includes(effective)) {
            report(`${args.type.split(":").pop()} ${objectName(args.props, args.name)} goes to namespace ${namespace ? effective : "(unset, so default)"}; put it in a namespace of its own (models: the platform's model namespace).`);
        }
    },
};

/** A core/v1 Service's inputs. */
interface Service extends KubernetesObject {
    spec?: { type?: string };
}

/** Annotations that make a cloud load balancer internal (no public address). */
const internalLoadBalancer: Record<string, string[]> = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ["true", "0.0.0.0/0"],
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ["internal"],
    "networking.gke.io/load-balancer-type": ["Internal"],
    "cloud.google.com/load-balancer-type": ["Internal"],
    "service.beta.kubernetes.io/azure-load-balancer-internal": ["true"],
};

export const noPublicLoadBalancers: ResourceValidationPolicy = {
    name: "services-no-public-load-balancer",
    description:
        "No Service gets its own public cloud load balancer (type LoadBalancer without an internal annotation) or a NodePort, except the listed entry points (default: the Knative ingress gateway knative-serving/kourier, which the KnativeServing resource asks for).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { allowedLoadBalancers: { type: "array", items: { type: "string", pattern: "^[^/]+/[^/]+$" }, default: ["knative-serving/kourier"] } } },
    validateResource: (args, report) => {
        const { allowedLoadBalancers } = args.getConfig<{ allowedLoadBalancers: string[] }>();
        if (args.type === types.service) {
            const svc = args.props as Service;
            const type = svc.spec?.type ?? "ClusterIP";
            if (type !== "LoadBalancer" && type !== "NodePort") return;
            const name = `${svc.metadata?.namespace ?? "default"}/${svc.metadata?.name ?? args.name}`;
            if (allowedLoadBalancers.includes(name)) return;
            const annotations = svc.metadata?.annotations ?? {};
            if (type === "LoadBalancer" && Object.entries(internalLoadBalancer).some(([k, values]) => values.includes(annotations[k] ?? ""))) return;
            report(`Service ${name} is type ${type}: it is reachable from outside the cluster on its own. Use ClusterIP behind the Knative ingress, an internal load balancer annotation, or list it in the policy's allowedLoadBalancers.`);
        } else if (args.type === types.knativeServing) {
            const spec = (args.props as { spec?: { ingress?: { kourier?: { enabled?: boolean; "service-type"?: string } } } }).spec;
            const type = spec?.ingress?.kourier?.["service-type"];
            if (spec?.ingress?.kourier?.enabled && (type === "LoadBalancer" || type === "NodePort") && !allowedLoadBalancers.includes("knative-serving/kourier")) {
                report(`KnativeServing ${objectName(args.props, args.name)} exposes Kourier as a ${type}; list knative-serving/kourier in allowedLoadBalancers if it is the intended entry point, or use ClusterIP.`);
            }
        }
    },
};

/** An RBAC binding's inputs. */
interface Binding extends KubernetesObject {
    roleRef?: { kind?: string; name?: string };
    subjects?: { kind?: string; name?: string; namespace?: string }[];
}
/** An RBAC role's inputs. */
interface Role extends KubernetesObject {
    rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[];
}

export const noClusterAdmin: ResourceValidationPolicy = {
    name: "rbac-no-cluster-admin",
    description: "No binding grants cluster-admin, and no role the stack declares allows every verb on every resource in every API group.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const name = objectName(args.props, args.name);
        if (args.type === types.clusterRoleBinding || args.type === types.roleBinding) {
            const b = args.props as Binding;
            if (b.roleRef?.name === "cluster-admin") {
                const who = (b.subjects ?? []).map((s) => `${s.kind ?? "?"} ${s.namespace ? `${s.namespace}/` : ""}${s.name ?? "?"}`).join(", ");
                report(`${args.type.split(":").pop()} ${name} grants cluster-admin to ${who || "(no subjects)"}; bind a role with only the verbs and resources it needs.`);
            }
        } else if (args.type === types.clusterRole || args.type === types.role) {
            for (const rule of (args.props as Role).rules ?? []) {
                // Every verb on every resource of every API group is cluster-admin by another name. (An operator's
                // `*` on its own API group, as the Knative Operator has on operator.knative.dev, is not.)
                if ((rule.verbs ?? []).includes("*") && (rule.resources ?? []).includes("*") && (rule.apiGroups ?? []).includes("*")) {
                    report(`${args.type.split(":").pop()} ${name} allows every verb on every resource in every API group (cluster-admin by another name); list the API groups, resources and verbs it needs.`);
                }
            }
        }
    },
};

// ------------------------------------------------------------------------------------------------------------
// Environment posture
// ------------------------------------------------------------------------------------------------------------

/** True when the stack runs Minio: its component, or a pod running a Minio server image. */
function minioResources(resources: PolicyResource[]): PolicyResource[] {
    return resources.filter(
        (r) =>
            r.type === "inferstack:storage:MinioObjectStore" ||
            (r.type !== types.job && podSpecsOf(r.type, r.props).some((p) => p.containers.some((c) => typeof c.image === "string" && /(^|\/)minio\/minio$/.test(parseImage(c.image).repository)))),
    );
}

export const durableObjectStore: StackValidationPolicy = {
    name: "object-store-durable",
    description: "Models are stored in a managed object store (S3, GCS, Azure Blob), not in the in-cluster Minio, which keeps them on one volume of one pod.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const r of minioResources(args.resources)) {
            report(`The stack stores models in Minio (${r.name}); set objectStore.provider to s3, gcs or azure for this environment.`, r.urn);
        }
    },
};

/** A Knative Broker's inputs. */
interface Broker extends KubernetesObject {
    spec?: { config?: { kind?: string; name?: string } };
}
/** A KnativeEventing operator resource's inputs (operator.knative.dev/v1beta1). */
interface KnativeEventing extends KubernetesObject {
    spec?: { defaultBrokerClass?: string; config?: Record<string, Record<string, string> | undefined>; "high-availability"?: { replicas?: number } };
}
const brokerClassAnnotation = "eventing.knative.dev/broker.class";

export const durableBroker: StackValidationPolicy = {
    name: "eventing-broker-durable",
    description: "Brokers use a durable class (allowedBrokerClasses, default Kafka) and Kafka topics are replicated at least minKafkaReplicationFactor times.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedBrokerClasses: { type: "array", items: { type: "string" }, default: ["Kafka"] },
            minKafkaReplicationFactor: { type: "integer", minimum: 1, default: 3 },
        },
    },
    validateStack: (args, report) => {
        const { allowedBrokerClasses, minKafkaReplicationFactor } = args.getConfig<{ allowedBrokerClasses: string[]; minKafkaReplicationFactor: number }>();
        const eventing = args.resources.filter((r) => r.type === types.knativeEventing);
        const defaultClass = eventing.map((r) => (r.props as KnativeEventing).spec?.defaultBrokerClass).find((c) => c) ?? "MTChannelBasedBroker";
        for (const b of args.resources.filter((r) => r.type === types.broker)) {
            const cls = (b.props as Broker).metadata?.annotations?.[brokerClassAnnotation] ?? defaultClass;
            if (!allowedBrokerClasses.includes(cls)) {
                report(`Broker ${objectName(b.props, b.name)} is class ${cls}${cls === "MTChannelBasedBroker" ? " (in-memory channel: events are lost when its pods restart)" : ""}; set eventing.brokerClass: Kafka (with kafkaBootstrapServers) for this environment.`, b.urn);
            }
        }
        for (const e of eventing) {
            const factor = (e.props as KnativeEventing).spec?.config?.["kafka-broker-config"]?.["default.topic.replication.factor"];
            if (factor !== undefined && !(Number(factor) >= minKafkaReplicationFactor)) {
                report(`KnativeEventing ${objectName(e.props, e.name)}: kafka-broker-config default.topic.replication.factor is ${factor}; set eventing.kafkaReplicationFactor to ${minKafkaReplicationFactor} or more (one broker loss must not lose events).`, e.urn);
            }
        }
    },
};

/** cert-manager values that set the replicas of its deployments (controller, webhook, cainjector). */
const certManagerReplicaKeys = [["replicaCount"], ["webhook", "replicaCount"], ["cainjector", "replicaCount"]];

export const controlPlaneHa: StackValidationPolicy = {
    name: "control-planes-ha",
    description: "The platform's control planes run at least minReplicas replicas: Knative Serving and Eventing (high-availability.replicas) and cert-manager (controller, webhook, cainjector).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { minReplicas: { type: "integer", minimum: 1, default: 2 } } },
    validateStack: (args, report) => {
        const { minReplicas } = args.getConfig<{ minReplicas: number }>();
        for (const r of args.resources.filter((x) => x.type === types.knativeServing || x.type === types.knativeEventing)) {
            const replicas = (r.props as KnativeEventing).spec?.["high-availability"]?.replicas ?? 1;
            if (replicas < minReplicas) report(`${r.type.split(":").pop()} ${objectName(r.props, r.name)} runs ${replicas} replica(s) of each control-plane deployment; set serving.controlPlaneReplicas to ${minReplicas} or more.`, r.urn);
        }
        for (const r of args.resources.filter((x) => helmTypes.includes(x.type) && chartName(x.props as HelmChart) === "cert-manager")) {
            const values = (r.props as HelmChart).values ?? {};
            for (const path of certManagerReplicaKeys) {
                const v = path.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), values);
                const replicas = typeof v === "number" ? v : 1;
                if (replicas < minReplicas) report(`cert-manager (${r.name}) ${path.join(".")} is ${replicas}; set serving.controlPlaneReplicas to ${minReplicas} or more (it sizes cert-manager too).`, r.urn);
            }
        }
    },
};

export const prometheusRetention: StackValidationPolicy = {
    name: "prometheus-retention",
    description: "Prometheus (kube-prometheus-stack values) keeps metrics at least minRetention, on a persistent volume of at least minStorage, with at least minReplicas replicas.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minRetention: { type: "string", pattern: "^([0-9]+(ms|s|m|h|d|w|y))+$", default: "168h" },
            minStorage: { type: "string", default: "50Gi", description: "Smallest Prometheus volume (a quantity); empty: no volume required." },
            minReplicas: { type: "integer", minimum: 1, default: 1 },
        },
    },
    validateStack: (args, report) => {
        const { minRetention, minStorage, minReplicas } = args.getConfig<{ minRetention: string; minStorage: string; minReplicas: number }>();
        for (const r of args.resources.filter((x) => helmTypes.includes(x.type) && chartName(x.props as HelmChart) === "kube-prometheus-stack")) {
            const spec = ((((r.props as HelmChart).values ?? {})["prometheus"] ?? {}) as { prometheusSpec?: Record<string, unknown> }).prometheusSpec ?? {};
            // The chart's default retention is 10d.
            const retention = typeof spec["retention"] === "string" ? spec["retention"] : "10d";
            if (!(durationSeconds(retention) >= durationSeconds(minRetention))) report(`Prometheus (${r.name}) keeps metrics ${retention}; this environment needs at least ${minRetention}: raise monitoring.retention.`, r.urn);
            const storage = (spec["storageSpec"] as { volumeClaimTemplate?: { spec?: { resources?: { requests?: { storage?: string } } } } } | undefined)?.volumeClaimTemplate?.spec?.resources?.requests?.storage;
            if (minStorage && !(quantity(storage) >= quantity(minStorage))) report(`Prometheus (${r.name}) has ${storage ? `a ${storage} volume` : "no persistent volume (metrics are lost with the pod)"}; set monitoring.storageSize to ${minStorage} or more.`, r.urn);
            const replicas = typeof spec["replicas"] === "number" ? spec["replicas"] : 1;
            if (replicas < minReplicas) report(`Prometheus (${r.name}) runs ${replicas} replica(s); set monitoring.prometheusReplicas to ${minReplicas} or more.`, r.urn);
        }
    },
};

export const platformPolicies = [notInSystemNamespaces, noPublicLoadBalancers, noClusterAdmin, durableObjectStore, durableBroker, controlPlaneHa, prometheusRetention];

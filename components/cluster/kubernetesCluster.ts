import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Node count bounds of a node group. */
export interface NodeCount {
    /** Fewest nodes. */
    min: number;
    /** Most nodes. */
    max: number;
    /** Nodes at creation. */
    desired: number;
}

/** Taint and label every GPU node pool carries, on every cloud (ModelService tolerates this taint): see gpuTaint.ts. */
export { gpuNodeLabel, gpuTaint } from "./gpuTaint";

/** A node pool as the platform sees it: enough to place GPU models and to size the control planes. */
export interface NodePool {
    /** Pool (node group) name. */
    name: string;
    /** Machine type of its nodes. */
    instanceType: string;
    /** GPUs per node; 0 for CPU pools. */
    gpus: number;
    /** Labels every node of the pool carries (a GPU model selects on these). */
    labels: Record<string, string>;
    /** Taints every node of the pool carries (a GPU model tolerates these). */
    taints: { key: string; value: string; effect: string }[];
}

/**
 * What every cluster variant (existing, EKS, GKE, AKS) gives the rest of the platform.
 * The components downstream take only this, so swapping the cluster never touches them.
 */
export interface KubernetesCluster {
    /** Provider that targets the cluster; every Kubernetes object of the platform uses it. */
    readonly provider: k8s.Provider;
    /** The cluster's name. */
    readonly clusterName: pulumi.Output<string>;
    /** kubeconfig for the cluster, as a Pulumi secret (empty for an existing cluster used through its context). */
    readonly kubeconfig: pulumi.Output<string>;
    /** The node pools the platform knows about (empty for an existing cluster: they are not managed here). */
    readonly nodePools: pulumi.Output<NodePool[]>;
    /**
     * Cloud identity for the model-serving ServiceAccount, when the cluster offers one (IRSA on EKS, Workload
     * Identity on GKE/AKS). The object store variants bind to it.
     */
    readonly workloadIdentity?: WorkloadIdentity;
    /**
     * What a PersistentVolumeClaim on the cluster's default StorageClass must wait on: the storage driver and the
     * default class inferstack installs (EKS: the EBS CSI add-on and the `gp3` class). Empty where the cloud ships
     * both (GKE, AKS) and for an existing cluster (it must already have a default class). Pass it to `dependsOn` of
     * anything that claims a volume without naming a class (Prometheus, Minio), or the claim may stay Pending.
     */
    readonly storageReady: pulumi.Resource[];
    /**
     * What a pod requesting `nvidia.com/gpu` must wait on: what makes the GPU nodes advertise that resource (EKS,
     * AKS: the NVIDIA device plugin; GKE: the GPU node pool, whose driver and device plugin GKE manages). Empty
     * without a GPU pool and for an existing cluster. Pass it to `dependsOn` of GPU models.
     */
    readonly gpuReady: pulumi.Resource[];
}

/** The cluster-side half of cloud workload identity: what a cloud role must trust. */
export interface WorkloadIdentity {
    /** eks: the OIDC provider ARN; gke: the workload pool (`<project>.svc.id.goog`); aks: the OIDC issuer URL. */
    readonly issuer: pulumi.Output<string>;
    /** eks: the OIDC issuer host without scheme (for trust conditions); gke/aks: same as issuer. */
    readonly issuerHost: pulumi.Output<string>;
}

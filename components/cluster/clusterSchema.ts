/**
 * The `inferstack:cluster` config key: which Kubernetes cluster the platform runs on, one variant per provider.
 */
import { z } from "zod";
import { replicas } from "../schemaPrimitives";

const nodeCount = z
    .object({
        min: replicas.default(1),
        max: z.number().int().min(1, "must be at least 1").default(3),
        desired: replicas.default(2),
    })
    .strict()
    .refine((c) => c.min <= c.desired && c.desired <= c.max, "must satisfy min <= desired <= max");

const gpuPool = z
    .object({
        /** Cloud machine type of the GPU nodes (e.g. g5.xlarge, g2-standard-8, Standard_NC6s_v3). */
        instanceType: z.string().min(1),
        /** GKE only, and required there: accelerator type attached to each node (e.g. nvidia-l4). */
        acceleratorType: z.string().optional(),
        /** GPUs per node. */
        acceleratorCount: z.number().int().min(1, "must be at least 1").default(1),
        count: nodeCount.default({ min: 0, max: 2, desired: 0 }),
    })
    .strict();

/** A GKE GPU pool names its accelerator: GKE installs the NVIDIA driver (and runs its device plugin) only for a declared one. */
const gkeGpuPool = gpuPool.refine((g) => !!g.acceleratorType, {
    message: "is required on GKE (e.g. nvidia-l4): GKE installs the NVIDIA driver and device plugin only for a declared accelerator",
    path: ["acceleratorType"],
});

const authorizedNetworks = z.array(
    z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 203.0.113.0/24"),
);

export const clusterSchema = z.discriminatedUnion("provider", [
    z
        .object({
            provider: z.literal("existing"),
            /** kubeconfig context to use; the current context when unset. */
            context: z.string().optional(),
            /** Path to a kubeconfig file; $KUBECONFIG or ~/.kube/config when unset. */
            kubeconfigPath: z.string().optional(),
        })
        .strict(),
    z
        .object({
            provider: z.literal("eks"),
            region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1"),
            /** 1.30 or later: from 1.30 EKS no longer marks its gp2 class default, so the gp3 class installed here is the only one. */
            kubernetesVersion: z
                .string()
                .regex(/^1\.\d+$/, "must be a minor version such as 1.34")
                .refine((v) => !/^1\.\d+$/.test(v) || Number(v.split(".")[1]) >= 30, "must be 1.30 or later (older EKS versions mark their gp2 StorageClass default too)")
                .default("1.34"),
            vpcCidr: z.string().default("10.0.0.0/16"),
            instanceType: z.string().default("m6i.xlarge"),
            nodeCount: nodeCount.default({ min: 2, max: 6, desired: 3 }),
            gpu: gpuPool.optional(),
            /** Public API endpoint; when true, authorizedNetworks must list who may reach it. */
            publicEndpoint: z.boolean().default(false),
            authorizedNetworks: authorizedNetworks.default([]),
        })
        .strict(),
    z
        .object({
            provider: z.literal("gke"),
            project: z.string().min(1),
            region: z.string().regex(/^[a-z]+-[a-z]+\d$/, "must be a GCP region such as europe-west4"),
            releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).default("REGULAR"),
            machineType: z.string().default("e2-standard-4"),
            nodeCount: nodeCount.default({ min: 1, max: 5, desired: 2 }),
            gpu: gkeGpuPool.optional(),
            /** CIDRs allowed to reach the control plane (master authorized networks). */
            authorizedNetworks: authorizedNetworks.default([]),
            /** Private control-plane endpoint only (reach it through a bastion or VPN). */
            privateEndpoint: z.boolean().default(false),
        })
        .strict(),
    z
        .object({
            provider: z.literal("aks"),
            location: z.string().min(1),
            kubernetesVersion: z.string().regex(/^1\.\d+$/, "must be a minor version such as 1.34").default("1.34"),
            vmSize: z.string().default("Standard_D4s_v5"),
            nodeCount: nodeCount.default({ min: 2, max: 6, desired: 3 }),
            gpu: gpuPool.optional(),
            /** Entra ID group object IDs granted cluster-admin through Azure RBAC. */
            adminGroupObjectIds: z.array(z.string().uuid("must be an Entra ID object ID (a UUID)")).default([]),
            /** CIDRs allowed to reach the API server (when it is not private). */
            authorizedNetworks: authorizedNetworks.default([]),
            /** Private API server only (reach it from the VNet, a peered network or a jump host). */
            privateCluster: z.boolean().default(false),
            /** Resource group to create everything in; `<stack>-inferstack` when unset. */
            resourceGroupName: z.string().regex(/^[-\w._()]{1,90}$/, "must be an Azure resource group name").optional(),
        })
        .strict(),
]);
export type ClusterConfig = z.infer<typeof clusterSchema>;

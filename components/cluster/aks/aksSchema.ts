/** The `inferstack:cluster` fragment of an AKS cluster. */
import { z } from "zod";
import { authorizedNetworks, gpuPool, nodeCount } from "../schemaParts";

export const aksClusterSchema = z
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
    .strict();

/** Config shapes several cluster variants share: node counts, a GPU pool, authorized networks. */
import { z } from "zod";
import { replicas } from "../schemaPrimitives";

export const nodeCount = z
    .object({
        min: replicas.default(1),
        max: z.number().int().min(1, "must be at least 1").default(3),
        desired: replicas.default(2),
    })
    .strict()
    .refine((c) => c.min <= c.desired && c.desired <= c.max, "must satisfy min <= desired <= max");

export const gpuPool = z
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

export const authorizedNetworks = z.array(
    z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 203.0.113.0/24"),
);

/** The `inferstack:cluster` fragment of a GKE cluster. */
import { z } from "zod";
import { authorizedNetworks, gpuPool, nodeCount } from "../schemaParts";

/** A GKE GPU pool names its accelerator: GKE installs the NVIDIA driver (and runs its device plugin) only for a declared one. */
const gkeGpuPool = gpuPool.refine((g) => !!g.acceleratorType, {
    message: "is required on GKE (e.g. nvidia-l4): GKE installs the NVIDIA driver and device plugin only for a declared accelerator",
    path: ["acceleratorType"],
});

export const gkeClusterSchema = z
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
    .strict();

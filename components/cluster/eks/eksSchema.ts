/** The `inferstack:cluster` fragment of an EKS cluster. */
import { z } from "zod";
import { authorizedNetworks, gpuPool, nodeCount } from "../schemaParts";

export const eksClusterSchema = z
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
    .strict();

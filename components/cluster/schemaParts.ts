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

/**
 * Why a string is not an IPv4 CIDR block (`a.b.c.d/n`: four octets 0-255, a prefix 0-32, no bits set past the
 * prefix), or undefined when it is one. The clouds refuse the rest (or, for host bits, silently widen the range).
 */
export function ipv4CidrProblem(cidr: string): string | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m) return "must be an IPv4 CIDR such as 203.0.113.0/24 (four octets 0-255, a prefix 0-32)";
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    const bad = octets.find((o) => o > 255);
    if (bad !== undefined) return `must be an IPv4 CIDR: octet ${bad} is above 255 (allowed: 0-255)`;
    if (prefix > 32) return `must be an IPv4 CIDR: prefix /${prefix} is above 32 (allowed: /0 to /32)`;
    const address = octets.reduce((a, o) => a * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    const network = address - (address % size);
    if (network !== address) {
        const n = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join(".");
        return `must be an IPv4 CIDR with no host bits set past the prefix: did you mean ${n}/${prefix}?`;
    }
    return undefined;
}

export const authorizedNetworks = z.array(
    z.string().superRefine((cidr, ctx) => {
        const problem = ipv4CidrProblem(cidr);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
);

/**
 * Value shapes shared by the config schema fragments of several components (names, sizes, durations).
 */
import { z } from "zod";

export const dns1123Label = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit")
    .max(63, "must be at most 63 characters");


/** S3/GCS bucket naming rules (the strictest common subset). */
export const bucketName = z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be 3-63 characters of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit")
    .refine((s) => !s.includes(".."), "must not contain '..'")
    .refine((s) => !/^\d+\.\d+\.\d+\.\d+$/.test(s), "must not look like an IP address");

export const quantity = z
    .string()
    .regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, "must be a Kubernetes quantity such as 500m, 2, 512Mi or 10Gi");

export const duration = z.string().regex(/^[0-9]+(ms|s|m|h)$/, "must be a duration such as 30s, 5m or 1h");

export const replicas = z.number().int("must be a whole number").min(0, "must be 0 or more");

/** A Kubernetes quantity as a number (cores or bytes), to compare a request with its limit. */
export function quantityValue(q: string): number {
    const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/.exec(q);
    if (!m) return NaN;
    const unit: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
    return Number(m[1]) * unit[m[2] ?? ""];
}


/** A DNS-1123 subdomain (Kubernetes object names such as Secrets, ConfigMaps and ServiceAccounts). */
export const dns1123Subdomain = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit")
    .max(253, "must be at most 253 characters");

/**
 * A Go duration (`time.ParseDuration`: e.g. 90s, 1m30s, 1.5h) in seconds, or undefined when it is not one. Knative
 * parses its duration annotations and config keys this way.
 */
export function goDurationSeconds(d: string): number | undefined {
    if (!/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(d)) return undefined;
    const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    let total = 0;
    for (const [, n, , u] of d.matchAll(/([0-9]+(\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(n) * unit[u];
    return total;
}

/** An image reference pinned to a tag or a digest (never untagged, never `latest`), e.g. a service image key. */
export const pinnedImageRef = (example: string) =>
    z
        .string()
        .regex(/^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/, `must be an image reference such as ${example}`)
        .refine((ref) => /@sha256:|:[^/]+$/.test(ref), "must name a tag or a digest (an untagged image means latest)")
        .refine((ref) => !/:latest(@|$)/.test(ref), "must not be the latest tag: pin a version");

/**
 * Reading the stack configuration: parses the `inferstack:` keys with the platform schema
 * (components/platform/platformSchema.ts, composed of the components' own fragments) once, before any resource
 * exists, and turns every problem into one message naming the key, the value given and what is allowed.
 */
import { z } from "zod";
import { clusterVariants } from "../components/cluster/clusterVariants";
import { isKernelShap } from "../components/models/explainerSchema";
import { PlatformConfig, configKeys, platformSchema } from "../components/platform/platformSchema";
import { objectStoreVariants } from "../components/storage/objectStoreVariants";

export type { PlatformConfig } from "../components/platform/platformSchema";

/** Raised for any config value that does not fit; the message names the key, the value and what is allowed. */
export class ConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ConfigError";
    }
}

function keyPath(path: readonly PropertyKey[]): string {
    let out = "inferstack:";
    path.forEach((p, i) => {
        if (typeof p === "number") out += `[${p}]`;
        else out += i === 0 ? String(p) : `.${String(p)}`;
    });
    return out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let v: unknown = raw;
    for (const p of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<PropertyKey, unknown>)[p];
    }
    return v;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
    const key = keyPath(issue.path);
    const value = valueAt(raw, issue.path);
    const given = value === undefined ? "nothing" : JSON.stringify(value);
    switch (issue.code) {
        case "invalid_value":
            return `${key}: got ${given}; allowed values are ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "invalid_union": {
            // A discriminated union (cluster, objectStore) names its allowed discriminator values.
            const options = (issue as { options?: unknown[] }).options;
            if (options) return `${key}: got ${given}; allowed values are ${options.map((o) => JSON.stringify(o)).join(", ")}`;
            return `${key}: got ${given}; ${issue.message}`;
        }
        case "unrecognized_keys":
            return `${key}: unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; ${otherVariantHint(issue.path, issue.keys, raw) ?? "check the spelling against the README's config reference"}`;
        case "invalid_type":
            return value === undefined ? `${key}: got nothing; expected ${issue.expected}` : `${key}: got ${given}; ${issue.message}`;
        default:
            return `${key}: got ${given}; ${issue.message}`;
    }
}

/** The variant tables of the config keys chosen by a `provider` (cluster, objectStore). */
const tablesByKey: Record<string, { keysByProvider(): Map<string, string[]> }> = { cluster: clusterVariants, objectStore: objectStoreVariants };

/** For keys a union variant rejects: the other variants they belong to, e.g. `"accountName" belongs to provider azure`. */
function otherVariantHint(path: readonly PropertyKey[], keys: string[], raw: unknown): string | undefined {
    const top = path[0];
    if (path.length !== 1 || typeof top !== "string" || !(top in tablesByKey)) return undefined;
    const variants = tablesByKey[top].keysByProvider();
    const chosen = String((valueAt(raw, path) as { provider?: unknown } | undefined)?.provider);
    const hints = keys.flatMap((k) => {
        const owners = [...variants.entries()].filter(([v, ks]) => v !== chosen && ks.includes(k)).map(([v]) => v);
        return owners.length > 0 ? [`${JSON.stringify(k)} belongs to ${top}.provider ${owners.join(" or ")}`] : [];
    });
    return hints.length > 0 ? `${hints.join("; ")}, not ${chosen}: remove it, or switch the provider` : undefined;
}

/** Project namespaces whose keys a stack may set besides `inferstack:`: the providers' and Pulumi's own. */
export const foreignConfigNamespaces = ["aws", "gcp", "azure-native", "kubernetes", "pulumi"] as const;

/**
 * Config keys in a namespace nothing reads (e.g. a misspelt `inferstak:domain`), as one message, or undefined.
 * `keys` are the stack's full config keys (`<namespace>:<key>`).
 */
export function unknownNamespaceProblem(keys: string[], project = "inferstack"): string | undefined {
    const allowed = new Set<string>([project, ...foreignConfigNamespaces]);
    const stray = keys.filter((k) => !allowed.has(k.includes(":") ? k.slice(0, k.indexOf(":")) : project));
    if (stray.length === 0) return undefined;
    return `${stray.join(", ")}: unknown config namespace; inferstack reads ${project}: keys (and passes ${foreignConfigNamespaces.map((n) => `${n}:`).join(", ")} to their providers)`;
}

/**
 * Parses the raw `inferstack:` config (a map of top-level key to value, objects already decoded from JSON).
 * Throws a ConfigError listing every problem, one per line: unknown keys and every value that does not fit.
 */
export function parsePlatformConfig(raw: Record<string, unknown>): PlatformConfig {
    const unknownKeys = Object.keys(raw).filter((k) => !(configKeys as string[]).includes(k));
    const lines: string[] = [];
    if (unknownKeys.length > 0) {
        lines.push(`  - unknown config key(s) ${unknownKeys.map((k) => `inferstack:${k}`).join(", ")}; allowed keys are ${configKeys.map((k) => `inferstack:${k}`).join(", ")}`);
    }
    const known = Object.fromEntries(Object.entries(raw).filter(([k]) => !unknownKeys.includes(k)));
    const result = platformSchema.safeParse(known);
    if (!result.success) lines.push(...result.error.issues.map((i) => `  - ${describeIssue(i, raw)}`));
    if (lines.length > 0 || !result.success) throw new ConfigError(`invalid stack configuration:\n${lines.join("\n")}`);
    return result.data;
}

/**
 * Things that parse but are probably wrong, for the stack entry to log as warnings: a monitored model, an explainer or
 * a detector with an unpublished default image; a cloud store's model URI in a bucket the platform did not create (its
 * identity may not read it).
 */
export function configWarnings(c: PlatformConfig): string[] {
    const out: string[] = [];
    if (c.monitoring.enabled && !c.monitoring.monitorImage && c.models.some((m) => m.monitoring?.enabled)) {
        out.push(
            "inferstack:monitoring.monitorImage is unset: the monitor runs the pinned default image, which inferstack does not publish. " +
                "Build it first (npm run monitor:image; on kind with --tag dev.local/... --kind <cluster>) and set the key, or the first up waits 15 minutes for the monitor and fails",
        );
    }
    const usesExplainerImage = c.models.some((m) => (isKernelShap(m.explainer) && !m.explainer.image) || (c.monitoring.enabled && m.adversarial?.enabled));
    if (!c.monitoring.explainerImage && usesExplainerImage) {
        out.push(
            "inferstack:monitoring.explainerImage is unset: kernel-shap explainers and the adversarial detector run the pinned default image, which inferstack does not publish. " +
                "Build it first (npm run explainer:image; on kind with --tag dev.local/... --kind <cluster>) and set the key, or the first up waits for them and fails",
        );
    }
    // Stores whose models' identity reads only the platform's buckets say how to tell their URIs (Minio: none).
    const uris = objectStoreVariants.get(c.objectStore.provider)?.modelUris;
    if (!uris) return out;
    const buckets = [c.objectStore.modelBucket, ...c.objectStore.extraBuckets];
    c.models.forEach((m, i) => {
        for (const key of ["stable", "canary"] as const) {
            const uri = m[key]?.storageUri;
            if (!uri || !uris.addresses(uri)) continue;
            if (!uris.inBuckets(uri, buckets)) out.push(`inferstack:models[${i}].${key}.storageUri ${uri} is outside the platform's buckets (${buckets.join(", ")}); the models' identity is granted only those`);
        }
    });
    return out;
}

import type { Policy, PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/** The `default` of every property of a policy's config schema. */
export function schemaDefaults(schema?: PolicyConfigSchema): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema?.properties ?? {})) {
        if (property && typeof property === "object" && "default" in property) out[key] = structuredClone(property.default);
    }
    return out;
}

/**
 * The policy with its schema defaults under whatever config the engine hands it, so a setting left out of the
 * pack config (or an engine that passes no config) means the documented default, never `undefined`.
 */
export function withConfigDefaults<P extends ResourceValidationPolicy | StackValidationPolicy>(policy: P): P {
    if (!(policy as Policy).configSchema) return policy;
    const defaults = schemaDefaults(policy.configSchema);
    type GetConfig = <T extends object>() => T;
    const merged = (getConfig: GetConfig): GetConfig => <T extends object>() => ({ ...defaults, ...getConfig<T>() }) as T;
    if ("validateStack" in policy) {
        const validateStack = policy.validateStack;
        return { ...policy, validateStack: (args, report) => validateStack({ ...args, getConfig: merged(args.getConfig) }, report) };
    }
    const rp = policy as ResourceValidationPolicy;
    const validations = rp.validateResource === undefined ? undefined : ([] as NonNullable<ResourceValidationPolicy["validateResource"]>[]).concat(rp.validateResource).flat();
    return {
        ...policy,
        validateResource: validations?.map((validate) => (args: Parameters<typeof validate>[0], report: Parameters<typeof validate>[1]) => validate({ ...args, getConfig: merged(args.getConfig) }, report)),
    } as P;
}

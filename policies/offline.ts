/**
 * Runs the pack's policies on a rendered stack, without the Pulumi engine: the same policy objects the
 * PolicyPack registers (policies/rules), fed the render's resources the way the engine would feed them
 * (type, inputs, options, parent and dependencies), with the pack config applied as `pulumi preview
 * --policy-pack-config` applies it (per-policy enforcement level, `all`, and config validated against each
 * policy's schema).
 */
import Ajv from "ajv";
import type {
    EnforcementLevel,
    Policies,
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { AppliedExemption, appliedExemptions, resetAppliedExemptions } from "./rules/exemptions";

/** A resource as the offline render records it (tools/renderStack.ts, resources.json). */
export interface OfflineResource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    dependsOn?: string[];
    propertyDependencies?: Record<string, string[]>;
    protect?: boolean;
    inputs: Record<string, unknown>;
}

/** The pack config format of `--policy-pack-config`: a level, or a level plus the policy's settings. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    /** URN of the resource at fault; absent for a stack-level finding not tied to one resource. */
    urn?: string;
    message: string;
}

export interface Remediation {
    policy: string;
    urn: string;
    /** The inputs after the fix. */
    props: Record<string, unknown>;
}

export interface PolicyRun {
    violations: Violation[];
    remediations: Remediation[];
    /** The policies that ran, with their effective levels (disabled ones left out). */
    ran: { name: string; level: EnforcementLevel }[];
    /** Findings that reviewed exemptions (pack config `exemptions`) waived; `policy-exemptions` reports them. */
    exemptions: AppliedExemption[];
}

class NotApplicable extends Error {}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

/** The level a policy runs at and its settings (schema defaults, then the pack config). Throws on bad config. */
export function resolvePolicyConfig(policy: { name: string; enforcementLevel?: EnforcementLevel; configSchema?: PolicyConfigSchema }, config: PackConfig) {
    const entry = config[policy.name];
    const all = config["all"];
    const levelOf = (e: unknown): EnforcementLevel | undefined =>
        typeof e === "string" ? (e as EnforcementLevel) : (e as { enforcementLevel?: EnforcementLevel } | undefined)?.enforcementLevel;
    const level = levelOf(entry) ?? levelOf(all) ?? policy.enforcementLevel ?? "advisory";
    const settings: Record<string, unknown> = {};
    if (entry && typeof entry === "object") for (const [k, v] of Object.entries(entry)) if (k !== "enforcementLevel") settings[k] = structuredClone(v);
    const schema = { type: "object", properties: policy.configSchema?.properties ?? {}, required: policy.configSchema?.required ?? [], additionalProperties: false };
    const validate = ajv.compile(schema);
    if (!validate(settings)) {
        const details = (validate.errors ?? []).map((e) => `${e.instancePath || "(config)"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`);
        throw new Error(`policy config for ${policy.name} is invalid: ${details.join("; ")}. Allowed keys: ${Object.keys(schema.properties).join(", ") || "none"}.`);
    }
    return { level, settings };
}

/** Runs every policy on the resources; resources keep the order given. */
export async function runPolicies(policies: Policies, resources: OfflineResource[], config: PackConfig = {}): Promise<PolicyRun> {
    const known = new Set(policies.map((p) => p.name));
    for (const key of Object.keys(config)) {
        if (key !== "all" && !known.has(key)) throw new Error(`policy config names an unknown policy "${key}"; known: ${[...known].join(", ")}.`);
    }
    const run: PolicyRun = { violations: [], remediations: [], ran: [], exemptions: [] };
    resetAppliedExemptions();
    const props = new Map(resources.map((r) => [r.urn, structuredClone(r.inputs)]));

    const resolved = policies.map((policy) => ({ policy, ...resolvePolicyConfig(policy, config) })).filter((p) => p.level !== "disabled");
    run.ran = resolved.map((p) => ({ name: p.policy.name, level: p.level }));

    // Remediations first (the engine applies them before validating), then resource and stack validations.
    for (const { policy, level, settings } of resolved) {
        const rp = policy as ResourceValidationPolicy;
        if (level !== "remediate" || !rp.remediateResource) continue;
        for (const r of resources) {
            const fixed = await rp.remediateResource(resourceArgs(r, props.get(r.urn)!, settings));
            if (fixed) {
                props.set(r.urn, fixed);
                run.remediations.push({ policy: policy.name, urn: r.urn, props: fixed });
            }
        }
    }
    for (const { policy, level, settings } of resolved) {
        const validations = (policy as ResourceValidationPolicy).validateResource;
        if (!validations || level === "remediate") continue;
        for (const r of resources) {
            for (const validate of ([] as typeof validations[]).concat(validations).flat()) {
                await guard(() => validate(resourceArgs(r, props.get(r.urn)!, settings), (message, urn) => run.violations.push({ policy: policy.name, level, urn: urn ?? r.urn, message })));
            }
        }
    }
    const stackResources = policyResources(resources, props);
    for (const { policy, level, settings } of resolved) {
        const sp = policy as StackValidationPolicy;
        if (!sp.validateStack) continue;
        const args: StackValidationArgs = {
            resources: stackResources,
            stackTags: new Map(),
            getConfig: <T extends object>() => structuredClone(settings) as T,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        };
        await guard(() => sp.validateStack(args, (message, urn) => run.violations.push({ policy: policy.name, level, urn, message })));
    }
    run.exemptions = appliedExemptions();
    return run;
}

async function guard(f: () => unknown) {
    try {
        await f();
    } catch (e) {
        if (!(e instanceof NotApplicable)) throw e;
    }
}

function typeOf(cls: unknown): string | undefined {
    return (cls as { __pulumiType?: string }).__pulumiType;
}

function resourceArgs(r: OfflineResource, props: Record<string, unknown>, settings: Record<string, unknown>): ResourceValidationArgs {
    return {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: { protect: r.protect === true, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [], parent: r.parent },
        stackTags: new Map(),
        isType: (cls) => typeOf(cls) === r.type,
        asType: ((cls: unknown) => (typeOf(cls) === r.type ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => structuredClone(settings) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

/** The resources as the engine hands them to stack policies, with parents and dependencies linked. */
function policyResources(resources: OfflineResource[], props: Map<string, Record<string, unknown>>): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    for (const r of resources) {
        byUrn.set(r.urn, {
            type: r.type,
            props: props.get(r.urn)!,
            urn: r.urn,
            name: r.name,
            opts: { protect: r.protect === true, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [], parent: r.parent },
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => typeOf(cls) === r.type,
            asType: ((cls: unknown) => (typeOf(cls) === r.type ? props.get(r.urn) : undefined)) as PolicyResource["asType"],
        });
    }
    const lookup = (urns: string[] = []) => urns.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
    for (const r of resources) {
        const pr = byUrn.get(r.urn)!;
        pr.parent = r.parent ? byUrn.get(r.parent) : undefined;
        const propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, urns]) => [k, lookup(urns)]));
        pr.propertyDependencies = propertyDependencies;
        pr.dependencies = [...new Set([...lookup(r.dependsOn), ...Object.values(propertyDependencies).flat()])];
    }
    return [...byUrn.values()];
}

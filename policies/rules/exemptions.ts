/**
 * Reviewed exemptions. A workload that legitimately needs what a policy forbids (the Prometheus node exporter
 * reads the node's /proc, /sys and root file system from the host's network and PID namespaces) is named in
 * that policy's pack config, under `exemptions`, with the reason it was accepted:
 *
 *     "pods-no-host-access": { "exemptions": [
 *         { "kind": "DaemonSet", "namespace": "monitoring", "name": "kps-prometheus-node-exporter", "reason": "..." } ] }
 *
 * An exemption belongs to the one policy whose config lists it: every other policy still checks the workload.
 * What an exemption waives is not silent: the `policy-exemptions` policy (advisory) reports each waived finding
 * with its reason, on every preview and in `npm run policy`.
 */
import type { PolicyConfigSchema, ResourceValidation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { KubernetesObject, objectName } from "./kubernetes";

type Props = Record<string, unknown>;
/** One property schema of a policy config (the package does not export the type by name). */
type PropertySchema = NonNullable<PolicyConfigSchema["properties"]>[string];

/** One exemption entry of a policy's config. */
export interface Exemption {
    /** Kubernetes kind of the object (`DaemonSet`, `Deployment`, `ConfigMap`...). */
    kind: string;
    /** Its namespace (`metadata.namespace`); an exemption never spans namespaces. */
    namespace: string;
    /** Its `metadata.name`. At least one of `name` and `labelSelector` is given; with both, both must match. */
    name?: string;
    /** Labels (`metadata.labels`) the object must all carry, with these values. */
    labelSelector?: Record<string, string>;
    /** Why the workload may do what the policy forbids, and who accepted it. */
    reason: string;
}

const reasonMinLength = 20;

/**
 * The JSON schema of the `exemptions` setting. The Pulumi CLI validates pack config against it before a preview
 * (and the offline run does the same), so a malformed entry is a config error naming the policy and the entry.
 */
export const exemptionsSchema = {
    type: "array",
    default: [],
    description: "Workloads this policy does not block, each with the reason it was accepted (see docs/policies.md).",
    items: {
        type: "object",
        additionalProperties: false,
        required: ["kind", "namespace", "reason"],
        properties: {
            kind: { type: "string", pattern: "^[A-Z][A-Za-z0-9]*$" },
            namespace: { type: "string", minLength: 1 },
            name: { type: "string", minLength: 1 },
            labelSelector: { type: "object", minProperties: 1, additionalProperties: { type: "string" } },
            reason: { type: "string", minLength: reasonMinLength, pattern: "\\S" },
        },
        // `anyOf` is plain JSON schema (the CLI's validator and ajv both apply it); @pulumi/policy's type omits it.
        anyOf: [{ required: ["name"] }, { required: ["labelSelector"] }],
    },
} as PropertySchema;

/**
 * The entries of a policy's `exemptions` setting, checked again where they are used: an engine that hands the
 * pack config without validating it still gets a clear error, never a silently broader exemption.
 */
export function checkExemptions(policy: string, value: unknown): Exemption[] {
    const fail = (i: number | undefined, problem: string): never => {
        throw new Error(`policy config for ${policy} is invalid: exemptions${i === undefined ? "" : `[${i}]`} ${problem} (see docs/policies.md, "Exemptions").`);
    };
    if (value === undefined) return [];
    if (!Array.isArray(value)) return fail(undefined, "must be an array");
    const allowed = ["kind", "namespace", "name", "labelSelector", "reason"];
    return value.map((e: unknown, i): Exemption => {
        if (!e || typeof e !== "object" || Array.isArray(e)) return fail(i, "must be an object");
        const entry = e as Props;
        const unknown = Object.keys(entry).filter((k) => !allowed.includes(k));
        if (unknown.length) fail(i, `has unknown keys ${unknown.join(", ")}; allowed: ${allowed.join(", ")}`);
        if (typeof entry["kind"] !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(entry["kind"])) fail(i, "needs kind, a Kubernetes kind such as DaemonSet");
        if (typeof entry["namespace"] !== "string" || entry["namespace"] === "") fail(i, "needs namespace");
        if (entry["name"] !== undefined && (typeof entry["name"] !== "string" || entry["name"] === "")) fail(i, "has an empty or non-string name");
        const selector = entry["labelSelector"];
        if (selector !== undefined) {
            const ok = selector && typeof selector === "object" && !Array.isArray(selector) && Object.keys(selector).length > 0 && Object.values(selector).every((v) => typeof v === "string");
            if (!ok) fail(i, "has a labelSelector that is not a non-empty map of label to string value");
        }
        if (entry["name"] === undefined && selector === undefined) fail(i, "needs name or labelSelector (an exemption names the workloads it covers)");
        if (typeof entry["reason"] !== "string" || entry["reason"].trim().length < reasonMinLength) fail(i, `needs a reason of at least ${reasonMinLength} characters`);
        return entry as unknown as Exemption;
    });
}

/** The Kubernetes kind a Pulumi type token names (`kubernetes:apps/v1:DaemonSet` is `DaemonSet`). */
export function kindOf(type: string): string | undefined {
    return /^kubernetes:[^:]+:([A-Za-z0-9]+)$/.exec(type)?.[1];
}

/** True when the exemption covers this object. The kind is compared first, so other objects' inputs are never read. */
export function exemptionMatches(e: Exemption, type: string, props: object): boolean {
    if (kindOf(type) !== e.kind) return false;
    const meta = (props as KubernetesObject).metadata ?? {};
    if (meta.namespace !== e.namespace) return false;
    if (e.name !== undefined && meta.name !== e.name) return false;
    if (e.labelSelector !== undefined) {
        const labels = meta.labels ?? {};
        if (!Object.entries(e.labelSelector).every(([k, v]) => labels[k] === v)) return false;
    }
    return true;
}

/** A finding an exemption waived: which policy, on which resource, under which exemption. */
export interface AppliedExemption {
    policy: string;
    urn: string;
    /** `Kind namespace/name`, for messages. */
    resource: string;
    exemption: Exemption;
    findings: string[];
}

/** Exemptions applied since the last reset, by policy, validation and URN (a re-analysis replaces its entry). */
const applied = new Map<string, AppliedExemption>();

/** The exemptions applied so far (the offline run and the tests read them). */
export function appliedExemptions(): AppliedExemption[] {
    return [...applied.values()];
}

/** Forgets applied exemptions (the offline run starts each run afresh; one CLI run is one pack process). */
export function resetAppliedExemptions(): void {
    applied.clear();
}

/**
 * Records a finding a policy waives by a rule of its own (not by pack config), with the reason, so that
 * `policy-exemptions` reports it like a configured exemption: a waiver is never silent.
 */
export function recordWaiver(policy: string, urn: string, exemption: Exemption, findings: string[]): void {
    const object = exemption.name ? `${exemption.namespace}/${exemption.name}` : exemption.namespace;
    applied.set(`${policy}\u0000builtin\u0000${urn}`, { policy, urn, resource: `${exemption.kind} ${object}`, exemption, findings });
}

/** Forgets a built-in waiver (the object no longer qualifies on a re-analysis). */
export function clearWaiver(policy: string, urn: string): void {
    applied.delete(`${policy}\u0000builtin\u0000${urn}`);
}

/**
 * The policy with an `exemptions` setting: on an object an exemption covers, the policy still runs, but what it
 * finds is recorded (for `policy-exemptions` to report) instead of reported as a violation.
 */
export function withExemptions(policy: ResourceValidationPolicy): ResourceValidationPolicy {
    const validations = ([] as ResourceValidation[]).concat(policy.validateResource ?? []);
    return {
        ...policy,
        configSchema: { ...policy.configSchema, properties: { ...policy.configSchema?.properties, exemptions: exemptionsSchema } },
        validateResource: validations.map(
            (validate, i): ResourceValidation =>
                async (args, report) => {
                    const exemptions = checkExemptions(policy.name, args.getConfig<{ exemptions?: unknown }>().exemptions);
                    const exemption = exemptions.find((e) => exemptionMatches(e, args.type, args.props));
                    if (!exemption) return validate(args, report);
                    const findings: string[] = [];
                    await validate(args, (message) => findings.push(message));
                    const key = `${policy.name}\u0000${i}\u0000${args.urn}`;
                    const object = objectName(args.props, args.name);
                    // Findings name the object first; the report names it once.
                    const trimmed = findings.map((f) => (f.startsWith(`${object} `) ? f.slice(object.length + 1) : f));
                    if (findings.length === 0) applied.delete(key);
                    else applied.set(key, { policy: policy.name, urn: args.urn, resource: `${exemption.kind} ${object}`, exemption, findings: trimmed });
                },
        ),
    };
}

export const exemptionsReport: StackValidationPolicy = {
    name: "policy-exemptions",
    description: "Reports every finding a reviewed exemption in the pack config waived, with the exemption's reason (advisory: it never blocks).",
    enforcementLevel: "advisory",
    validateStack: (_args, report) => {
        for (const a of appliedExemptions()) {
            report(`${a.resource}: ${a.policy} waived by exemption ("${a.exemption.reason}"): ${a.findings.join(" | ")}`, a.urn);
        }
    },
};

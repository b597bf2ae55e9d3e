/**
 * Offline render: runs the real stack program under Pulumi's mock runtime and returns what it would deploy.
 *
 * - `resources`: every Pulumi resource with its URN, type, parent, dependencies, options and inputs
 *   (secret values replaced by "[secret]");
 * - `manifests`: every Kubernetes object the program declares itself, as the provider would send it (auto-named
 *   objects get `<logical name>-<8 hex>`, the suffix derived from the URN so renders are stable);
 * - `outputs`: the stack outputs, secrets masked.
 *
 * Helm charts and ConfigFiles are components the Kubernetes provider expands at deploy time; here they stay
 * single resources with their chart, version and values.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { clusterVariants } from "../components/cluster/clusterVariants";
import { objectStoreVariants } from "../components/storage/objectStoreVariants";
import { interceptRegistrations, outputState, runAsStack } from "./pulumiSdkInternals";

export const repoRoot = path.resolve(__dirname, "..");
export const SECRET = "[secret]";
/** The value every mocked generated secret starts with, so tests can prove none leaks into a render. */
export const MOCK_SECRET_PREFIX = "mock-secret-value-";

export interface RenderedResource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    dependsOn: string[];
    propertyDependencies: Record<string, string[]>;
    provider?: string;
    custom: boolean;
    remote: boolean;
    protect: boolean;
    retainOnDelete: boolean;
    /** The create timeout the resource declares (e.g. "15m"), if any: how long a readiness gate may wait. */
    createTimeout?: string;
    /** How many `transforms` the resource declares (for a Helm chart, they rewrite its objects at deploy time). */
    transforms: number;
    inputs: Record<string, unknown>;
}

export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    [key: string]: unknown;
}

export interface Render {
    stack: string;
    resources: RenderedResource[];
    manifests: KubernetesObject[];
    /**
     * Server-side apply patches of objects the program does not own (e.g. a chart's ConfigMap): partial objects,
     * so kept apart from `manifests`, which holds whole objects only.
     */
    patches: KubernetesObject[];
    outputs: Record<string, unknown>;
    /** The `transforms` each resource declares, by URN, so tests can apply them to the objects a chart renders. */
    transforms: Map<string, pulumi.ResourceTransform[]>;
}

/** An error from a failed render, with the URNs of the resources registered before it. */
export interface RenderFailure extends Error {
    registeredResources: string[];
}

export interface RenderOptions {
    /** Use this config (the `config:` map of a stack file) instead of reading stacks/Pulumi.<stack>.yaml. */
    config?: Record<string, unknown>;
}

/** Kinds that live outside namespaces (no default namespace is added to them). */
const clusterScopedKinds = new Set([
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ClusterServingRuntime",
    "ClusterStorageContainer",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
]);

/** Order in which kinds are written: what others live in or depend on comes first. */
const kindOrder = ["Namespace", "CustomResourceDefinition", "ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim"];

const secretSig = pulumi.runtime.specialSecretSig;
const sigKey = pulumi.runtime.specialSigKey;

/** Replaces every secret-wrapped value with "[secret]" and unwraps resource references to their URN. */
export function maskSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(maskSecrets);
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        // Keep a secret's shape (its keys are not secret), hide every value in it.
        if (obj[sigKey] === secretSig) return hideLeaves(obj["value"]);
        if (obj[sigKey] === pulumi.runtime.specialResourceSig) return { urn: obj["urn"] };
        if (pulumi.Resource.isInstance(value)) return { resource: "ref" };
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = maskSecrets(v);
        return out;
    }
    return value;
}

function hideLeaves(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(hideLeaves);
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[sigKey] === secretSig) return hideLeaves(obj["value"]);
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, hideLeaves(v)]));
    }
    return SECRET;
}

function readYaml(file: string): Record<string, unknown> {
    return (yaml.load(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
}

/** The config map Pulumi would hand the program: namespaced keys, structured values as JSON text. */
export function stackConfig(project: string, stackFileConfig: Record<string, unknown>): Record<string, string> {
    const projectFile = readYaml(path.join(repoRoot, "Pulumi.yaml"));
    const out: Record<string, string> = {};
    const defaults = (projectFile["config"] ?? {}) as Record<string, { default?: unknown }>;
    for (const [k, spec] of Object.entries(defaults)) {
        if (spec && typeof spec === "object" && "default" in spec) out[k.includes(":") ? k : `${project}:${k}`] = encode(spec.default);
    }
    for (const [k, v] of Object.entries(stackFileConfig)) {
        if (v && typeof v === "object" && "secure" in (v as object)) {
            throw new Error(`${k} is an encrypted (secure:) value; the offline render cannot decrypt it. Give the render a plain placeholder.`);
        }
        out[k.includes(":") ? k : `${project}:${k}`] = encode(v);
    }
    return out;
}

function encode(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * What the program reads of cloud resources (ARNs, emails, endpoints) and data sources under mocks: data each
 * registered cluster and object store variant supplies (`renderMocks` in components/<kind>/<variant>/variant.ts).
 * An exact resource type wins over a type prefix (`aws:*`), a longer prefix over a shorter one, the first variant
 * over a later one; other resources keep their inputs.
 */
function cloudMocks() {
    const variants = [...clusterVariants.all, ...objectStoreVariants.all];
    const exact = new Map<string, ResourceMock>();
    const prefixes = new Map<string, ResourceMock>();
    const calls = new Map<string, Record<string, unknown>>();
    for (const { renderMocks } of variants) {
        for (const [type, mock] of Object.entries(renderMocks?.resources ?? {})) {
            const [table, key] = type.endsWith("*") ? [prefixes, type.slice(0, -1)] : [exact, type];
            if (!table.has(key)) table.set(key, mock);
        }
        for (const [token, result] of Object.entries(renderMocks?.calls ?? {})) if (!calls.has(token)) calls.set(token, result);
    }
    const byLength = [...prefixes].sort((a, b) => b[0].length - a[0].length);
    return {
        outputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
            const mock = exact.get(type) ?? byLength.find(([prefix]) => type.startsWith(prefix))?.[1];
            return mock ? mock(name, inputs) : {};
        },
        call: (token: string) => calls.get(token) ?? {},
    };
}
type ResourceMock = (name: string, inputs: Record<string, unknown>) => Record<string, unknown>;

function autoName(logicalName: string, urn: string): string {
    return `${logicalName}-${createHash("sha256").update(urn).digest("hex").slice(0, 8)}`;
}

/** Runs the stack program under mocks and collects the render. One render at a time per process. */
export async function renderStack(stack: string, options: RenderOptions = {}): Promise<Render> {
    const projectFile = readYaml(path.join(repoRoot, "Pulumi.yaml"));
    const project = String(projectFile["name"]);
    const stackFile = options.config ? { config: options.config } : readYaml(path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`));
    const config = stackConfig(project, (stackFile["config"] ?? {}) as Record<string, unknown>);

    const cloud = cloudMocks();
    let secretCounter = 0;
    const transformsByName = new Map<string, pulumi.ResourceTransform[]>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                if (args.transforms?.length) transformsByName.set(`${args.type}::${args.name}`, args.transforms);
                const state: Record<string, unknown> = { ...args.inputs, ...cloud.outputs(args.type, args.name, args.inputs) };
                // Generated secrets get a recognisable fake value (tests grep every render for it).
                if (args.type.startsWith("random:index/random")) {
                    state["result"] = `${MOCK_SECRET_PREFIX}${++secretCounter}`;
                }
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                return { ...args.inputs, ...cloud.call(args.token) };
            },
        },
        project,
        stack,
        false,
    );
    pulumi.runtime.setAllConfig(config, []);

    // Record what the mock monitor is not told about (parent, dependencies, options) from the raw requests.
    const captured: RenderedResource[] = [];
    interceptRegistrations((req, urn) => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        const implicit = new Set(Object.values(propertyDependencies).flat());
        captured.push({
            urn,
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() || undefined,
            dependsOn: req.getDependenciesList().filter((d) => !implicit.has(d)),
            propertyDependencies,
            provider: req.getProvider() || undefined,
            custom: req.getCustom(),
            remote: req.getRemote(),
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            transforms: req.getTransformsList().length,
            createTimeout: req.getCustomtimeouts()?.getCreate() || undefined,
            inputs: pulumi.runtime.deserializeProperties(req.getObject() as never) as Record<string, unknown>,
        });
    });

    // main() reads the config on each call, so a second render in one process gets its own.
    const programPath = require.resolve(path.join(repoRoot, "stacks", "program"));
    const { main } = (await import(programPath)) as typeof import("../stacks/program");
    // The program's failure is caught inside the stack, so the SDK's own promises never see it rejected.
    let rawOutputs: unknown;
    let failure: unknown;
    await runAsStack(async () => {
        try {
            rawOutputs = await main();
        } catch (err) {
            failure = err;
        }
    });
    if (failure !== undefined) {
        // Tell callers what had been registered when the program failed (config errors must leave nothing).
        if (typeof failure === "object" && failure !== null) {
            (failure as RenderFailure).registeredResources = captured.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.urn);
        }
        throw failure;
    }

    const resources = captured
        .map((r) => ({ ...r, inputs: maskSecrets(r.inputs) as Record<string, unknown> }))
        .sort((a, b) => a.urn.localeCompare(b.urn));
    return {
        stack,
        resources,
        manifests: toManifests(resources.filter((r) => !isPatch(r.type))),
        patches: toManifests(resources.filter((r) => isPatch(r.type))),
        outputs: maskSecrets(await unwrapOutputs(rawOutputs)) as Record<string, unknown>,
        transforms: new Map(resources.filter((r) => r.transforms > 0).map((r) => [r.urn, transformsByName.get(`${r.type}::${r.name}`) ?? []])),
    };
}


/** Resolves stack outputs, replacing every secret Output (at any depth) by "[secret]". */
async function unwrapOutputs(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const { isSecret, value: inner } = await outputState(value);
        return isSecret ? SECRET : unwrapOutputs(inner);
    }
    if (Array.isArray(value)) return Promise.all(value.map(unwrapOutputs));
    if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await unwrapOutputs(v)] as const));
        return Object.fromEntries(entries);
    }
    return value;
}

/** Kubernetes `...Patch` resources (ConfigMapPatch, DeploymentPatch, ...) apply part of an object. */
export function isPatch(type: string): boolean {
    return type.startsWith("kubernetes:") && type.endsWith("Patch");
}

/** The Kubernetes objects among the resources, in the order and shape the provider would apply them. */
export function toManifests(resources: RenderedResource[]): KubernetesObject[] {
    const objects: KubernetesObject[] = [];
    for (const r of resources) {
        if (!r.custom || !r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:")) continue;
        const inputs = r.inputs as Record<string, unknown>;
        if (typeof inputs["apiVersion"] !== "string" || typeof inputs["kind"] !== "string") continue;
        const { apiVersion, kind, metadata, ...rest } = inputs as { apiVersion: string; kind: string; metadata?: Record<string, unknown> };
        const meta: Record<string, unknown> = { ...(metadata ?? {}) };
        if (!meta["name"]) meta["name"] = autoName(r.name, r.urn);
        if (!clusterScopedKinds.has(kind) && !meta["namespace"]) meta["namespace"] = "default";
        const obj = { apiVersion, kind, metadata: meta, ...rest } as KubernetesObject;
        if (kind === "Secret") {
            // Belt and braces: a Secret's payload never appears in a render, whatever its secretness.
            for (const field of ["data", "stringData"]) {
                const payload = obj[field] as Record<string, unknown> | undefined;
                if (payload) obj[field] = Object.fromEntries(Object.keys(payload).map((k) => [k, SECRET]));
            }
        }
        objects.push(obj);
    }
    const rank = (k: string) => (kindOrder.includes(k) ? kindOrder.indexOf(k) : kindOrder.length);
    return objects.sort(
        (a, b) =>
            rank(a.kind) - rank(b.kind) ||
            a.apiVersion.localeCompare(b.apiVersion) ||
            a.kind.localeCompare(b.kind) ||
            String(a.metadata.namespace ?? "").localeCompare(String(b.metadata.namespace ?? "")) ||
            a.metadata.name.localeCompare(b.metadata.name),
    );
}

/** The manifests as multi-document YAML. */
export function manifestsYaml(manifests: KubernetesObject[]): string {
    return manifests.map((m) => yaml.dump(m, { noRefs: true, sortKeys: false, lineWidth: -1 })).join("---\n");
}

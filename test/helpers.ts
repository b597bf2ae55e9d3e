/** Shared test helpers: renders, the dev stack's config, and schema validation of rendered objects. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ConfigError, parsePlatformConfig } from "../stacks/config";
import { KubernetesObject, Render, RenderedResource, renderStack, repoRoot } from "../tools/renderStack";
import { ValidateOptions, formatResult, validateObjects } from "../tools/validateManifests";

/** The `config:` map of a stack file. */
export function stackFileConfig(stack: string): Record<string, unknown> {
    const doc = yaml.load(readFileSync(path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    return structuredClone(doc.config);
}

/**
 * The dev stack's models without their monitoring block, and without what reads it (a kernel-shap explainer's
 * background and features, adversarial detection's features and squeeze ranges).
 */
export function devModelsWithoutMonitoring(): Record<string, unknown>[] {
    const models = stackFileConfig("dev")["inferstack:models"] as Record<string, unknown>[];
    return models.map(({ monitoring: _monitoring, explainer: _explainer, adversarial: _adversarial, ...rest }) => rest);
}

/** Renders the dev stack's config with some top-level keys replaced (keys without namespace get `inferstack:`). */
export function renderDevWith(patch: Record<string, unknown>): Promise<Render> {
    const config = stackFileConfig("dev");
    for (const [k, v] of Object.entries(patch)) config[k.includes(":") ? k : `inferstack:${k}`] = v;
    return renderStack("dev", { config });
}

export function byType(render: Render, type: string): RenderedResource[] {
    return render.resources.filter((r) => r.type === type);
}

export function one(render: Render, type: string, name?: string): RenderedResource {
    const found = byType(render, type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0];
}

export function manifest(render: Render, kind: string, name: string): KubernetesObject {
    const found = render.manifests.filter((m) => m.kind === kind && m.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
    return found[0];
}

/**
 * Validates objects strictly against the vendored upstream schemas (tools/validateManifests.ts); returns one FAIL
 * line per invalid object, so `assert.deepEqual(await strictFailures(objs), [])` shows what failed.
 */
export async function strictFailures(objects: readonly unknown[], options: ValidateOptions = {}): Promise<string[]> {
    return (await validateObjects(objects, options)).filter((r) => !r.valid).map((r) => formatResult(r));
}

/**
 * Validates core and Knative objects with the kubernetes-models packages (throws on the first invalid one).
 * Returns how many objects had a model; others (KServe, prometheus-operator, operator CRs) are left to the
 * strict validator (strictFailures).
 */
export async function validateWithModels(objects: KubernetesObject[]): Promise<number> {
    let validated = 0;
    for (const obj of objects) {
        const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
        let modulePath: string | undefined;
        if (group === "" || !group.includes(".") || group.endsWith(".k8s.io")) {
            modulePath = `kubernetes-models/${group ? `${group}/` : ""}${version}/${obj.kind}`;
        } else if (group.endsWith("knative.dev")) {
            modulePath = `@kubernetes-models/knative/${group}/${version}/${obj.kind}`;
        }
        if (!modulePath) continue;
        const mod = (await import(modulePath)) as Record<string, new (o: unknown) => { validate(): void }>;
        const Model = mod[obj.kind];
        try {
            new Model(obj).validate();
        } catch (err) {
            throw new Error(`${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name} is invalid: ${(err as Error).message}`);
        }
        validated++;
    }
    return validated;
}

/** Every container image in a Kubernetes object or resource input tree. */
export function imagesIn(value: unknown, out: string[] = []): string[] {
    if (Array.isArray(value)) value.forEach((v) => imagesIn(v, out));
    else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            if (k === "image" && typeof v === "string") out.push(v);
            else imagesIn(v, out);
        }
    }
    return out;
}

/** A stack's config as the program sees it (top-level keys without the `inferstack:` namespace). */
export function stackRaw(stack: string): Record<string, any> {
    return Object.fromEntries(Object.entries(stackFileConfig(stack)).map(([k, v]) => [k.replace(/^inferstack:/, ""), v]));
}

/** The ConfigError message a config is rejected with (fails the test if it is accepted). */
export function configErrorOf(config: Record<string, unknown>): string {
    try {
        parsePlatformConfig(config);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        return err.message;
    }
    assert.fail("expected the config to be rejected");
}

/** The README's canary step 1 for the dev stack's first model (the shipped stacks start without a canary). */
export const devCanary = { storageUri: "s3://models/sklearn/iris/v2", trafficPercent: 10 } as const;

/** The dev stack's `inferstack:models` with the README's canary started on the first model. */
export function devModelsWithCanary(): Record<string, any>[] {
    const models = structuredClone(stackFileConfig("dev")["inferstack:models"]) as Record<string, any>[];
    models[0].canary = { ...devCanary };
    return models;
}

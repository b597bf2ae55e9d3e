/**
 * A registration table of provider variants (clusters, object stores): each variant brings its own config schema
 * fragment, a strict object whose `provider` literal names it, and the table derives from them the discriminated
 * union of its config key. Imports no cloud SDK: variants load their component lazily, in their own `create`.
 */
import { z } from "zod";

/** The `provider` literal of a variant's schema fragment (the discriminator of its config key). */
export function providerOf(schema: z.ZodObject): string {
    const literal = (schema.shape as Record<string, unknown>)["provider"];
    const values = literal instanceof z.ZodLiteral ? [...literal.values] : [];
    if (values.length !== 1 || typeof values[0] !== "string") throw new Error("a variant's schema must be an object whose provider key is one string literal");
    return values[0];
}

/**
 * Fake outputs and invoke results that the offline render (tools/renderStack.ts) gives a variant's cloud resources,
 * as data the variant supplies: its component reads them (ARNs, emails, endpoints) where a real deployment has them.
 */
export interface RenderMocks {
    /**
     * Outputs by resource type: an exact type (`eks:index:Cluster`) or a type prefix ending in `*` (`aws:*`); an
     * exact match wins over a prefix, a longer prefix over a shorter one. A store's mocks may rely on those of the
     * cluster variant it requires.
     */
    readonly resources?: Readonly<Record<string, (name: string, inputs: Record<string, unknown>) => Record<string, unknown>>>;
    /** Results of the cloud's data-source calls, by invoke token. */
    readonly calls?: Readonly<Record<string, Record<string, unknown>>>;
}

/** What a table needs of a variant: its schema fragment and the provider name derived from it. */
export interface Variant {
    readonly provider: string;
    readonly schema: z.ZodObject;
    readonly renderMocks?: RenderMocks;
}

/**
 * The variants of one config key, in registration order. Register every variant when its module loads (the table
 * module registers the shipped ones): the config key's union is built on first use and cannot change afterwards.
 */
export class VariantTable<V extends Variant> {
    readonly #variants = new Map<string, V>();
    #union: z.ZodType | undefined;

    /** `configKey` is the `inferstack:` key the variants are chosen by (`cluster`, `objectStore`). */
    constructor(
        public readonly configKey: string,
        variants: readonly V[],
    ) {
        for (const v of variants) this.register(v);
    }

    /** Adds a variant: its folder and this call are all a new provider needs. */
    register(variant: V): void {
        if (this.#union) throw new Error(`${this.configKey} variant ${variant.provider} registered after the ${this.configKey} config schema was first used; register variants when their module loads`);
        if (this.#variants.has(variant.provider)) throw new Error(`${this.configKey} variant ${variant.provider} is registered twice`);
        this.#variants.set(variant.provider, variant);
    }

    /** Every variant, in registration order. */
    get all(): V[] {
        return [...this.#variants.values()];
    }

    /** The variant registered under a provider name, if any. */
    get(provider: string): V | undefined {
        return this.#variants.get(provider);
    }

    /** The variant registered under a provider name; throws for one not registered (the config schema refuses those first). */
    variant(provider: string): V {
        const v = this.#variants.get(provider);
        if (!v) throw new Error(`inferstack:${this.configKey}.provider ${provider} is not a registered variant (${[...this.#variants.keys()].join(", ")})`);
        return v;
    }

    /** The discriminated union of every variant's schema: the schema of the config key. Seals the table. */
    schema(): z.ZodType {
        this.#union ??= z.discriminatedUnion("provider", this.all.map((v) => v.schema) as unknown as [z.ZodObject, ...z.ZodObject[]]);
        return this.#union;
    }

    /** Every key of each variant's schema, by provider (for the "belongs to another provider" hint). */
    keysByProvider(): Map<string, string[]> {
        return new Map(this.all.map((v) => [v.provider, Object.keys(v.schema.shape)]));
    }
}

/** Fake account facts the cloud variants' render mocks share. */
export const mockAccount = { awsAccount: "123456789012", gcpProjectNumber: "123456789012", azureTenant: "00000000-0000-0000-0000-000000000001", azureSubscription: "00000000-0000-0000-0000-000000000002" } as const;

/** A kubeconfig-shaped placeholder (no credential) for mocked clusters. */
export const mockKubeconfig = JSON.stringify({ apiVersion: "v1", kind: "Config", clusters: [], contexts: [], users: [] });

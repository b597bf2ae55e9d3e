/**
 * What an object store variant registers (components/storage/objectStoreVariants.ts): its config schema fragment,
 * the cluster variant it must sit on (typed: its `create` gets that cluster's component), how to tell its model
 * URIs, and a lazy `create` that imports its component (and cloud SDK) only when a stack chooses it.
 */
import { z } from "zod";
import type { ClusterVariant } from "../cluster/clusterVariant";
import type { KubernetesCluster } from "../cluster/kubernetesCluster";
import { RenderMocks, Variant, providerOf } from "../cluster/variantTable";
import type { ObjectStore, ObjectStoreContext } from "./objectStore";

/** Builds the store once the platform gives it the model namespace and its parent (whose providers it inherits). */
export type ObjectStoreBuilder = (context: ObjectStoreContext) => ObjectStore;

/** How to tell the model URIs a store serves, for the warning about a URI outside the platform's buckets. */
export interface ModelUris {
    /** Whether a storage URI addresses this kind of store at all (e.g. starts with `s3://`). */
    addresses(uri: string): boolean;
    /** Whether a URI this kind of store addresses lies in one of the given buckets. */
    inBuckets(uri: string, buckets: readonly string[]): boolean;
}

/** Model URIs of the form `<scheme><bucket>/<key>` (s3://, gs://). */
export function schemeUris(scheme: string): ModelUris {
    return {
        addresses: (uri) => uri.startsWith(scheme),
        inBuckets: (uri, buckets) => buckets.includes(uri.slice(scheme.length).split("/")[0]),
    };
}

export interface ObjectStoreVariantSpec<S extends z.ZodObject, C extends KubernetesCluster> {
    /** The variant's config fragment: a strict object whose `provider` literal names the variant. Imports no cloud SDK. */
    readonly schema: S;
    /**
     * The cluster variant the store must sit on (it is read through that cluster's workload identity, with no stored
     * keys); any cluster when unset. The config refuses another cluster, and `create` gets that variant's component.
     */
    requires?: ClusterVariant<z.ZodObject, C>;
    /** The cloud's model URIs, when a URI outside the platform's buckets deserves a warning (its identity may not read it). */
    modelUris?: ModelUris;
    /** Imports the variant's component; the result builds the store inside the platform. */
    create(name: string, config: z.output<S>, cluster: C): Promise<ObjectStoreBuilder>;
    /** Outputs the offline render gives the variant's cloud resources (beyond those of the cluster it requires). */
    readonly renderMocks?: RenderMocks;
}

/** A registered object store variant. */
export interface ObjectStoreVariant<S extends z.ZodObject = z.ZodObject, C extends KubernetesCluster = KubernetesCluster> extends ObjectStoreVariantSpec<S, C>, Variant {
    readonly provider: string;
    readonly schema: S;
}

/** Makes a registration entry from a variant's spec (the provider name comes from its schema). */
export function defineObjectStoreVariant<S extends z.ZodObject, C extends KubernetesCluster = KubernetesCluster>(spec: ObjectStoreVariantSpec<S, C>): ObjectStoreVariant<S, C> {
    return { ...spec, provider: providerOf(spec.schema) };
}

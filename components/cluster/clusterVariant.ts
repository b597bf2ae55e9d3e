/**
 * What a cluster variant registers (components/cluster/clusterVariants.ts): its config schema fragment, what the
 * platform's cross-key rules need to know of it, and a lazy `create` that imports its component (and so its
 * cloud SDK) only when a stack chooses it.
 */
import { z } from "zod";
import type { KubernetesCluster } from "./kubernetesCluster";
import { RenderMocks, Variant, providerOf } from "./variantTable";

/** What a variant's component may take from the stack besides its own config. */
export interface ClusterPlatformContext {
    /** The stack's environment (dev, staging, prod), e.g. to name a resource group. */
    environment: string;
}

/** A cluster whose API endpoint can face the internet: the config then insists on authorized networks. */
export interface ApiEndpoint<C> {
    /** Whether the config leaves the API endpoint reachable from the internet. */
    isOpen(config: C): boolean;
    /** The CIDRs the config allows to reach it. */
    authorizedNetworks(config: C): readonly string[];
    /** The setting that makes the endpoint private, as the error message suggests it, e.g. `publicEndpoint: false`. */
    privateSetting: string;
}

export interface ClusterVariantSpec<S extends z.ZodObject, C extends KubernetesCluster> {
    /** The variant's config fragment: a strict object whose `provider` literal names the variant. Imports no cloud SDK. */
    readonly schema: S;
    /** Set for a cluster whose API endpoint may be public (the cloud clusters); unset when the platform manages none. */
    apiEndpoint?: ApiEndpoint<z.output<S>>;
    /** Imports the variant's component and creates the cluster. */
    create(name: string, config: z.output<S>, platform: ClusterPlatformContext): Promise<C>;
    /** Outputs the offline render gives the variant's cloud resources. */
    readonly renderMocks?: RenderMocks;
}

/** A registered cluster variant; `C` is the component it creates (what a store that requires the variant gets). */
export interface ClusterVariant<S extends z.ZodObject = z.ZodObject, C extends KubernetesCluster = KubernetesCluster> extends ClusterVariantSpec<S, C>, Variant {
    readonly provider: string;
    readonly schema: S;
}

/** Makes a registration entry from a variant's spec (the provider name comes from its schema). */
export function defineClusterVariant<S extends z.ZodObject, C extends KubernetesCluster>(spec: ClusterVariantSpec<S, C>): ClusterVariant<S, C> {
    return { ...spec, provider: providerOf(spec.schema) };
}

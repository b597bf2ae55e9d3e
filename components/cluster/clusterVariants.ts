/**
 * The cluster variants, one registration each: a new cluster is a folder (schema fragment, component, `variant.ts`)
 * plus one entry here. The `inferstack:cluster` schema, the cross-key rules, the config hints, the stack's cluster
 * factory and the render's mocks are all derived from this table. Loads no cloud SDK (each variant's `create` does).
 */
import type { z } from "zod";
import { aksClusterVariant } from "./aks/variant";
import type { ClusterVariant } from "./clusterVariant";
import { eksClusterVariant } from "./eks/variant";
import { existingClusterVariant } from "./existing/variant";
import { gkeClusterVariant } from "./gke/variant";
import { VariantTable } from "./variantTable";

/** The variants this repository ships, in the order the config's error messages list them. */
const shipped = [existingClusterVariant, eksClusterVariant, gkeClusterVariant, aksClusterVariant] as const;

/** The config of one of the shipped variants (a variant registered at run time parses, but has no static type here). */
export type ClusterConfig = z.output<(typeof shipped)[number]["schema"]>;

/** Every cluster variant; `clusterVariants.register(...)` adds one (before the config is first parsed). */
export const clusterVariants = new VariantTable<ClusterVariant>("cluster", shipped);

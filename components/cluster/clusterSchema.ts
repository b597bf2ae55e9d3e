/**
 * The `inferstack:cluster` config key: which Kubernetes cluster the platform runs on, one variant per provider,
 * each with its own schema fragment (components/cluster/<variant>/), unioned from the registration table.
 */
import { z } from "zod";
import { ClusterConfig, clusterVariants } from "./clusterVariants";

export type { ClusterConfig } from "./clusterVariants";

/** The union of every registered variant's schema, built when the config is first parsed. */
export const clusterSchema = z.lazy(() => clusterVariants.schema() as z.ZodType<ClusterConfig>);

/**
 * The `inferstack:objectStore` config key: where model artifacts and reference data live, one variant per provider,
 * each with its own schema fragment (components/storage/<variant>/), unioned from the registration table.
 */
import { z } from "zod";
import { ObjectStoreConfig, objectStoreVariants } from "./objectStoreVariants";

export type { ObjectStoreConfig } from "./objectStoreVariants";
export { azureStorageUrl } from "./azure/azureSchema";

/** The union of every registered variant's schema, built when the config is first parsed. */
export const objectStoreSchema = z.lazy(() => objectStoreVariants.schema() as z.ZodType<ObjectStoreConfig>);

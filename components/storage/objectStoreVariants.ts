/**
 * The object store variants, one registration each: a new store is a folder (schema fragment, component,
 * `variant.ts`) plus one entry here. The `inferstack:objectStore` schema, the store-on-its-cluster rule, the config
 * hints and warnings, the stack's store factory and the render's mocks are derived from this table. Loads no
 * cloud SDK (each variant's `create` does).
 */
import type { z } from "zod";
import { VariantTable } from "../cluster/variantTable";
import { azureStoreVariant } from "./azure/variant";
import { gcsStoreVariant } from "./gcs/variant";
import { minioStoreVariant } from "./minio/variant";
import type { ObjectStoreVariant } from "./objectStoreVariant";
import { s3StoreVariant } from "./s3/variant";

/** The variants this repository ships, in the order the config's error messages list them. */
const shipped = [minioStoreVariant, s3StoreVariant, gcsStoreVariant, azureStoreVariant] as const;

/** The config of one of the shipped variants (a variant registered at run time parses, but has no static type here). */
export type ObjectStoreConfig = z.output<(typeof shipped)[number]["schema"]>;

/** Every object store variant; `objectStoreVariants.register(...)` adds one (before the config is first parsed). */
export const objectStoreVariants = new VariantTable<ObjectStoreVariant>("objectStore", shipped);

/** The stores that work on any cluster (no `requires`), as the config suggests them instead of a misplaced cloud store. */
export function anyClusterStores(): string[] {
    return objectStoreVariants.all.filter((v) => !v.requires).map((v) => v.provider);
}

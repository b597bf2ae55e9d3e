/** The `inferstack:objectStore` fragment of Azure Blob (on AKS), and the Azure storage URLs models read. */
import { z } from "zod";
import { bucketName } from "../../schemaPrimitives";

export const azureStoreSchema = z
    .object({
        provider: z.literal("azure"),
        /** Storage account name: 3-24 lowercase letters and digits. */
        accountName: z.string().regex(/^[a-z0-9]{3,24}$/, "must be 3-24 lowercase letters and digits"),
        modelBucket: z.string().regex(/^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$/, "must be an Azure container name: 3-63 lowercase letters, digits and '-'").default("models"),
        extraBuckets: z.array(bucketName).default([]),
    })
    .strict();

/** Azure Blob/File URLs, which KServe's storage initializer reads with the Azure SDK (kserve_storage.py, _AZURE_*_RE). */
export const azureStorageUrl = /^https:\/\/[^/.]+\.(blob\.core\.windows\.net|z[0-9]{1,2}\.blob\.storage\.azure\.net|file\.core\.windows\.net|z[0-9]{1,2}\.file\.storage\.azure\.net)\/.+/;

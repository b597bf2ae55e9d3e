/** Registration entry of Azure Blob: on AKS only (read through AKS workload identity), loading azure-native submodules when chosen. */
import { aksClusterVariant } from "../../cluster/aks/variant";
import { defineObjectStoreVariant } from "../objectStoreVariant";
import { azureStorageUrl, azureStoreSchema } from "./azureSchema";

export const azureStoreVariant = defineObjectStoreVariant({
    schema: azureStoreSchema,
    requires: aksClusterVariant,
    modelUris: {
        addresses: (uri) => uri.startsWith("https://") && azureStorageUrl.test(uri),
        inBuckets: (uri, buckets) => buckets.some((b) => uri.includes(`.blob.core.windows.net/${b}/`)),
    },
    async create(name, store, cluster) {
        const { AzureBlobObjectStore } = await import("./azureBlobObjectStore");
        return (ctx) =>
            new AzureBlobObjectStore(
                name,
                {
                    resourceGroupName: cluster.resourceGroupName,
                    location: cluster.location,
                    oidcIssuerUrl: cluster.workloadIdentity.issuer,
                    logAnalyticsWorkspaceId: cluster.logAnalyticsWorkspaceId,
                    modelNamespace: ctx.modelNamespace,
                    accountName: store.accountName,
                    modelContainer: store.modelBucket,
                    extraContainers: store.extraBuckets,
                },
                { parent: ctx.parent },
            );
    },
    renderMocks: {
        resources: {
            // Named by their input, like the resource group (the other Azure mocks come with the AKS variant).
            "azure-native:storage:StorageAccount": (name, inputs) => ({ name: inputs["accountName"] ?? name }),
            "azure-native:storage:BlobContainer": (name, inputs) => ({ name: inputs["containerName"] ?? name }),
        },
    },
});

/** Registration entry of AKS: its schema, its API endpoint rule, its component (loading azure-native submodules), its render mocks. */
import { defineClusterVariant } from "../clusterVariant";
import { mockAccount, mockKubeconfig } from "../variantTable";
import { aksClusterSchema } from "./aksSchema";

export const aksClusterVariant = defineClusterVariant({
    schema: aksClusterSchema,
    apiEndpoint: { isOpen: (c) => !c.privateCluster, authorizedNetworks: (c) => c.authorizedNetworks, privateSetting: "privateCluster: true" },
    async create(name, config, platform) {
        const { AksCluster } = await import("./aksCluster");
        return new AksCluster(name, { ...config, resourceGroupName: config.resourceGroupName ?? `${platform.environment}-inferstack` });
    },
    renderMocks: {
        resources: {
            "azure-native:containerservice:ManagedCluster": (name) => ({ name, oidcIssuerProfile: { enabled: true, issuerURL: `https://westeurope.oic.prod-aks.azure.com/${mockAccount.azureTenant}/${name}/` } }),
            // Identities (the Azure Blob store's reader too) get a principal and a client ID.
            "azure-native:managedidentity:UserAssignedIdentity": (name) => ({ name, principalId: `principal-${name}`, clientId: `client-${name}` }),
            "azure-native:keyvault:Key": (name) => ({ keyUriWithVersion: `https://mock.vault.azure.net/keys/${name}/0123456789abcdef` }),
            "azure-native:resources:ResourceGroup": (name, inputs) => ({ name: inputs["resourceGroupName"] ?? name }),
            "azure-native:*": (name) => ({ name }),
        },
        calls: {
            "azure-native:authorization:getClientConfig": { tenantId: mockAccount.azureTenant, subscriptionId: mockAccount.azureSubscription, clientId: "mock-client", objectId: "mock-object" },
            "azure-native:containerservice:listManagedClusterUserCredentials": { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(mockKubeconfig).toString("base64") }] },
        },
    },
});

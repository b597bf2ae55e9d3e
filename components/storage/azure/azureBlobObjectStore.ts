import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as monitor from "@pulumi/azure-native/monitor";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { grantBuiltInRole } from "../../azure";
import { modelServiceAccount, defaultModelServiceAccount } from "../modelServiceAccount";
import { ObjectStore } from "../objectStore";

export interface AzureBlobObjectStoreArgs {
    /** Resource group of the storage account (the cluster's). */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the storage account. */
    location: string;
    /** The AKS cluster's OIDC issuer URL, which the federated credential trusts. */
    oidcIssuerUrl: pulumi.Input<string>;
    /** Log Analytics workspace the blob service's access logs go to (the AKS cluster's). */
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    /** Namespace of the InferenceServices; the ServiceAccount goes there. */
    modelNamespace: pulumi.Input<string>;
    /** Storage account name (globally unique, 3-24 lowercase letters and digits). */
    accountName: string;
    /** Blob container for model artifacts. */
    modelContainer: string;
    /** Further containers, readable by the same identity. */
    extraContainers?: string[];
    /** Name of the model-serving ServiceAccount. Default: kserve-models. */
    serviceAccountName?: string;
}

/** Pod label that makes the AKS workload identity webhook inject the federated token into a pod. */
export const azureWorkloadIdentityLabel = { "azure.workload.identity/use": "true" };

/**
 * An Azure storage account and blob containers for model artifacts: no public blob access, no shared keys
 * (Entra ID only), HTTPS and TLS 1.2 only, blob versioning and soft delete, protected, every blob read, write and
 * delete logged to the cluster's Log Analytics workspace; read by a user-assigned
 * identity that the model-serving ServiceAccount federates with through AKS workload identity.
 */
export class AzureBlobObjectStore extends pulumi.ComponentResource implements ObjectStore {
    public readonly kind = "azure" as const;
    public readonly modelBucket: pulumi.Output<string>;
    public readonly modelUriPrefix: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;
    public readonly podLabels = azureWorkloadIdentityLabel;
    /** Client ID of the identity that reads the containers. */
    public readonly clientId: pulumi.Output<string>;

    constructor(name: string, args: AzureBlobObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:storage:AzureBlobObjectStore", name, {}, opts);
        const child = { parent: this };
        const saName = args.serviceAccountName ?? defaultModelServiceAccount;
        const client = authorization.getClientConfigOutput(child);

        const account = new storage.StorageAccount(
            `${name}-account`,
            {
                accountName: args.accountName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                kind: "StorageV2",
                sku: { name: "Standard_ZRS" },
                allowBlobPublicAccess: false,
                allowSharedKeyAccess: false,
                enableHttpsTrafficOnly: true,
                minimumTlsVersion: "TLS1_2",
                encryption: { keySource: "Microsoft.Storage", services: { blob: { enabled: true, keyType: "Account" } } },
            },
            { ...child, protect: true, retainOnDelete: true },
        );
        new storage.BlobServiceProperties(
            `${name}-blob`,
            {
                accountName: account.name,
                resourceGroupName: args.resourceGroupName,
                blobServicesName: "default",
                isVersioningEnabled: true,
                deleteRetentionPolicy: { enabled: true, days: 30 },
                containerDeleteRetentionPolicy: { enabled: true, days: 30 },
            },
            child,
        );
        // Who read, wrote and deleted which blob: the blob service's resource logs, in the cluster's workspace.
        new monitor.DiagnosticSetting(
            `${name}-blob-logs`,
            {
                resourceUri: pulumi.interpolate`${account.id}/blobServices/default`,
                workspaceId: args.logAnalyticsWorkspaceId,
                logs: ["StorageRead", "StorageWrite", "StorageDelete"].map((category) => ({ category, enabled: true })),
            },
            child,
        );
        const containers = [args.modelContainer, ...(args.extraContainers ?? [])].map(
            (containerName) =>
                new storage.BlobContainer(
                    `${name}-${containerName}`,
                    { accountName: account.name, resourceGroupName: args.resourceGroupName, containerName, publicAccess: "None" },
                    { ...child, protect: true, retainOnDelete: true },
                ),
        );

        const identity = new managedidentity.UserAssignedIdentity(`${name}-reader`, { resourceGroupName: args.resourceGroupName, location: args.location }, child);
        new managedidentity.FederatedIdentityCredential(
            `${name}-reader`,
            {
                resourceGroupName: args.resourceGroupName,
                resourceName: identity.name,
                issuer: args.oidcIssuerUrl,
                subject: pulumi.interpolate`system:serviceaccount:${args.modelNamespace}:${saName}`,
                audiences: ["api://AzureADTokenExchange"],
            },
            child,
        );
        grantBuiltInRole(`${name}-reader`, { scope: account.id, principalId: identity.principalId, role: "storageBlobDataReader", subscriptionId: client.subscriptionId }, child);
        const sa = modelServiceAccount(
            name,
            {
                namespace: args.modelNamespace,
                serviceAccountName: saName,
                annotations: { "azure.workload.identity/client-id": identity.clientId, "azure.workload.identity/tenant-id": client.tenantId },
            },
            this,
        );

        this.modelBucket = containers[0].name;
        this.modelUriPrefix = pulumi.interpolate`https://${account.name}.blob.core.windows.net/${this.modelBucket}`;
        this.serviceAccountName = sa.metadata.name;
        this.clientId = identity.clientId;
        this.registerOutputs({ modelBucket: this.modelBucket, serviceAccountName: this.serviceAccountName, clientId: this.clientId });
    }
}

/** Azure pieces the AKS cluster and the Azure Blob store share. Imports an azure-native submodule only. */
import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";

/** IDs of the Azure built-in roles inferstack grants. */
export const builtInRoles = {
    /** Lets the AKS KMS plugin wrap and unwrap with the Key Vault key. */
    keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
    /** Lets the model identity read blobs. */
    storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
} as const;

/** Grants a built-in role to a managed identity (a service principal) on one scope. */
export function grantBuiltInRole(
    name: string,
    args: { scope: pulumi.Input<string>; principalId: pulumi.Input<string>; role: keyof typeof builtInRoles; subscriptionId: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions,
): authorization.RoleAssignment {
    return new authorization.RoleAssignment(
        name,
        {
            scope: args.scope,
            principalId: args.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${builtInRoles[args.role]}`,
        },
        opts,
    );
}

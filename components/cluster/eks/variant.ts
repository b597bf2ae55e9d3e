/** Registration entry of EKS: its schema, its API endpoint rule, its component (loading @pulumi/aws and @pulumi/eks), its render mocks. */
import { defineClusterVariant } from "../clusterVariant";
import { mockAccount, mockKubeconfig } from "../variantTable";
import { eksClusterSchema } from "./eksSchema";

export const eksClusterVariant = defineClusterVariant({
    schema: eksClusterSchema,
    apiEndpoint: { isOpen: (c) => c.publicEndpoint, authorizedNetworks: (c) => c.authorizedNetworks, privateSetting: "publicEndpoint: false" },
    async create(name, config) {
        const { EksCluster } = await import("./eksCluster");
        return new EksCluster(name, config);
    },
    renderMocks: {
        resources: {
            "eks:index:Cluster": (name) => {
                const issuer = `https://oidc.eks.mock.amazonaws.com/id/${name}`;
                return { kubeconfigJson: mockKubeconfig, oidcIssuer: issuer, oidcProviderArn: `arn:aws:iam::${mockAccount.awsAccount}:oidc-provider/${issuer.slice(8)}`, eksCluster: { name } };
            },
            // Every AWS resource (the S3 store's too): an ARN, and the name or bucket it was given.
            "aws:*": (name, inputs) => ({ arn: `arn:aws:mock::${mockAccount.awsAccount}:${name}`, name: inputs["name"] ?? name, bucket: inputs["bucket"] ?? name }),
        },
    },
});

/** Registration entry of GKE: its schema, its API endpoint rule, its component (loading @pulumi/gcp), its render mocks. */
import { defineClusterVariant } from "../clusterVariant";
import { mockAccount } from "../variantTable";
import { gkeClusterSchema } from "./gkeSchema";

export const gkeClusterVariant = defineClusterVariant({
    schema: gkeClusterSchema,
    apiEndpoint: { isOpen: (c) => !c.privateEndpoint, authorizedNetworks: (c) => c.authorizedNetworks, privateSetting: "privateEndpoint: true" },
    async create(name, config) {
        const { GkeCluster } = await import("./gkeCluster");
        return new GkeCluster(name, config);
    },
    renderMocks: {
        resources: {
            "gcp:container/cluster:Cluster": (name) => ({ name, endpoint: "203.0.113.10", masterAuth: { clusterCaCertificate: "bW9jay1jYQ==" } }),
            // Service accounts (the GCS store's reader too) get an email.
            "gcp:serviceaccount/account:Account": (_name, inputs) => ({
                email: `${String(inputs["accountId"])}@mock-project.iam.gserviceaccount.com`,
                name: `projects/mock-project/serviceAccounts/${String(inputs["accountId"])}`,
            }),
            "gcp:*": (name, inputs) => ({ name: inputs["name"] ?? name }),
        },
        calls: { "gcp:organizations/getProject:getProject": { number: mockAccount.gcpProjectNumber } },
    },
});

/** Registration entry of the existing cluster (kind, minikube, k3d, any kubeconfig): nothing to create but a provider. */
import { defineClusterVariant } from "../clusterVariant";
import { existingClusterSchema } from "./existingSchema";

export const existingClusterVariant = defineClusterVariant({
    schema: existingClusterSchema,
    async create(name, config) {
        const { ExistingCluster } = await import("./existingCluster");
        return new ExistingCluster(name, { context: config.context, kubeconfigPath: config.kubeconfigPath });
    },
});

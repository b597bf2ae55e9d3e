import * as pulumi from "@pulumi/pulumi";
import { Platform } from "../components/platform/platform";
import { createCluster } from "./clusterFactory";
import { objectStoreFactory } from "./objectStoreFactory";
import { readPlatformConfig } from "./readConfig";

/**
 * The program of every stack: parse the config (bad input stops here, before any resource), build the cluster
 * and the object store the stack chose, and the platform on top. Returns the stack outputs.
 */
export async function main() {
    const config = readPlatformConfig();
    const name = "inferstack";
    const cluster = await createCluster(`${name}-cluster`, config);
    const objectStore = await objectStoreFactory(`${name}-store`, config, cluster);
    const platform = new Platform(name, { config, cluster, objectStore });
    return {
        environment: config.environment,
        clusterName: cluster.clusterName,
        nodePools: cluster.nodePools,
        kubeconfig: pulumi.secret(cluster.kubeconfig),
        modelNamespace: platform.modelNamespace,
        brokerUrl: platform.brokerUrl,
        prometheusUrl: platform.prometheusUrl,
        grafanaUrl: platform.grafanaUrl,
        feedbackUrl: platform.feedbackUrl,
        modelBucket: platform.objectStore.modelBucket,
        models: platform.models,
    };
}

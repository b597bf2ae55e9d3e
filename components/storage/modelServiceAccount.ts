import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Name of the ServiceAccount every InferenceService runs as, whatever the object store. */
export const defaultModelServiceAccount = "kserve-models";

/**
 * The model-serving ServiceAccount of a cloud object store: in the model namespace, annotated with the cloud
 * identity it stands for (IRSA role, Google service account, Azure client ID). It reaches the cluster through the
 * Kubernetes provider its parent inherits from the Platform.
 */
export function modelServiceAccount(
    name: string,
    args: { namespace: pulumi.Input<string>; serviceAccountName: string; annotations: Record<string, pulumi.Input<string>> },
    parent: pulumi.Resource,
): k8s.core.v1.ServiceAccount {
    return new k8s.core.v1.ServiceAccount(
        `${name}-sa`,
        { metadata: { name: args.serviceAccountName, namespace: args.namespace, annotations: args.annotations } },
        { parent },
    );
}

/** AWS pieces the EKS cluster and the S3 store share. Imports no AWS SDK module. */
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadIdentity } from "./cluster/kubernetesCluster";

/**
 * An IAM trust policy letting exactly one Kubernetes ServiceAccount (`system:serviceaccount:<ns>:<name>`) of one
 * cluster assume a role through IRSA (the cluster's OIDC provider, audience sts.amazonaws.com).
 */
export function irsaTrustPolicy(identity: WorkloadIdentity, subject: pulumi.Input<string>): pulumi.Output<string> {
    // The issuer host names the condition keys, so it is resolved first; the rest stays Outputs in the document.
    return identity.issuerHost.apply((host) =>
        pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Federated: identity.issuer },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: { StringEquals: { [`${host}:sub`]: subject, [`${host}:aud`]: "sts.amazonaws.com" } },
                },
            ],
        }),
    );
}

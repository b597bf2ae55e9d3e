/** Cluster guardrails: the API server is not open to the internet, Secrets are encrypted, workloads use cloud identity. */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

type Props = Record<string, any>;

export const clusterTypes = {
    eks: "aws:eks/cluster:Cluster",
    eksComponent: "eks:index:Cluster",
    gke: "gcp:container/cluster:Cluster",
    aks: "azure-native:containerservice:ManagedCluster",
} as const;

const open = (cidrs: unknown): boolean => !Array.isArray(cidrs) || cidrs.length === 0 || cidrs.some((c) => c === "0.0.0.0/0" || c === "::/0");

/** Why a cluster's API endpoint is reachable from anywhere, or undefined when it is not. */
export function publicEndpointProblem(type: string, props: Props): string | undefined {
    switch (type) {
        case clusterTypes.eks: {
            const vpc = (props["vpcConfig"] ?? {}) as Props;
            if (vpc["endpointPublicAccess"] === false) return undefined;
            return open(vpc["publicAccessCidrs"]) ? "vpcConfig.endpointPublicAccess is on with no publicAccessCidrs restriction" : undefined;
        }
        case clusterTypes.eksComponent:
            if (props["endpointPublicAccess"] === false) return undefined;
            return open(props["publicAccessCidrs"]) ? "endpointPublicAccess is on with no publicAccessCidrs restriction" : undefined;
        case clusterTypes.gke: {
            if (props["privateClusterConfig"]?.["enablePrivateEndpoint"] === true) return undefined;
            const blocks = ((props["masterAuthorizedNetworksConfig"]?.["cidrBlocks"] ?? []) as Props[]).map((b) => b["cidrBlock"]);
            return open(blocks) ? "neither privateClusterConfig.enablePrivateEndpoint nor masterAuthorizedNetworksConfig restricts the endpoint" : undefined;
        }
        case clusterTypes.aks: {
            const access = (props["apiServerAccessProfile"] ?? {}) as Props;
            if (access["enablePrivateCluster"] === true) return undefined;
            return open(access["authorizedIPRanges"]) ? "apiServerAccessProfile has neither enablePrivateCluster nor authorizedIPRanges" : undefined;
        }
        default:
            return undefined;
    }
}

/** Why a cluster's Secrets are not envelope-encrypted with a customer key, or undefined when they are. */
export function secretsEncryptionProblem(type: string, props: Props): string | undefined {
    switch (type) {
        case clusterTypes.eks: {
            const configs = ([] as Props[]).concat(props["encryptionConfig"] ?? []);
            const ok = configs.some((c) => (c["resources"] ?? []).includes("secrets") && c["provider"]?.["keyArn"]);
            return ok ? undefined : "no encryptionConfig with a KMS key for resources [secrets]";
        }
        case clusterTypes.eksComponent:
            return props["encryptionConfigKeyArn"] ? undefined : "no encryptionConfigKeyArn";
        case clusterTypes.gke:
            return props["databaseEncryption"]?.["state"] === "ENCRYPTED" && props["databaseEncryption"]?.["keyName"] ? undefined : "databaseEncryption is not ENCRYPTED with a Cloud KMS keyName";
        case clusterTypes.aks:
            return props["securityProfile"]?.["azureKeyVaultKms"]?.["enabled"] === true ? undefined : "securityProfile.azureKeyVaultKms is not enabled";
        default:
            return undefined;
    }
}

/** Why a cluster offers no workload identity, or undefined when it does. `all` is the whole stack (EKS OIDC providers). */
export function workloadIdentityProblem(r: PolicyResource | { type: string; props: Props }, all: { type: string; props: Props }[]): string | undefined {
    const props = r.props;
    switch (r.type) {
        case clusterTypes.eks:
        case clusterTypes.eksComponent: {
            const oidc = all.some((x) => x.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
            const podIdentity = all.some((x) => x.type === "aws:eks/addon:Addon" && x.props["addonName"] === "eks-pod-identity-agent");
            const viaComponent = r.type === clusterTypes.eksComponent && props["createOidcProvider"] === true;
            return oidc || podIdentity || viaComponent ? undefined : "no IAM OIDC provider (IRSA) and no EKS Pod Identity agent";
        }
        case clusterTypes.gke:
            return props["workloadIdentityConfig"]?.["workloadPool"] ? undefined : "workloadIdentityConfig.workloadPool is not set";
        case clusterTypes.aks:
            return props["oidcIssuerProfile"]?.["enabled"] === true && props["securityProfile"]?.["workloadIdentity"]?.["enabled"] === true
                ? undefined
                : "oidcIssuerProfile and securityProfile.workloadIdentity must both be enabled";
        default:
            return undefined;
    }
}

const isCluster = (type: string) => (Object.values(clusterTypes) as string[]).includes(type);

/** A resource policy on each cluster resource, reporting what `problem` finds with `advice` appended. */
function clusterPolicy(name: string, description: string, problem: (type: string, props: Props) => string | undefined, advice: string): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            if (!isCluster(args.type)) return;
            const found = problem(args.type, args.props);
            if (found) report(`Cluster ${args.name}: ${found}.${advice ? ` ${advice}` : ""}`);
        },
    };
}

export const privateEndpoint = clusterPolicy(
    "cluster-private-endpoint",
    "The cluster's API endpoint is private or limited to authorized networks.",
    publicEndpointProblem,
    "Set cluster.authorizedNetworks (CIDRs) or make the endpoint private.",
);

export const secretsEncryption = clusterPolicy(
    "cluster-secrets-encryption",
    "Kubernetes Secrets are envelope-encrypted with a customer-managed key (KMS, Cloud KMS, Key Vault).",
    secretsEncryptionProblem,
    "",
);

export const workloadIdentity: StackValidationPolicy = {
    name: "cluster-workload-identity",
    description: "The cluster offers workload identity (IRSA/Pod Identity, GKE Workload Identity, AKS workload identity), so pods need no long-lived cloud keys.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const r of args.resources.filter((x) => isCluster(x.type))) {
            // The EKS component's own aws:eks/cluster child is checked through the component.
            if (r.type === clusterTypes.eks && r.parent?.type === clusterTypes.eksComponent) continue;
            const problem = workloadIdentityProblem(r, args.resources);
            if (problem) report(`Cluster ${r.name}: ${problem}.`, r.urn);
        }
    },
};

export const clusterPolicies = [privateEndpoint, secretsEncryption, workloadIdentity];

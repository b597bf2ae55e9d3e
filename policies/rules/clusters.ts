/**
 * Cluster and cloud guardrails: the API server is not open to the internet, Secrets are encrypted, workloads use
 * cloud identity, the control plane is logged, nodes are private and use the metadata server, keys rotate and
 * cannot be deleted at once, Kubernetes stays on a supported minor version.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { diagnosticSettingsOf } from "./data";
import { durationSeconds } from "./kubernetes";

export const clusterTypes = {
    eks: "aws:eks/cluster:Cluster",
    eksComponent: "eks:index:Cluster",
    gke: "gcp:container/cluster:Cluster",
    aks: "azure-native:containerservice:ManagedCluster",
} as const;

export const keyTypes = {
    awsKms: "aws:kms/key:Key",
    gcpKms: "gcp:kms/cryptoKey:CryptoKey",
    azureKey: "azure-native:keyvault:Key",
    azureVault: "azure-native:keyvault:Vault",
} as const;

/** Typed views of the cluster resources' inputs (the parts the policies read). */
interface EksCluster {
    version?: string;
    vpcConfig?: { endpointPublicAccess?: boolean; publicAccessCidrs?: string[] };
    encryptionConfig?: EksEncryption | EksEncryption[];
    enabledClusterLogTypes?: string[];
}
interface EksEncryption {
    resources?: string[];
    provider?: { keyArn?: string };
}
interface EksComponent {
    version?: string;
    endpointPublicAccess?: boolean;
    publicAccessCidrs?: string[];
    encryptionConfigKeyArn?: string;
    createOidcProvider?: boolean;
    enabledClusterLogTypes?: string[];
    nodeAssociatePublicIpAddress?: boolean;
}
interface GkeNodeConfig {
    workloadMetadataConfig?: { mode?: string };
}
interface GkeCluster {
    minMasterVersion?: string;
    privateClusterConfig?: { enablePrivateEndpoint?: boolean; enablePrivateNodes?: boolean };
    masterAuthorizedNetworksConfig?: { cidrBlocks?: { cidrBlock?: string }[]; gcpPublicCidrsAccessEnabled?: boolean };
    databaseEncryption?: { state?: string; keyName?: string };
    workloadIdentityConfig?: { workloadPool?: string };
    loggingService?: string;
    loggingConfig?: { enableComponents?: string[] };
    removeDefaultNodePool?: boolean;
    nodeConfig?: GkeNodeConfig;
}
interface GkeNodePool {
    version?: string;
    nodeConfig?: GkeNodeConfig;
    networkConfig?: { enablePrivateNodes?: boolean };
}
interface AksAgentPool {
    name?: string;
    enableNodePublicIP?: boolean;
}
interface AksCluster {
    kubernetesVersion?: string;
    apiServerAccessProfile?: { enablePrivateCluster?: boolean; authorizedIPRanges?: string[] };
    securityProfile?: { azureKeyVaultKms?: { enabled?: boolean }; workloadIdentity?: { enabled?: boolean } };
    oidcIssuerProfile?: { enabled?: boolean };
    disableLocalAccounts?: boolean;
    enableRBAC?: boolean;
    networkProfile?: { networkPolicy?: string };
    agentPoolProfiles?: AksAgentPool[];
}
interface AwsKmsKey {
    enableKeyRotation?: boolean;
    rotationPeriodInDays?: number;
    customerMasterKeySpec?: string;
    keySpec?: string;
    deletionWindowInDays?: number;
}
interface GcpCryptoKey {
    rotationPeriod?: string;
    purpose?: string;
    destroyScheduledDuration?: string;
}
interface AzureKey {
    properties?: { rotationPolicy?: { lifetimeActions?: { action?: { type?: string } }[] } };
}
interface AzureVault {
    properties?: { enablePurgeProtection?: boolean; enableSoftDelete?: boolean; softDeleteRetentionInDays?: number };
}

// ------------------------------------------------------------------------------------------------------------
// Address space of a CIDR list
// ------------------------------------------------------------------------------------------------------------

interface Range {
    start: bigint;
    end: bigint; // inclusive
}

function parseIpv4(s: string): bigint | undefined {
    const parts = s.split(".");
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIpv6(s: string): bigint | undefined {
    let text = s;
    // An embedded IPv4 tail (::ffff:192.0.2.1).
    const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
        const n = parseIpv4(v4[2]);
        if (n === undefined) return undefined;
        text = `${v4[1]}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const head = halves[0] ? halves[0].split(":") : [];
    const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
    const missing = 8 - head.length - tail.length;
    if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
    const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
    return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** A CIDR (or a bare address) as a range of its family's address space; undefined when unreadable. */
export function parseCidr(cidr: string): { family: 4 | 6; range: Range } | undefined {
    const [addr, prefixText, extra] = cidr.trim().split("/");
    if (extra !== undefined) return undefined;
    const family = addr.includes(":") ? 6 : 4;
    const bits = family === 4 ? 32 : 128;
    const base = family === 4 ? parseIpv4(addr) : parseIpv6(addr);
    const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (base === undefined || !(prefix >= 0 && prefix <= bits)) return undefined;
    const size = 1n << BigInt(bits - prefix);
    const start = (base / size) * size;
    return { family, range: { start, end: start + size - 1n } };
}

function union(ranges: Range[]): Range[] {
    const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const out: Range[] = [];
    for (const r of sorted) {
        const last = out[out.length - 1];
        if (last && r.start <= last.end + 1n) last.end = r.end > last.end ? r.end : last.end;
        else out.push({ ...r });
    }
    return out;
}

function subtract(ranges: Range[], holes: Range[]): Range[] {
    let out = ranges;
    for (const h of holes) {
        out = out.flatMap((r) => {
            if (h.end < r.start || h.start > r.end) return [r];
            const pieces: Range[] = [];
            if (h.start > r.start) pieces.push({ start: r.start, end: h.start - 1n });
            if (h.end < r.end) pieces.push({ start: h.end + 1n, end: r.end });
            return pieces;
        });
    }
    return out;
}

/** Address ranges not reachable from the internet (RFC 1918, CGNAT, loopback, link-local, IPv6 ULA and link-local). */
const nonPublic: Record<4 | 6, Range[]> = {
    4: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"].map((c) => parseCidr(c)!.range),
    6: ["fc00::/7", "fe80::/10", "::1/128"].map((c) => parseCidr(c)!.range),
};

/** How much public address space a CIDR list opens, per family, and the entries that could not be read. */
export function openAddressSpace(cidrs: string[]): { ipv4: bigint; ipv6: bigint; invalid: string[] } {
    const byFamily: Record<4 | 6, Range[]> = { 4: [], 6: [] };
    const invalid: string[] = [];
    for (const c of cidrs) {
        const parsed = typeof c === "string" ? parseCidr(c) : undefined;
        if (parsed) byFamily[parsed.family].push(parsed.range);
        else invalid.push(String(c));
    }
    const size = (f: 4 | 6) => subtract(union(byFamily[f]), nonPublic[f]).reduce((sum, r) => sum + (r.end - r.start + 1n), 0n);
    return { ipv4: size(4), ipv6: size(6), invalid };
}

/** The CIDR limits a policy applies (widest total public space, as a prefix length per family). */
export interface CidrLimits {
    minIpv4PrefixLength: number;
    minIpv6PrefixLength: number;
}

export const cidrLimitsSchema = {
    minIpv4PrefixLength: { type: "integer", minimum: 0, maximum: 32, default: 16, description: "The whole list may open at most as many public IPv4 addresses as one /N." },
    minIpv6PrefixLength: { type: "integer", minimum: 0, maximum: 128, default: 48, description: "The whole list may open at most as many public IPv6 addresses as one /N." },
} as const;

/** Why a CIDR allow-list is too open, or undefined when it is narrow enough. An empty or missing list is open. */
export function cidrListProblem(cidrs: unknown, limits: CidrLimits): string | undefined {
    if (!Array.isArray(cidrs) || cidrs.length === 0) return "no CIDR restriction";
    const list = cidrs.map((c) => String(c));
    const space = openAddressSpace(list);
    if (space.invalid.length > 0) return `unreadable CIDRs ${space.invalid.join(", ")}`;
    const problems: string[] = [];
    const v4max = 1n << BigInt(32 - limits.minIpv4PrefixLength);
    const v6max = 1n << BigInt(128 - limits.minIpv6PrefixLength);
    if (space.ipv4 > v4max) problems.push(`${list.join(", ")} open ${space.ipv4} public IPv4 addresses, more than one /${limits.minIpv4PrefixLength}`);
    if (space.ipv6 > v6max) problems.push(`${list.join(", ")} open more public IPv6 space than one /${limits.minIpv6PrefixLength}`);
    return problems.length ? problems.join("; ") : undefined;
}

// ------------------------------------------------------------------------------------------------------------
// Per-cluster checks
// ------------------------------------------------------------------------------------------------------------

/** Why a cluster's API endpoint is reachable from too much of the internet, or undefined when it is not. */
export function publicEndpointProblem(type: string, props: object, limits: CidrLimits = { minIpv4PrefixLength: 16, minIpv6PrefixLength: 48 }): string | undefined {
    const why = (cidrs: unknown, what: string) => {
        const p = cidrListProblem(cidrs, limits);
        return p ? `${what}: ${p}` : undefined;
    };
    switch (type) {
        case clusterTypes.eks: {
            const vpc = (props as EksCluster).vpcConfig ?? {};
            if (vpc.endpointPublicAccess === false) return undefined;
            return why(vpc.publicAccessCidrs, "vpcConfig.endpointPublicAccess is on and publicAccessCidrs is too wide");
        }
        case clusterTypes.eksComponent: {
            const c = props as EksComponent;
            if (c.endpointPublicAccess === false) return undefined;
            return why(c.publicAccessCidrs, "endpointPublicAccess is on and publicAccessCidrs is too wide");
        }
        case clusterTypes.gke: {
            const c = props as GkeCluster;
            if (c.privateClusterConfig?.enablePrivateEndpoint === true) return undefined;
            if (c.masterAuthorizedNetworksConfig?.gcpPublicCidrsAccessEnabled === true) return "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled opens the endpoint to every Google Cloud public IP";
            const blocks = (c.masterAuthorizedNetworksConfig?.cidrBlocks ?? []).map((b) => b.cidrBlock);
            return why(blocks, "neither privateClusterConfig.enablePrivateEndpoint nor a narrow masterAuthorizedNetworksConfig restricts the endpoint");
        }
        case clusterTypes.aks: {
            const access = (props as AksCluster).apiServerAccessProfile ?? {};
            if (access.enablePrivateCluster === true) return undefined;
            return why(access.authorizedIPRanges, "apiServerAccessProfile has neither enablePrivateCluster nor narrow authorizedIPRanges");
        }
        default:
            return undefined;
    }
}

/** Why a cluster's Secrets are not envelope-encrypted with a customer key, or undefined when they are. */
export function secretsEncryptionProblem(type: string, props: object): string | undefined {
    switch (type) {
        case clusterTypes.eks: {
            const configs = ([] as EksEncryption[]).concat((props as EksCluster).encryptionConfig ?? []);
            const ok = configs.some((c) => (c.resources ?? []).includes("secrets") && c.provider?.keyArn);
            return ok ? undefined : "no encryptionConfig with a KMS key for resources [secrets]";
        }
        case clusterTypes.eksComponent:
            return (props as EksComponent).encryptionConfigKeyArn ? undefined : "no encryptionConfigKeyArn";
        case clusterTypes.gke: {
            const db = (props as GkeCluster).databaseEncryption;
            return db?.state === "ENCRYPTED" && db.keyName ? undefined : "databaseEncryption is not ENCRYPTED with a Cloud KMS keyName";
        }
        case clusterTypes.aks:
            return (props as AksCluster).securityProfile?.azureKeyVaultKms?.enabled === true ? undefined : "securityProfile.azureKeyVaultKms is not enabled";
        default:
            return undefined;
    }
}

/** Why a cluster offers no workload identity, or undefined when it does. `all` is the whole stack (EKS OIDC providers). */
export function workloadIdentityProblem(r: PolicyResource | { type: string; props: object }, all: { type: string; props: object }[]): string | undefined {
    switch (r.type) {
        case clusterTypes.eks:
        case clusterTypes.eksComponent: {
            const oidc = all.some((x) => x.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
            const podIdentity = all.some((x) => x.type === "aws:eks/addon:Addon" && (x.props as { addonName?: string }).addonName === "eks-pod-identity-agent");
            const viaComponent = r.type === clusterTypes.eksComponent && (r.props as EksComponent).createOidcProvider === true;
            return oidc || podIdentity || viaComponent ? undefined : "no IAM OIDC provider (IRSA) and no EKS Pod Identity agent";
        }
        case clusterTypes.gke:
            return (r.props as GkeCluster).workloadIdentityConfig?.workloadPool ? undefined : "workloadIdentityConfig.workloadPool is not set";
        case clusterTypes.aks: {
            const c = r.props as AksCluster;
            return c.oidcIssuerProfile?.enabled === true && c.securityProfile?.workloadIdentity?.enabled === true ? undefined : "oidcIssuerProfile and securityProfile.workloadIdentity must both be enabled";
        }
        default:
            return undefined;
    }
}

const isCluster = (type: string) => (Object.values(clusterTypes) as string[]).includes(type);

export const privateEndpoint: ResourceValidationPolicy = {
    name: "cluster-private-endpoint",
    description: "The cluster's API endpoint is private or limited to authorized networks that, together, open at most a small share of the public IPv4/IPv6 address space.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...cidrLimitsSchema } },
    validateResource: (args, report) => {
        if (!isCluster(args.type)) return;
        const found = publicEndpointProblem(args.type, args.props, args.getConfig<CidrLimits>());
        if (found) report(`Cluster ${args.name}: ${found}. Set cluster.authorizedNetworks to your office/VPN ranges only, or make the endpoint private.`);
    },
};

export const secretsEncryption: ResourceValidationPolicy = {
    name: "cluster-secrets-encryption",
    description: "Kubernetes Secrets are envelope-encrypted with a customer-managed key (KMS, Cloud KMS, Key Vault).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isCluster(args.type)) return;
        const found = secretsEncryptionProblem(args.type, args.props);
        if (found) report(`Cluster ${args.name}: ${found}.`);
    },
};

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

const auditCategories = ["kube-audit", "kube-audit-admin"];

export const controlPlaneLogging: StackValidationPolicy = {
    name: "cluster-control-plane-logging",
    description:
        "The control plane's logs are kept: EKS log types (eksLogTypes, default api, audit, authenticator), GKE logging not none and system components logged, AKS a diagnostic setting with kube-audit logs.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { eksLogTypes: { type: "array", items: { type: "string", enum: ["api", "audit", "authenticator", "controllerManager", "scheduler"] }, default: ["api", "audit", "authenticator"] } } },
    validateStack: (args, report) => {
        const { eksLogTypes } = args.getConfig<{ eksLogTypes: string[] }>();
        for (const r of args.resources.filter((x) => isCluster(x.type))) {
            if (r.type === clusterTypes.eks && r.parent?.type === clusterTypes.eksComponent) continue;
            if (r.type === clusterTypes.eks || r.type === clusterTypes.eksComponent) {
                const enabled = (r.props as EksComponent).enabledClusterLogTypes ?? [];
                const missing = eksLogTypes.filter((t) => !enabled.includes(t));
                if (missing.length) report(`Cluster ${r.name}: enabledClusterLogTypes lacks ${missing.join(", ")}; enable them (the EKS cluster component).`, r.urn);
            } else if (r.type === clusterTypes.gke) {
                const c = r.props as GkeCluster;
                if (c.loggingService === "none") report(`Cluster ${r.name}: loggingService is none; use logging.googleapis.com/kubernetes.`, r.urn);
                const components = c.loggingConfig?.enableComponents;
                if (components !== undefined && !components.includes("SYSTEM_COMPONENTS")) report(`Cluster ${r.name}: loggingConfig.enableComponents omits SYSTEM_COMPONENTS; add it (and APISERVER).`, r.urn);
            } else if (r.type === clusterTypes.aks) {
                const settings = diagnosticSettingsOf(args.resources, r);
                const audits = settings.some((s) =>
                    ((s.props as { logs?: { category?: string; categoryGroup?: string; enabled?: boolean }[] }).logs ?? []).some(
                        (l) => l.enabled !== false && (auditCategories.includes(l.category ?? "") || ["audit", "allLogs"].includes(l.categoryGroup ?? "")),
                    ),
                );
                if (!audits) report(`Cluster ${r.name}: no diagnostic setting sends kube-audit (or kube-audit-admin) logs to a workspace or storage; add one (the AKS cluster component).`, r.urn);
            }
        }
    },
};

export const nodesHardened: ResourceValidationPolicy = {
    name: "cluster-nodes-hardened",
    description: "Nodes have no public IPs (GKE private nodes, EKS nodes without public addresses, AKS pools without node public IPs) and GKE nodes expose only the GKE metadata server to pods.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const where = `${args.type.split(":").pop()} ${args.name}`;
        const metadata = (n: GkeNodeConfig | undefined, path: string) => {
            if (n?.workloadMetadataConfig?.mode !== "GKE_METADATA") report(`${where}: ${path}.workloadMetadataConfig.mode is ${n?.workloadMetadataConfig?.mode ?? "unset"}; set GKE_METADATA so pods cannot read the node's credentials (the GKE cluster component).`);
        };
        switch (args.type) {
            case clusterTypes.gke: {
                const c = args.props as GkeCluster;
                if (c.privateClusterConfig?.enablePrivateNodes !== true) report(`${where}: nodes get public IPs; set privateClusterConfig.enablePrivateNodes: true.`);
                if (!c.removeDefaultNodePool && c.nodeConfig) metadata(c.nodeConfig, "nodeConfig");
                break;
            }
            case "gcp:container/nodePool:NodePool": {
                const p = args.props as GkeNodePool;
                metadata(p.nodeConfig, "nodeConfig");
                if (p.networkConfig?.enablePrivateNodes === false) report(`${where}: networkConfig.enablePrivateNodes is false (public nodes); remove it.`);
                break;
            }
            case clusterTypes.eksComponent:
                if ((args.props as EksComponent).nodeAssociatePublicIpAddress === true) report(`${where}: nodeAssociatePublicIpAddress is true; set it false (nodes in private subnets).`);
                break;
            case clusterTypes.aks:
                for (const p of (args.props as AksCluster).agentPoolProfiles ?? []) if (p.enableNodePublicIP === true) report(`${where}: agent pool ${p.name ?? "(unnamed)"} has enableNodePublicIP; remove it.`);
                break;
            case "azure-native:containerservice:AgentPool":
                if ((args.props as AksAgentPool).enableNodePublicIP === true) report(`${where}: enableNodePublicIP is true; remove it.`);
                break;
        }
    },
};

export const aksHardened: ResourceValidationPolicy = {
    name: "aks-cluster-hardened",
    description: "An AKS cluster accepts Entra ID sign-in only (local accounts disabled, Kubernetes RBAC on) and enforces NetworkPolicies (networkProfile.networkPolicy set).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== clusterTypes.aks) return;
        const c = args.props as AksCluster;
        if (c.disableLocalAccounts !== true) report(`AKS cluster ${args.name}: local accounts are enabled (a static admin credential); set disableLocalAccounts: true and sign in through Entra ID (cluster.adminGroupObjectIds).`);
        if (c.enableRBAC === false) report(`AKS cluster ${args.name}: enableRBAC is false; turn Kubernetes RBAC on.`);
        const policy = c.networkProfile?.networkPolicy;
        if (!policy || policy === "none") report(`AKS cluster ${args.name}: networkProfile.networkPolicy is ${policy ?? "unset"}, so NetworkPolicies are not enforced; set cilium, azure or calico.`);
    },
};

/** Reads "1.34" or "1.34.2-gke.100" as [major, minor]. */
export function minorVersion(v: unknown): [number, number] | undefined {
    const m = typeof v === "string" ? /^v?(\d+)\.(\d+)/.exec(v) : null;
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export const kubernetesVersion: ResourceValidationPolicy = {
    name: "cluster-kubernetes-version",
    description: "Clusters and node pools run a Kubernetes minor version no older than minVersion (upstream supports the three newest minors).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { minVersion: { type: "string", pattern: "^1\\.\\d+$", default: "1.33" } } },
    validateResource: (args, report) => {
        const { minVersion } = args.getConfig<{ minVersion: string }>();
        const min = minorVersion(minVersion)!;
        const fields: Record<string, string> = {
            [clusterTypes.eks]: "version",
            [clusterTypes.eksComponent]: "version",
            [clusterTypes.aks]: "kubernetesVersion",
            [clusterTypes.gke]: "minMasterVersion",
            "gcp:container/nodePool:NodePool": "version",
            "azure-native:containerservice:AgentPool": "orchestratorVersion",
        };
        const field = fields[args.type];
        if (!field) return;
        const value = (args.props as Record<string, unknown>)[field];
        const v = minorVersion(value);
        if (v && (v[0] < min[0] || (v[0] === min[0] && v[1] < min[1]))) {
            report(`${args.name}: ${field} ${String(value)} is older than ${minVersion}, the oldest minor this environment accepts; set cluster.kubernetesVersion to ${minVersion} or later.`);
        }
    },
};

export const keysRotated: ResourceValidationPolicy = {
    name: "kms-keys-rotated",
    description: "Customer-managed encryption keys rotate automatically: AWS KMS enableKeyRotation, Cloud KMS rotationPeriod at most maxRotationDays, Key Vault keys with a rotate lifetime action.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { maxRotationDays: { type: "integer", minimum: 1, default: 365 } } },
    validateResource: (args, report) => {
        const { maxRotationDays } = args.getConfig<{ maxRotationDays: number }>();
        switch (args.type) {
            case keyTypes.awsKms: {
                const k = args.props as AwsKmsKey;
                const spec = k.keySpec ?? k.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
                // AWS rotates only symmetric keys.
                if (spec !== "SYMMETRIC_DEFAULT") return;
                if (k.enableKeyRotation !== true) report(`KMS key ${args.name}: set enableKeyRotation: true.`);
                else if (typeof k.rotationPeriodInDays === "number" && k.rotationPeriodInDays > maxRotationDays) report(`KMS key ${args.name}: rotationPeriodInDays ${k.rotationPeriodInDays} is above ${maxRotationDays}.`);
                return;
            }
            case keyTypes.gcpKms: {
                const k = args.props as GcpCryptoKey;
                if (k.purpose !== undefined && k.purpose !== "ENCRYPT_DECRYPT") return;
                const seconds = durationSeconds(k.rotationPeriod);
                if (!(seconds > 0)) report(`Cloud KMS key ${args.name}: set rotationPeriod (at most ${maxRotationDays} days, e.g. "${maxRotationDays * 86400}s").`);
                else if (seconds > maxRotationDays * 86400) report(`Cloud KMS key ${args.name}: rotationPeriod ${k.rotationPeriod} is longer than ${maxRotationDays} days.`);
                return;
            }
            case keyTypes.azureKey: {
                const actions = (args.props as AzureKey).properties?.rotationPolicy?.lifetimeActions ?? [];
                if (!actions.some((a) => (a.action?.type ?? "").toLowerCase() === "rotate")) report(`Key Vault key ${args.name}: no rotationPolicy with a rotate lifetime action; add one (the AKS cluster component's KMS key).`);
                return;
            }
        }
    },
};

export const keysDeletionProtected: ResourceValidationPolicy = {
    name: "kms-keys-deletion-protected",
    description: "A key deletion can be undone for at least minDeletionWindowDays: AWS KMS deletion window, Cloud KMS scheduled destruction, Key Vault soft delete with purge protection.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { minDeletionWindowDays: { type: "integer", minimum: 7, maximum: 30, default: 30 } } },
    validateResource: (args, report) => {
        const { minDeletionWindowDays } = args.getConfig<{ minDeletionWindowDays: number }>();
        switch (args.type) {
            case keyTypes.awsKms: {
                // Unset, AWS waits 30 days.
                const days = (args.props as AwsKmsKey).deletionWindowInDays ?? 30;
                if (days < minDeletionWindowDays) report(`KMS key ${args.name}: deletionWindowInDays ${days} is below ${minDeletionWindowDays}; raise it.`);
                return;
            }
            case keyTypes.gcpKms: {
                const d = (args.props as GcpCryptoKey).destroyScheduledDuration;
                // Unset, Cloud KMS keeps a destroyed version 30 days.
                if (d !== undefined && durationSeconds(d) < minDeletionWindowDays * 86400) report(`Cloud KMS key ${args.name}: destroyScheduledDuration ${d} is below ${minDeletionWindowDays} days; raise it.`);
                return;
            }
            case keyTypes.azureVault: {
                const p = (args.props as AzureVault).properties ?? {};
                if (p.enablePurgeProtection !== true) report(`Key Vault ${args.name}: set enablePurgeProtection: true (a deleted key cannot be purged before its retention ends).`);
                if (p.enableSoftDelete === false) report(`Key Vault ${args.name}: enableSoftDelete is false; remove it.`);
                const retention = p.softDeleteRetentionInDays ?? 90;
                if (retention < minDeletionWindowDays) report(`Key Vault ${args.name}: softDeleteRetentionInDays ${retention} is below ${minDeletionWindowDays}; raise it.`);
                return;
            }
        }
    },
};

export const clusterPolicies = [privateEndpoint, secretsEncryption, workloadIdentity, controlPlaneLogging, nodesHardened, aksHardened, kubernetesVersion, keysRotated, keysDeletionProtected];

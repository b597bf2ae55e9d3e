import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as resources from "@pulumi/azure-native/resources";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { grantBuiltInRole } from "../../azure";
import { KubernetesCluster, NodeCount, NodePool, WorkloadIdentity, gpuNodeLabel, gpuTaint } from "../kubernetesCluster";
import { nvidiaDevicePlugin } from "../nvidiaDevicePlugin";

/** An optional AKS GPU node pool. */
export interface AksGpuPoolArgs {
    /** VM size with GPUs, e.g. Standard_NC4as_T4_v3. */
    instanceType: string;
    /** GPUs per node of that size. */
    acceleratorCount: number;
    /** Node count bounds (min 0 lets the pool idle at no cost). */
    count: NodeCount;
}

export interface AksClusterArgs {
    /** Azure region, e.g. westeurope. */
    location: string;
    /** Resource group to create (the cluster, its Key Vault and identity live there). */
    resourceGroupName: string;
    /** Kubernetes minor version, e.g. 1.34. */
    kubernetesVersion: string;
    /** VM size of the system and user pools. */
    vmSize: string;
    /** Node count bounds of the user pool. */
    nodeCount: NodeCount;
    /** GPU pool, when models need GPUs. */
    gpu?: AksGpuPoolArgs;
    /** Entra ID groups granted cluster-admin through Azure RBAC. */
    adminGroupObjectIds: string[];
    /** CIDRs allowed to reach the API server when it is public. */
    authorizedNetworks: string[];
    /** Private API server (no public endpoint). */
    privateCluster: boolean;
}

/**
 * An AKS cluster: Entra ID authentication with Azure RBAC and no local accounts, OIDC issuer and workload
 * identity on, the API server private or limited to authorized CIDRs, Secrets encrypted with a Key Vault key
 * (KMS plugin, the key rotating yearly), the API server's audit log in a Log Analytics workspace (which the Azure Blob
 * object store logs to as well), a system pool, a user pool for workloads and an optional tainted GPU pool.
 *
 * AKS ships the Azure Disk CSI driver (kept on explicitly) and a default StorageClass (`default`, the same as
 * `managed-csi`), so `storageReady` is empty. On GPU pools AKS installs the NVIDIA driver but not the device
 * plugin (outside the preview AKS-managed GPU mode, absent from the pinned API version), so the cluster installs
 * the NVIDIA device plugin on the GPU pool: that is `gpuReady`.
 */
export class AksCluster extends pulumi.ComponentResource implements KubernetesCluster {
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly nodePools: pulumi.Output<NodePool[]>;
    public readonly workloadIdentity: WorkloadIdentity;
    public readonly storageReady: pulumi.Resource[] = [];
    public readonly gpuReady: pulumi.Resource[];
    /** Resource group of the cluster; the Azure Blob object store goes there too. */
    public readonly resourceGroupName: pulumi.Output<string>;
    /** Azure region of the cluster. */
    public readonly location: string;
    /** Log Analytics workspace of the cluster's audit log; the Azure Blob object store sends its access logs there too. */
    public readonly logAnalyticsWorkspaceId: pulumi.Output<string>;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:cluster:AksCluster", name, {}, opts);
        const child = { parent: this };
        this.location = args.location;
        const group = new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: args.resourceGroupName, location: args.location }, { ...child, protect: true });
        this.resourceGroupName = group.name;
        const client = authorization.getClientConfigOutput(child);

        // The cluster's own identity, which the KMS plugin uses to reach the key.
        const identity = new managedidentity.UserAssignedIdentity(`${name}-identity`, { resourceGroupName: group.name, location: args.location }, child);
        const vault = new keyvault.Vault(
            `${name}-kms`,
            {
                resourceGroupName: group.name,
                location: args.location,
                properties: {
                    tenantId: client.tenantId,
                    sku: { family: "A", name: "standard" },
                    enableRbacAuthorization: true,
                    enablePurgeProtection: true,
                    softDeleteRetentionInDays: 90,
                },
            },
            { ...child, protect: true },
        );
        // Key Vault makes a new key version yearly. The cluster names the version it encrypts with (keyUriWithVersion),
        // and older versions stay enabled (no expiry), so a rotation breaks nothing; `pulumi up --refresh` then moves
        // the KMS plugin to the new version (AKS re-encrypts the Secrets).
        const key = new keyvault.Key(
            `${name}-secrets`,
            {
                resourceGroupName: group.name,
                vaultName: vault.name,
                properties: { kty: "RSA", keySize: 2048, rotationPolicy: { lifetimeActions: [{ action: { type: "rotate" }, trigger: { timeAfterCreate: "P365D" } }] } },
            },
            { ...child, retainOnDelete: true },
        );
        const keyAccess = grantBuiltInRole(`${name}-kms-access`, { scope: vault.id, principalId: identity.principalId, role: "keyVaultCryptoUser", subscriptionId: client.subscriptionId }, child);

        const systemPool = { name: "system", mode: "System", vmSize: args.vmSize, count: 2, minCount: 2, maxCount: 3, enableAutoScaling: true, osType: "Linux", type: "VirtualMachineScaleSets", nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"] };
        const cluster = new containerservice.ManagedCluster(
            name,
            {
                resourceGroupName: group.name,
                location: args.location,
                kubernetesVersion: args.kubernetesVersion,
                dnsPrefix: name,
                identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
                agentPoolProfiles: [systemPool],
                aadProfile: { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: args.adminGroupObjectIds },
                disableLocalAccounts: true,
                enableRBAC: true,
                oidcIssuerProfile: { enabled: true },
                securityProfile: {
                    workloadIdentity: { enabled: true },
                    azureKeyVaultKms: { enabled: true, keyId: key.keyUriWithVersion, keyVaultNetworkAccess: "Public" },
                },
                apiServerAccessProfile: args.privateCluster ? { enablePrivateCluster: true } : { authorizedIPRanges: args.authorizedNetworks },
                networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", networkPolicy: "cilium", networkDataplane: "cilium" },
                // The Azure Disk CSI driver backs AKS's default StorageClass; on by default, stated here so it stays on.
                storageProfile: { diskCSIDriver: { enabled: true } },
                autoUpgradeProfile: { upgradeChannel: "patch" },
            },
            { ...child, protect: true, dependsOn: [keyAccess] },
        );

        // The API server's audit log: kube-audit-admin (every request but get/list/watch: who changed what, at a
        // fraction of kube-audit's volume) into a Log Analytics workspace of the cluster's, kept 90 days.
        const workspace = new operationalinsights.Workspace(
            `${name}-logs`,
            { resourceGroupName: group.name, location: args.location, sku: { name: "PerGB2018" }, retentionInDays: 90 },
            { ...child, protect: true },
        );
        this.logAnalyticsWorkspaceId = workspace.id;
        new monitor.DiagnosticSetting(
            `${name}-audit`,
            { resourceUri: cluster.id, workspaceId: workspace.id, logAnalyticsDestinationType: "Dedicated", logs: [{ category: "kube-audit-admin", enabled: true }] },
            child,
        );

        const pools: NodePool[] = [{ name: "user", instanceType: args.vmSize, gpus: 0, labels: {}, taints: [] }];
        new containerservice.AgentPool(
            `${name}-user`,
            {
                resourceGroupName: group.name,
                resourceName: cluster.name,
                agentPoolName: "user",
                mode: "User",
                vmSize: args.vmSize,
                count: args.nodeCount.desired,
                minCount: args.nodeCount.min,
                maxCount: args.nodeCount.max,
                enableAutoScaling: true,
                osType: "Linux",
            },
            child,
        );
        let gpuPool: containerservice.AgentPool | undefined;
        if (args.gpu) {
            pools.push({ name: "gpu", instanceType: args.gpu.instanceType, gpus: args.gpu.acceleratorCount, labels: gpuNodeLabel, taints: [gpuTaint] });
            gpuPool = new containerservice.AgentPool(
                `${name}-gpu`,
                {
                    resourceGroupName: group.name,
                    resourceName: cluster.name,
                    agentPoolName: "gpu",
                    mode: "User",
                    vmSize: args.gpu.instanceType,
                    count: args.gpu.count.desired,
                    minCount: args.gpu.count.min,
                    maxCount: args.gpu.count.max,
                    enableAutoScaling: true,
                    osType: "Linux",
                    nodeLabels: gpuNodeLabel,
                    nodeTaints: [`${gpuTaint.key}=${gpuTaint.value}:${gpuTaint.effect}`],
                    // AKS installs and maintains the NVIDIA driver (the default, stated); the device plugin is ours.
                    gpuProfile: { driver: "Install" },
                },
                child,
            );
        }

        // User credentials: an Entra ID kubeconfig that runs kubelogin (local accounts are off). It holds no secret;
        // with AAD_LOGIN_METHOD=azurecli kubelogin reuses your `az login`.
        const credentials = containerservice.listManagedClusterUserCredentialsOutput({ resourceGroupName: group.name, resourceName: cluster.name, format: "exec" }, child);
        this.kubeconfig = pulumi.secret(credentials.kubeconfigs.apply((k) => Buffer.from(k[0].value, "base64").toString("utf8")));
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.clusterName = cluster.name;
        this.nodePools = pulumi.output(pools);
        const issuer = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? "");
        this.workloadIdentity = { issuer, issuerHost: issuer };
        this.gpuReady = gpuPool ? [nvidiaDevicePlugin(`${name}-nvidia-device-plugin`, this.provider, { parent: this, dependsOn: [gpuPool] })] : [];
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, nodePools: this.nodePools });
    }
}

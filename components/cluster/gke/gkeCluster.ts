import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesCluster, NodeCount, NodePool, WorkloadIdentity, gpuNodeLabel, gpuTaint } from "../kubernetesCluster";

/** An optional GKE GPU node pool. */
export interface GkeGpuPoolArgs {
    /** Machine type of the GPU nodes, e.g. g2-standard-8. */
    instanceType: string;
    /**
     * Accelerator attached to each node, e.g. nvidia-l4. Required (the config refuses a GKE GPU pool without it):
     * GKE installs the NVIDIA driver only for a declared accelerator.
     */
    acceleratorType?: string;
    /** Accelerators per node. */
    acceleratorCount: number;
    /** Node count bounds per zone (min 0 lets the pool idle at no cost). */
    count: NodeCount;
}

export interface GkeClusterArgs {
    /** GCP project ID. */
    project: string;
    /** GCP region; the cluster is regional (control plane in three zones). */
    region: string;
    /** GKE release channel, which picks and upgrades the Kubernetes version. */
    releaseChannel: "RAPID" | "REGULAR" | "STABLE";
    /** Machine type of the CPU pool. */
    machineType: string;
    /** Node count bounds per zone of the CPU pool. */
    nodeCount: NodeCount;
    /** GPU pool, when models need GPUs. */
    gpu?: GkeGpuPoolArgs;
    /** CIDRs allowed to reach the control-plane endpoint. */
    authorizedNetworks: string[];
    /** Keep the control-plane endpoint private (no public IP). */
    privateEndpoint: boolean;
}

/** Secondary ranges of the VPC-native cluster; the node subnet is 10.10.0.0/20. */
const ranges = { nodes: "10.10.0.0/20", pods: { name: "pods", cidr: "10.20.0.0/14" }, services: { name: "services", cidr: "10.24.0.0/20" }, master: "172.16.0.0/28" };

/**
 * A regional, VPC-native GKE cluster with private nodes (Cloud NAT for egress), master authorized networks or
 * a private endpoint, Workload Identity, Secrets encrypted with a Cloud KMS key, shielded nodes running as a
 * dedicated least-privilege service account, and a CPU and an optional tainted GPU node pool.
 *
 * GKE installs what the platform needs itself: the Compute Engine persistent disk CSI driver (kept on explicitly)
 * with its default StorageClass `standard-rwo`, and on a GPU pool whose accelerator asks for driver installation,
 * the NVIDIA driver and GKE's own NVIDIA device plugin. So `storageReady` is empty and `gpuReady` is the GPU pool.
 */
export class GkeCluster extends pulumi.ComponentResource implements KubernetesCluster {
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly nodePools: pulumi.Output<NodePool[]>;
    public readonly workloadIdentity: WorkloadIdentity;
    public readonly storageReady: pulumi.Resource[] = [];
    public readonly gpuReady: pulumi.Resource[];
    /** The GCP provider for the cluster's project and region; the GCS object store uses it too. */
    public readonly gcpProvider: gcp.Provider;
    /** The cluster's GCP project (its Workload Identity pool is `<project>.svc.id.goog`). */
    public readonly project: string;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:cluster:GkeCluster", name, {}, opts);
        this.project = args.project;
        this.gcpProvider = new gcp.Provider(`${name}-gcp`, { project: args.project, region: args.region }, { parent: this });
        const child = { parent: this, provider: this.gcpProvider };

        const network = new gcp.compute.Network(`${name}-vpc`, { autoCreateSubnetworks: false }, child);
        const subnet = new gcp.compute.Subnetwork(
            `${name}-nodes`,
            {
                network: network.id,
                region: args.region,
                ipCidrRange: ranges.nodes,
                privateIpGoogleAccess: true,
                secondaryIpRanges: [
                    { rangeName: ranges.pods.name, ipCidrRange: ranges.pods.cidr },
                    { rangeName: ranges.services.name, ipCidrRange: ranges.services.cidr },
                ],
            },
            child,
        );
        // Private nodes pull images from public registries through Cloud NAT.
        const router = new gcp.compute.Router(`${name}-router`, { network: network.id, region: args.region }, child);
        new gcp.compute.RouterNat(
            `${name}-nat`,
            { router: router.name, region: args.region, natIpAllocateOption: "AUTO_ONLY", sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES" },
            child,
        );

        // Application-layer Secrets encryption: GKE's service agent must be able to use the key.
        const keyRing = new gcp.kms.KeyRing(`${name}-secrets`, { location: args.region }, { ...child, retainOnDelete: true });
        const key = new gcp.kms.CryptoKey(`${name}-secrets`, { keyRing: keyRing.id, rotationPeriod: "7776000s" }, { ...child, retainOnDelete: true });
        const projectNumber = gcp.organizations.getProjectOutput({ projectId: args.project }, child).number;
        const keyUser = new gcp.kms.CryptoKeyIAMMember(
            `${name}-secrets-gke`,
            { cryptoKeyId: key.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: pulumi.interpolate`serviceAccount:service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com` },
            child,
        );

        // Nodes run as their own service account with only logging, monitoring and image-pull rights.
        const nodeAccount = new gcp.serviceaccount.Account(`${name}-nodes`, { accountId: `${name}-nodes`.slice(0, 30), displayName: `GKE nodes of ${name}` }, child);
        ["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/artifactregistry.reader"].forEach(
            (role) => new gcp.projects.IAMMember(`${name}-nodes-${role.split("/")[1]}`, { project: args.project, role, member: pulumi.interpolate`serviceAccount:${nodeAccount.email}` }, child),
        );

        const workloadPool = `${args.project}.svc.id.goog`;
        const cluster = new gcp.container.Cluster(
            name,
            {
                location: args.region,
                network: network.id,
                subnetwork: subnet.id,
                removeDefaultNodePool: true,
                initialNodeCount: 1,
                networkingMode: "VPC_NATIVE",
                ipAllocationPolicy: { clusterSecondaryRangeName: ranges.pods.name, servicesSecondaryRangeName: ranges.services.name },
                privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: args.privateEndpoint, masterIpv4CidrBlock: ranges.master },
                masterAuthorizedNetworksConfig: { cidrBlocks: args.authorizedNetworks.map((cidrBlock) => ({ cidrBlock, displayName: cidrBlock })) },
                workloadIdentityConfig: { workloadPool },
                releaseChannel: { channel: args.releaseChannel },
                databaseEncryption: { state: "ENCRYPTED", keyName: key.id },
                enableShieldedNodes: true,
                // The persistent disk CSI driver backs GKE's default StorageClass (standard-rwo); on by default for
                // new clusters, stated here so it stays on.
                addonsConfig: { gcePersistentDiskCsiDriverConfig: { enabled: true } },
                deletionProtection: true,
            },
            { ...child, protect: true, dependsOn: [keyUser] },
        );

        const nodeConfig = (machineType: string): gcp.types.input.container.NodePoolNodeConfig => ({
            machineType,
            serviceAccount: nodeAccount.email,
            oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
            // Pods see the Workload Identity metadata server, never the node's credentials.
            workloadMetadataConfig: { mode: "GKE_METADATA" },
            shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        });
        const nodePool = (pool: string, count: NodeCount, config: ReturnType<typeof nodeConfig>) =>
            new gcp.container.NodePool(
                `${name}-${pool}`,
                {
                    cluster: cluster.id,
                    location: args.region,
                    initialNodeCount: count.desired,
                    autoscaling: { minNodeCount: count.min, maxNodeCount: count.max },
                    management: { autoRepair: true, autoUpgrade: true },
                    nodeConfig: config,
                },
                child,
            );
        const pools: NodePool[] = [{ name: "cpu", instanceType: args.machineType, gpus: 0, labels: {}, taints: [] }];
        nodePool("cpu", args.nodeCount, nodeConfig(args.machineType));
        this.gpuReady = [];
        if (args.gpu) {
            const gpu = args.gpu;
            if (!gpu.acceleratorType) throw new pulumi.ResourceError(`GKE GPU pool of ${name}: acceleratorType is required (e.g. nvidia-l4); GKE installs the NVIDIA driver only for a declared accelerator`, this);
            pools.push({ name: "gpu", instanceType: gpu.instanceType, gpus: gpu.acceleratorCount, labels: gpuNodeLabel, taints: [gpuTaint] });
            const gpuPool = nodePool("gpu", gpu.count, {
                ...nodeConfig(gpu.instanceType),
                // GKE installs the NVIDIA driver (its default version for the node image) and runs its own NVIDIA
                // device plugin on these nodes, so nothing else is installed for them.
                guestAccelerators: [{ type: gpu.acceleratorType, count: gpu.acceleratorCount, gpuDriverInstallationConfig: { gpuDriverVersion: "DEFAULT" } }],
                labels: gpuNodeLabel,
                taints: [{ key: gpuTaint.key, value: gpuTaint.value, effect: "NO_SCHEDULE" }],
            });
            this.gpuReady = [gpuPool];
        }

        this.clusterName = cluster.name;
        this.kubeconfig = pulumi.secret(
            pulumi.all([cluster.name, cluster.endpoint, cluster.masterAuth]).apply(([clusterName, endpoint, auth]) => gkeKubeconfig(clusterName, endpoint, auth.clusterCaCertificate ?? "")),
        );
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.nodePools = pulumi.output(pools);
        this.workloadIdentity = { issuer: pulumi.output(workloadPool), issuerHost: pulumi.output(workloadPool) };
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, nodePools: this.nodePools });
    }
}

/** A kubeconfig that authenticates with gke-gcloud-auth-plugin (your gcloud login), holding no credential. */
function gkeKubeconfig(clusterName: string, endpoint: string, caCertificate: string): string {
    const context = `gke-${clusterName}`;
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: context, cluster: { server: `https://${endpoint}`, "certificate-authority-data": caCertificate } }],
        contexts: [{ name: context, context: { cluster: context, user: context } }],
        "current-context": context,
        users: [{ name: context, user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin", provideClusterInfo: true, interactiveMode: "Never" } } }],
    });
}

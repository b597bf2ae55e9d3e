import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { partOfLabel } from "../../kubernetes";
import { irsaTrustPolicy } from "../../aws";
import { KubernetesCluster, NodeCount, NodePool, WorkloadIdentity, gpuNodeLabel, gpuTaint } from "../kubernetesCluster";
import { nvidiaDevicePlugin } from "../nvidiaDevicePlugin";

/** The EBS CSI controller's ServiceAccount, as the EKS add-on creates it; the only subject its IAM role trusts. */
export const ebsCsiServiceAccount = { namespace: "kube-system", name: "ebs-csi-controller-sa" };
/** Name of the default StorageClass inferstack installs on EKS. */
export const defaultStorageClassName = "gp3";

/** An optional GPU node group; its nodes are tainted so only GPU pods land there. */
export interface GpuNodeGroupArgs {
    /** EC2 instance type with GPUs, e.g. g5.xlarge. */
    instanceType: string;
    /** GPUs per node of that instance type. */
    acceleratorCount: number;
    /** Node count bounds (min 0 lets the group idle at no cost). */
    count: NodeCount;
}

export interface EksClusterArgs {
    /** AWS region, e.g. eu-west-1. */
    region: string;
    /** Kubernetes minor version, e.g. 1.34. */
    kubernetesVersion: string;
    /** CIDR of the cluster's own VPC. */
    vpcCidr: string;
    /** Instance type of the CPU node group. */
    instanceType: string;
    /** Node count bounds of the CPU node group. */
    nodeCount: NodeCount;
    /** GPU node group, when models need GPUs. */
    gpu?: GpuNodeGroupArgs;
    /** Whether the API endpoint is reachable from the internet (then only from `authorizedNetworks`). */
    publicEndpoint: boolean;
    /** CIDRs allowed to reach a public API endpoint. */
    authorizedNetworks: string[];
}

/** Two availability zones: enough for a highly available control plane and node groups, cheap NAT. */
const zoneSuffixes = ["a", "b"];

/**
 * An EKS cluster in its own VPC: nodes in private subnets behind a NAT gateway, the API endpoint private (or
 * public only to authorized CIDRs), Secrets encrypted with a KMS key, control-plane logs on, an IAM OIDC
 * provider for IRSA, a CPU node group and an optional tainted GPU node group.
 *
 * EKS itself ships no working default StorageClass (its `gp2` class is not marked default since Kubernetes 1.30,
 * and needs the EBS CSI driver anyway) and the NVIDIA AMI no device plugin, so the cluster also gets the EBS CSI
 * driver add-on (IRSA role with AmazonEBSCSIDriverPolicy), an encrypted `gp3` default StorageClass and, with a GPU
 * group, the NVIDIA device plugin: see `storageReady` and `gpuReady`.
 */
export class EksCluster extends pulumi.ComponentResource implements KubernetesCluster {
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly nodePools: pulumi.Output<NodePool[]>;
    public readonly workloadIdentity: WorkloadIdentity;
    public readonly storageReady: pulumi.Resource[];
    public readonly gpuReady: pulumi.Resource[];
    /** The AWS provider for the cluster's region; the S3 object store uses it too. */
    public readonly awsProvider: aws.Provider;
    /** The cluster's AWS region (the S3 store's buckets go there). */
    public readonly region: string;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:cluster:EksCluster", name, {}, opts);
        this.region = args.region;
        this.awsProvider = new aws.Provider(`${name}-aws`, { region: args.region as aws.Region }, { parent: this });
        const child = { parent: this, provider: this.awsProvider };
        const tags = { "inferstack.io/cluster": name };

        const network = privateNetwork(name, args.vpcCidr, args.region, tags, child);

        // Envelope encryption of Secrets; the key outlives the cluster (deleting it would lose the data).
        const secretsKey = new aws.kms.Key(
            `${name}-secrets`,
            { description: `Secrets encryption for EKS cluster ${name}`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
            { ...child, retainOnDelete: true },
        );

        const cluster = new eks.Cluster(
            name,
            {
                version: args.kubernetesVersion,
                vpcId: network.vpcId,
                privateSubnetIds: network.privateSubnetIds,
                publicSubnetIds: network.publicSubnetIds,
                nodeAssociatePublicIpAddress: false,
                endpointPrivateAccess: true,
                endpointPublicAccess: args.publicEndpoint,
                publicAccessCidrs: args.publicEndpoint ? args.authorizedNetworks : undefined,
                encryptionConfigKeyArn: secretsKey.arn,
                enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
                createOidcProvider: true,
                authenticationMode: eks.AuthenticationMode.Api,
                skipDefaultNodeGroup: true,
                deletionProtection: true,
                tags,
            },
            { ...child, protect: true },
        );

        const nodeRole = new aws.iam.Role(
            `${name}-nodes`,
            { assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ec2.amazonaws.com" }), tags },
            child,
        );
        ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"].forEach(
            (policy) => new aws.iam.RolePolicyAttachment(`${name}-nodes-${policy}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${policy}` }, child),
        );

        const pools: NodePool[] = [{ name: "cpu", instanceType: args.instanceType, gpus: 0, labels: {}, taints: [] }];
        const cpuNodes = new eks.ManagedNodeGroup(
            `${name}-cpu`,
            {
                cluster,
                nodeRole,
                subnetIds: network.privateSubnetIds,
                instanceTypes: [args.instanceType],
                scalingConfig: { minSize: args.nodeCount.min, maxSize: args.nodeCount.max, desiredSize: args.nodeCount.desired },
                tags,
            },
            child,
        );
        let gpuNodes: eks.ManagedNodeGroup | undefined;
        if (args.gpu) {
            pools.push({ name: "gpu", instanceType: args.gpu.instanceType, gpus: args.gpu.acceleratorCount, labels: gpuNodeLabel, taints: [gpuTaint] });
            gpuNodes = new eks.ManagedNodeGroup(
                `${name}-gpu`,
                {
                    cluster,
                    nodeRole,
                    subnetIds: network.privateSubnetIds,
                    instanceTypes: [args.gpu.instanceType],
                    // The EKS-optimized NVIDIA AMI ships the driver and container toolkit, not the device plugin (below).
                    amiType: "AL2023_x86_64_NVIDIA",
                    scalingConfig: { minSize: args.gpu.count.min, maxSize: args.gpu.count.max, desiredSize: args.gpu.count.desired },
                    labels: gpuNodeLabel,
                    taints: [{ key: gpuTaint.key, value: gpuTaint.value, effect: "NO_SCHEDULE" }],
                    tags,
                },
                child,
            );
        }

        this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.clusterName = cluster.eksCluster.name;
        this.nodePools = pulumi.output(pools);
        this.workloadIdentity = {
            issuer: cluster.oidcProviderArn,
            issuerHost: cluster.oidcIssuer.apply((url) => url.replace(/^https:\/\//, "")),
        };

        // Block storage: the EBS CSI driver as an EKS add-on, its controller assuming an IAM role through IRSA.
        const ebsCsiRole = new aws.iam.Role(
            `${name}-ebs-csi`,
            {
                assumeRolePolicy: irsaTrustPolicy(this.workloadIdentity, `system:serviceaccount:${ebsCsiServiceAccount.namespace}:${ebsCsiServiceAccount.name}`),
                tags,
            },
            child,
        );
        const ebsCsiPolicy = new aws.iam.RolePolicyAttachment(
            `${name}-ebs-csi`,
            { role: ebsCsiRole.name, policyArn: aws.iam.ManagedPolicy.AmazonEBSCSIDriverPolicy },
            child,
        );
        const ebsCsi = new aws.eks.Addon(
            `${name}-ebs-csi`,
            {
                clusterName: cluster.eksCluster.name,
                addonName: "aws-ebs-csi-driver",
                serviceAccountRoleArn: ebsCsiRole.arn,
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                tags,
            },
            // The add-on turns ACTIVE only once its controller runs: it needs the role and nodes to run on.
            { ...child, dependsOn: [ebsCsiPolicy, cpuNodes] },
        );
        // The cluster's default class: encrypted gp3 (the account's aws/ebs key), bound where the pod is scheduled
        // so the volume lands in the pod's zone.
        const gp3 = new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
                metadata: {
                    name: defaultStorageClassName,
                    annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
                    labels: partOfLabel,
                },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
                volumeBindingMode: "WaitForFirstConsumer",
                reclaimPolicy: "Delete",
                allowVolumeExpansion: true,
            },
            { parent: this, provider: this.provider, dependsOn: [ebsCsi] },
        );
        this.storageReady = [ebsCsi, gp3];

        // GPUs: the NVIDIA AMI has the driver; the device plugin makes the nodes advertise nvidia.com/gpu.
        this.gpuReady = gpuNodes ? [nvidiaDevicePlugin(`${name}-nvidia-device-plugin`, this.provider, { parent: this, dependsOn: [gpuNodes] })] : [];
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, nodePools: this.nodePools });
    }
}

/** A VPC with public subnets (load balancers, NAT) and private subnets (nodes) in two zones. */
function privateNetwork(name: string, cidr: string, region: string, tags: Record<string, string>, opts: pulumi.CustomResourceOptions) {
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: name } }, opts);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, opts);
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags }, opts);
    // /16 → /20 subnets: zones take the first slots for public, the next ones for private subnets.
    const subnetCidr = (index: number) => {
        const [a, b] = cidr.split(".");
        return `${a}.${b}.${index * 16}.0/20`;
    };
    const publicSubnetIds: pulumi.Output<string>[] = [];
    const privateSubnetIds: pulumi.Output<string>[] = [];
    let nat: aws.ec2.NatGateway | undefined;
    zoneSuffixes.forEach((suffix, i) => {
        const zone = `${region}${suffix}`;
        const pub = new aws.ec2.Subnet(
            `${name}-public-${suffix}`,
            { vpcId: vpc.id, cidrBlock: subnetCidr(i), availabilityZone: zone, mapPublicIpOnLaunch: false, tags: { ...tags, "kubernetes.io/role/elb": "1" } },
            opts,
        );
        new aws.ec2.RouteTableAssociation(`${name}-public-${suffix}`, { subnetId: pub.id, routeTableId: publicRoutes.id }, opts);
        publicSubnetIds.push(pub.id);
        if (!nat) {
            const eip = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags }, opts);
            nat = new aws.ec2.NatGateway(`${name}-nat`, { subnetId: pub.id, allocationId: eip.id, tags }, opts);
        }
        const priv = new aws.ec2.Subnet(
            `${name}-private-${suffix}`,
            { vpcId: vpc.id, cidrBlock: subnetCidr(i + zoneSuffixes.length), availabilityZone: zone, tags: { ...tags, "kubernetes.io/role/internal-elb": "1" } },
            opts,
        );
        const privateRoutes = new aws.ec2.RouteTable(`${name}-private-${suffix}`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags }, opts);
        new aws.ec2.RouteTableAssociation(`${name}-private-${suffix}`, { subnetId: priv.id, routeTableId: privateRoutes.id }, opts);
        privateSubnetIds.push(priv.id);
    });
    return { vpcId: vpc.id, publicSubnetIds, privateSubnetIds };
}

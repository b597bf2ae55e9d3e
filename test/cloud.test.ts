import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { Render, RenderedResource, renderStack, repoRoot } from "../tools/renderStack";
import { versions } from "../components/versions";
import { byType, manifest, one, stackFileConfig, strictFailures } from "./helpers";

const stacks = readdirSync(path.join(repoRoot, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

function inputs(r: RenderedResource): any {
    return r.inputs;
}

function isvcs(render: Render): any[] {
    return render.manifests.filter((m) => m.kind === "InferenceService");
}

const chartType = "kubernetes:helm.sh/v4:Chart";
const defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class";

/** The StorageClasses a render declares as the cluster default. */
function defaultStorageClasses(render: Render): any[] {
    return render.manifests.filter((m) => m.kind === "StorageClass" && m.metadata.annotations?.[defaultClassAnnotation] === "true");
}

function devicePluginCharts(render: Render): RenderedResource[] {
    return byType(render, chartType).filter((c) => c.inputs["chart"] === versions.cloudAddons.nvidiaDevicePlugin.chart);
}

/** The NVIDIA device plugin runs only on the tainted, labelled GPU nodes, with resources, through the cluster's provider. */
function assertDevicePluginOnGpuNodes(render: Render): void {
    const charts = devicePluginCharts(render);
    assert.equal(charts.length, 1, "one NVIDIA device plugin chart");
    const c = charts[0];
    const pin = versions.cloudAddons.nvidiaDevicePlugin;
    assert.deepEqual([c.inputs["version"], (c.inputs["repositoryOpts"] as any).repo], [pin.version, pin.repo]);
    const values = inputs(c).values;
    assert.deepEqual(values.nodeSelector, { "inferstack.io/gpu": "true" });
    assert.deepEqual(values.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }], "tolerates the GPU taint, and nothing else");
    // The chart's default affinity wants Node Feature Discovery labels these nodes lack: it must be replaced.
    const terms = values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    assert.deepEqual(terms, [{ matchExpressions: [{ key: "inferstack.io/gpu", operator: "In", values: ["true"] }] }]);
    assert.ok(values.resources.requests.cpu && values.resources.requests.memory && values.resources.limits.memory, "resources set");
    const ns = manifest(render, "Namespace", String(c.inputs["namespace"])) as any;
    assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged", "the plugin's hostPath needs the privileged level");
    assertThroughClusterProvider(render, c);
}

/** A Kubernetes resource the cluster component declares goes through the cluster's own provider. */
function assertThroughClusterProvider(render: Render, r: RenderedResource): void {
    const provider = one(render, "pulumi:providers:kubernetes");
    assert.ok(r.provider?.startsWith(`${provider.urn}::`), `${r.name} uses the cluster's provider`);
}

/** Which cloud SDK files a stack's render loads, from a fresh process. */
function loadedSdks(stack: string): Record<string, string[]> {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "test", "loadedCloudSdks.ts"), stack], { encoding: "utf8", cwd: repoRoot });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, string[]>;
}

describe("every stack renders, validates strictly and keeps its kubeconfig secret", () => {
    it("finds the dev, staging, prod and aks stacks", () => {
        for (const s of ["dev", "staging", "prod", "aks"]) assert.ok(stacks.includes(s), s);
    });
    for (const stack of stacks) {
        it(`stack ${stack}`, async () => {
            const render = await renderStack(stack);
            assert.equal(render.outputs["kubeconfig"], "[secret]");
            assert.ok(isvcs(render).length > 0, "serves at least one model");
            assert.deepEqual(await strictFailures(render.manifests), []);
            assert.deepEqual(await strictFailures(render.patches, { partial: true }), []);
        });
    }
});

describe("a stack loads only its own cloud SDK", () => {
    it("dev (an existing cluster, Minio) loads no cloud SDK at all", () => {
        assert.deepEqual(loadedSdks("dev"), {});
    });
    it("prod loads the AWS SDKs only", () => {
        const loaded = loadedSdks("prod");
        assert.deepEqual(Object.keys(loaded).sort(), ["aws", "eks"], "the check sees SDKs when they are loaded");
    });
    it("staging loads the GCP SDK only", () => {
        assert.deepEqual(Object.keys(loadedSdks("staging")), ["gcp"]);
    });
    it("aks loads azure-native submodules, never the package root", () => {
        const loaded = loadedSdks("aks");
        assert.deepEqual(Object.keys(loaded), ["azure-native"]);
        assert.ok(!loaded["azure-native"].includes("index.js"), "the root index (about a second to load) stays unloaded");
        assert.ok(loaded["azure-native"].length < 60, `only a few modules (${loaded["azure-native"].length})`);
    });
});

describe("prod: EKS, S3 through IRSA, durable eventing, HA", () => {
    let prod: Render;
    before(async () => {
        prod = await renderStack("prod");
    });

    it("keeps the API endpoint private or limited to the authorized CIDRs, with private nodes", () => {
        const cluster = one(prod, "eks:index:Cluster");
        const c = inputs(cluster);
        assert.equal(c.endpointPrivateAccess, true);
        assert.equal(c.endpointPublicAccess, true);
        assert.deepEqual(c.publicAccessCidrs, ["203.0.113.0/24"]);
        assert.equal(c.nodeAssociatePublicIpAddress, false);
        assert.equal(c.privateSubnetIds.length, 2);
        const privateSubnets = byType(prod, "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("-private-"));
        assert.equal(privateSubnets.length, 2);
        for (const s of privateSubnets) assert.notEqual(inputs(s).mapPublicIpOnLaunch, true);
        for (const group of byType(prod, "eks:index:ManagedNodeGroup")) assert.deepEqual(inputs(group).subnetIds, c.privateSubnetIds, `${group.name} in private subnets`);
    });

    it("encrypts Secrets with a rotating KMS key, logs the control plane, and is protected", () => {
        const cluster = one(prod, "eks:index:Cluster");
        const c = inputs(cluster);
        const key = byType(prod, "aws:kms/key:Key").find((k) => k.name.endsWith("-secrets"))!;
        assert.equal(inputs(key).enableKeyRotation, true);
        assert.match(c.encryptionConfigKeyArn, /^arn:aws:/);
        for (const log of ["api", "audit", "authenticator"]) assert.ok(c.enabledClusterLogTypes.includes(log), log);
        assert.equal(c.createOidcProvider, true, "IRSA");
        assert.equal(cluster.protect, true);
        assert.equal(c.deletionProtection, true);
    });

    it("reports its node pools as a stack output", () => {
        const pools = prod.outputs["nodePools"] as { name: string; gpus: number; taints: unknown[] }[];
        assert.deepEqual(pools.map((p) => [p.name, p.gpus, p.taints.length]), [["cpu", 0, 0], ["gpu", 1, 1]]);
    });

    it("adds a tainted GPU node group on the NVIDIA AMI", () => {
        const gpu = byType(prod, "eks:index:ManagedNodeGroup").find((g) => g.name.endsWith("-gpu"))!;
        assert.deepEqual(inputs(gpu).taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
        assert.deepEqual(inputs(gpu).labels, { "inferstack.io/gpu": "true" });
        assert.match(inputs(gpu).amiType, /NVIDIA/);
        const model = manifest(prod, "InferenceService", "credit-risk-torch") as any;
        assert.deepEqual(model.spec.predictor.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
        assert.equal(model.spec.predictor.model.resources.limits["nvidia.com/gpu"], "1");
    });

    it("installs the EBS CSI driver add-on with an IAM role only its controller ServiceAccount can assume", () => {
        const addon = one(prod, "aws:eks/addon:Addon");
        assert.equal(inputs(addon).addonName, "aws-ebs-csi-driver");
        const role = byType(prod, "aws:iam/role:Role").find((r) => r.name.endsWith("-ebs-csi"))!;
        assert.ok(role, "an IAM role for the driver");
        assert.equal(inputs(addon).serviceAccountRoleArn, `arn:aws:mock::123456789012:${role.name}`, "the add-on runs as that role");
        const trust = JSON.parse(inputs(role).assumeRolePolicy);
        assert.equal(trust.Statement.length, 1);
        const statement = trust.Statement[0];
        assert.equal(statement.Action, "sts:AssumeRoleWithWebIdentity");
        assert.match(statement.Principal.Federated, /:oidc-provider\//);
        assert.deepEqual(Object.keys(statement.Condition), ["StringEquals"], "exact match, no wildcard");
        const conditions = Object.entries(statement.Condition.StringEquals as Record<string, string>);
        assert.deepEqual(conditions.find(([k]) => k.endsWith(":sub"))![1], "system:serviceaccount:kube-system:ebs-csi-controller-sa");
        assert.deepEqual(conditions.find(([k]) => k.endsWith(":aud"))![1], "sts.amazonaws.com");
        const attachments = byType(prod, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => inputs(a).role === role.name);
        assert.deepEqual(attachments.map((a) => inputs(a).policyArn), ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]);
        // The add-on goes ACTIVE only once its controller runs on a node.
        const cpuNodes = byType(prod, "eks:index:ManagedNodeGroup").find((g) => g.name.endsWith("-cpu"))!;
        assert.ok(addon.dependsOn.includes(cpuNodes.urn), "waits for the CPU node group");
    });

    it("makes an encrypted gp3 class, bound where the pod lands, the one default StorageClass", () => {
        const defaults = defaultStorageClasses(prod);
        assert.equal(defaults.length, 1, "exactly one default class");
        const sc = defaults[0];
        assert.equal(sc.metadata.name, "gp3");
        assert.equal(sc.provisioner, "ebs.csi.aws.com");
        assert.deepEqual([sc.parameters.type, sc.parameters.encrypted], ["gp3", "true"]);
        assert.equal(sc.volumeBindingMode, "WaitForFirstConsumer");
        assert.equal(sc.allowVolumeExpansion, true);
        const resource = one(prod, "kubernetes:storage.k8s.io/v1:StorageClass");
        assertThroughClusterProvider(prod, resource);
        assert.ok(resource.dependsOn.includes(one(prod, "aws:eks/addon:Addon").urn), "created after the driver");
    });

    it("runs the NVIDIA device plugin on the GPU node group (the NVIDIA AMI has the driver, not the plugin)", () => {
        assertDevicePluginOnGpuNodes(prod);
        const gpuNodes = byType(prod, "eks:index:ManagedNodeGroup").find((g) => g.name.endsWith("-gpu"))!;
        assert.ok(devicePluginCharts(prod)[0].dependsOn.includes(gpuNodes.urn));
    });

    it("keeps model buckets and their access-log bucket private, versioned, encrypted and protected, every access logged", () => {
        const buckets = byType(prod, "aws:s3/bucket:Bucket");
        const logBucketName = "acme-inferstack-prod-models-access-logs";
        assert.deepEqual(buckets.map((b) => inputs(b).bucket).sort(), ["acme-inferstack-prod-models", logBucketName, "acme-inferstack-prod-reference"]);
        const logBucket = buckets.find((b) => inputs(b).bucket === logBucketName)!;
        for (const b of buckets) {
            const isLog = b === logBucket;
            assert.equal(b.protect, true);
            assert.equal(b.retainOnDelete, true);
            const linked = (type: string) => prod.resources.find((r) => r.type === type && (r.propertyDependencies["bucket"] ?? []).includes(b.urn));
            const block = inputs(linked("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")!);
            for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block[flag], true, flag);
            assert.equal(inputs(linked("aws:s3/bucketVersioning:BucketVersioning")!).versioningConfiguration.status, "Enabled");
            // S3 delivers access logs only to a bucket encrypted with SSE-S3.
            assert.equal(inputs(linked("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")!).rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, isLog ? "AES256" : "aws:kms");
            assert.equal(inputs(linked("aws:s3/bucketOwnershipControls:BucketOwnershipControls")!).rule.objectOwnership, "BucketOwnerEnforced");
            const logging = linked("aws:s3/bucketLogging:BucketLogging")!;
            assert.ok(logging, `${inputs(b).bucket} has server access logging`);
            assert.deepEqual(logging.propertyDependencies["targetBucket"], [logBucket.urn], "into the log bucket");
            assert.equal(inputs(logging).targetPrefix, isLog ? "access-logs/" : `${inputs(b).bucket}/`);
        }
        // Only S3's logging service writes there, and only for this store's buckets (no ACLs under BucketOwnerEnforced).
        const policy = prod.resources.find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy" && (r.propertyDependencies["bucket"] ?? []).includes(logBucket.urn))!;
        const statement = JSON.parse(inputs(policy).policy).Statement[0];
        assert.deepEqual([statement.Effect, statement.Principal, statement.Action], ["Allow", { Service: "logging.s3.amazonaws.com" }, "s3:PutObject"]);
        assert.equal(statement.Condition.ArnLike["aws:SourceArn"].length, 3);
    });

    it("lets only the model ServiceAccount assume a read-only role (IRSA), with no access key anywhere", () => {
        const role = byType(prod, "aws:iam/role:Role").find((r) => r.name.endsWith("-reader"))!;
        const trust = JSON.parse(inputs(role).assumeRolePolicy);
        const statement = trust.Statement[0];
        assert.equal(statement.Action, "sts:AssumeRoleWithWebIdentity");
        assert.match(statement.Principal.Federated, /:oidc-provider\//);
        const conditions = statement.Condition.StringEquals;
        const sub = Object.entries(conditions).find(([k]) => k.endsWith(":sub"))!;
        assert.equal(sub[1], "system:serviceaccount:inferstack-models:kserve-models");
        const policy = JSON.parse(inputs(byType(prod, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith("-reader"))!).policy);
        const actions = policy.Statement.flatMap((s: any) => s.Action);
        assert.deepEqual(actions.sort(), ["kms:Decrypt", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]);
        const sa = manifest(prod, "ServiceAccount", "kserve-models") as any;
        assert.match(sa.metadata.annotations["eks.amazonaws.com/role-arn"], /^arn:aws:/);
        assert.equal(sa.metadata.annotations["serving.kserve.io/s3-region"], "eu-west-1");
        assert.equal(prod.manifests.some((m) => m.kind === "Secret" && m.metadata.name === "kserve-s3-credentials"), false);
        assert.equal(prod.resources.some((r) => r.type.includes("accessKey")), false);
        for (const m of isvcs(prod)) assert.equal(m.spec.predictor.serviceAccountName, "kserve-models");
    });

    it("differs from dev where it matters: HA, Kafka broker, warm latency-critical models, retention", () => {
        assert.equal((manifest(prod, "KnativeServing", "knative-serving") as any).spec["high-availability"].replicas, 3);
        assert.equal((manifest(prod, "Broker", "default") as any).metadata.annotations["eventing.knative.dev/broker.class"], "Kafka");
        for (const m of isvcs(prod).filter((x) => x.metadata.labels["inferstack.io/latency-critical"] === "true")) {
            assert.ok(m.spec.predictor.minReplicas >= 1, `${m.metadata.name} never scales to zero`);
        }
        const kps = byType(prod, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs["chart"] === "kube-prometheus-stack")!;
        const spec = inputs(kps).values.prometheus.prometheusSpec;
        assert.equal(spec.retention, "720h");
        assert.equal(spec.replicas, 2);
        assert.equal(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, "200Gi");
    });
});

describe("staging: GKE with Workload Identity and GCS", () => {
    let staging: Render;
    before(async () => {
        staging = await renderStack("staging");
    });

    it("is VPC-native with private nodes, authorized networks, Workload Identity and Cloud KMS Secrets encryption", () => {
        const cluster = one(staging, "gcp:container/cluster:Cluster");
        const c = inputs(cluster);
        assert.equal(c.networkingMode, "VPC_NATIVE");
        assert.equal(c.ipAllocationPolicy.clusterSecondaryRangeName, "pods");
        assert.equal(c.privateClusterConfig.enablePrivateNodes, true);
        assert.deepEqual(c.masterAuthorizedNetworksConfig.cidrBlocks.map((b: any) => b.cidrBlock), ["203.0.113.0/24"]);
        assert.equal(c.workloadIdentityConfig.workloadPool, "acme-ml-staging.svc.id.goog");
        assert.equal(c.databaseEncryption.state, "ENCRYPTED");
        assert.ok(c.databaseEncryption.keyName, "a Cloud KMS key");
        assert.equal(c.removeDefaultNodePool, true);
        assert.equal(c.releaseChannel.channel, "REGULAR");
        assert.equal(cluster.protect, true);
        const keyUser = one(staging, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember");
        assert.match(inputs(keyUser).member, /^serviceAccount:service-\d+@container-engine-robot\.iam\.gserviceaccount\.com$/);
    });

    it("runs nodes on the Workload Identity metadata server, with a tainted GPU pool", () => {
        const pools = byType(staging, "gcp:container/nodePool:NodePool");
        assert.equal(pools.length, 2);
        for (const p of pools) assert.equal(inputs(p).nodeConfig.workloadMetadataConfig.mode, "GKE_METADATA");
        const gpu = pools.find((p) => p.name.endsWith("-gpu"))!;
        assert.equal(inputs(gpu).nodeConfig.guestAccelerators[0].type, "nvidia-l4");
        assert.deepEqual(inputs(gpu).nodeConfig.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
    });

    it("lets GKE install the GPU driver and its own device plugin, and keeps GKE's storage driver and default class", () => {
        const gpu = byType(staging, "gcp:container/nodePool:NodePool").find((p) => p.name.endsWith("-gpu"))!;
        const accelerator = inputs(gpu).nodeConfig.guestAccelerators[0];
        assert.deepEqual([accelerator.type, accelerator.count], ["nvidia-l4", 1]);
        assert.equal(accelerator.gpuDriverInstallationConfig.gpuDriverVersion, "DEFAULT");
        assert.deepEqual(inputs(gpu).nodeConfig.labels, { "inferstack.io/gpu": "true" });
        assert.equal(devicePluginCharts(staging).length, 0, "no second device plugin beside GKE's");
        assert.equal(inputs(one(staging, "gcp:container/cluster:Cluster")).addonsConfig.gcePersistentDiskCsiDriverConfig.enabled, true);
        assert.equal(defaultStorageClasses(staging).length, 0, "GKE's standard-rwo stays the only default class");
    });

    it("keeps the bucket and its usage-log bucket private, versioned and protected, every access logged; read through Workload Identity", () => {
        const buckets = byType(staging, "gcp:storage/bucket:Bucket");
        const modelBucket = String(inputs(buckets.find((x) => !String(inputs(x).name).endsWith("-access-logs"))!).name);
        const logBucketName = `${modelBucket}-access-logs`;
        assert.deepEqual(buckets.map((x) => inputs(x).name).sort(), [modelBucket, logBucketName].sort());
        for (const bucket of buckets) {
            const b = inputs(bucket);
            assert.equal(b.uniformBucketLevelAccess, true);
            assert.equal(b.publicAccessPrevention, "enforced");
            assert.equal(b.versioning.enabled, true);
            assert.deepEqual(b.logging, { logBucket: logBucketName, logObjectPrefix: b.name === logBucketName ? "access-logs" : b.name });
            assert.deepEqual([bucket.protect, bucket.retainOnDelete], [true, true]);
        }
        const binding = one(staging, "gcp:serviceaccount/iAMMember:IAMMember");
        assert.equal(inputs(binding).role, "roles/iam.workloadIdentityUser");
        assert.equal(inputs(binding).member, "serviceAccount:acme-ml-staging.svc.id.goog[inferstack-models/kserve-models]");
        const grants = byType(staging, "gcp:storage/bucketIAMMember:BucketIAMMember").map((r) => [inputs(r).role, inputs(r).member]);
        assert.deepEqual(grants.find(([role]) => role === "roles/storage.objectCreator"), ["roles/storage.objectCreator", "group:cloud-storage-analytics@google.com"], "Cloud Storage writes the usage logs");
        const reader = byType(staging, "gcp:storage/bucketIAMMember:BucketIAMMember").find((r) => inputs(r).role === "roles/storage.objectViewer")!;
        assert.equal(inputs(reader).role, "roles/storage.objectViewer");
        const sa = manifest(staging, "ServiceAccount", "kserve-models") as any;
        assert.match(sa.metadata.annotations["iam.gke.io/gcp-service-account"], /@.*\.iam\.gserviceaccount\.com$/);
        for (const m of isvcs(staging)) assert.match(m.spec.predictor.model.storageUri, /^gs:\/\//);
    });
});

describe("aks: AKS with Entra ID, workload identity and Azure Blob", () => {
    let aks: Render;
    before(async () => {
        aks = await renderStack("aks");
    });

    it("uses Entra ID with Azure RBAC and no local accounts, OIDC + workload identity, Key Vault KMS, authorized IPs", () => {
        const cluster = one(aks, "azure-native:containerservice:ManagedCluster");
        const c = inputs(cluster);
        assert.deepEqual([c.aadProfile.managed, c.aadProfile.enableAzureRBAC], [true, true]);
        assert.equal(c.disableLocalAccounts, true);
        assert.equal(c.oidcIssuerProfile.enabled, true);
        assert.equal(c.securityProfile.workloadIdentity.enabled, true);
        assert.equal(c.securityProfile.azureKeyVaultKms.enabled, true);
        assert.match(c.securityProfile.azureKeyVaultKms.keyId, /^https:\/\/.*\/keys\//);
        assert.deepEqual(c.apiServerAccessProfile.authorizedIPRanges, ["203.0.113.0/24"]);
        assert.equal(c.agentPoolProfiles[0].mode, "System");
        assert.deepEqual(c.agentPoolProfiles[0].nodeTaints, ["CriticalAddonsOnly=true:NoSchedule"]);
        assert.equal(cluster.protect, true);
        const vault = one(aks, "azure-native:keyvault:Vault");
        assert.equal(inputs(vault).properties.enablePurgeProtection, true);
    });

    it("rotates the KMS key yearly and sends the API server's audit log to a Log Analytics workspace", () => {
        const key = inputs(one(aks, "azure-native:keyvault:Key"));
        assert.deepEqual(key.properties.rotationPolicy.lifetimeActions, [{ action: { type: "rotate" }, trigger: { timeAfterCreate: "P365D" } }]);
        assert.equal(key.properties.rotationPolicy.attributes, undefined, "no expiry: the version the cluster names stays usable after a rotation");
        const cluster = one(aks, "azure-native:containerservice:ManagedCluster");
        const workspace = one(aks, "azure-native:operationalinsights:Workspace");
        assert.equal(workspace.protect, true);
        const settings = byType(aks, "azure-native:monitor:DiagnosticSetting");
        const audit = settings.find((s) => (s.propertyDependencies["resourceUri"] ?? []).includes(cluster.urn))!;
        assert.deepEqual(inputs(audit).logs, [{ category: "kube-audit-admin", enabled: true }]);
        assert.deepEqual(audit.propertyDependencies["workspaceId"], [workspace.urn]);
    });

    it("keeps the storage account private (no public blobs, no shared keys), versioned, and read through workload identity", () => {
        const account = one(aks, "azure-native:storage:StorageAccount");
        const a = inputs(account);
        assert.equal(a.allowBlobPublicAccess, false);
        assert.equal(a.allowSharedKeyAccess, false);
        assert.equal(a.minimumTlsVersion, "TLS1_2");
        assert.equal(account.protect, true);
        assert.equal(inputs(one(aks, "azure-native:storage:BlobServiceProperties")).isVersioningEnabled, true);
        assert.equal(inputs(one(aks, "azure-native:storage:BlobContainer")).publicAccess, "None");
        const federated = inputs(one(aks, "azure-native:managedidentity:FederatedIdentityCredential"));
        assert.equal(federated.subject, "system:serviceaccount:inferstack-models:kserve-models");
        assert.match(federated.issuer, /^https:\/\/.*oic\.prod-aks\.azure\.com\//);
        const readers = byType(aks, "azure-native:authorization:RoleAssignment").map((r) => inputs(r).roleDefinitionId);
        assert.ok(readers.some((id: string) => id.endsWith("/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")), "Storage Blob Data Reader");
        // Every blob read, write and delete goes to the cluster's workspace (a diagnostic setting on the blob service).
        const blobLogs = byType(aks, "azure-native:monitor:DiagnosticSetting").find((s) => (s.propertyDependencies["resourceUri"] ?? []).includes(account.urn))!;
        assert.match(inputs(blobLogs).resourceUri, /\/blobServices\/default$/);
        assert.deepEqual(inputs(blobLogs).logs.map((l: { category: string; enabled: boolean }) => [l.category, l.enabled]), [["StorageRead", true], ["StorageWrite", true], ["StorageDelete", true]]);
        assert.deepEqual(blobLogs.propertyDependencies["workspaceId"], [one(aks, "azure-native:operationalinsights:Workspace").urn]);
        const sa = manifest(aks, "ServiceAccount", "kserve-models") as any;
        assert.match(sa.metadata.annotations["azure.workload.identity/client-id"], /\S/);
        for (const m of isvcs(aks)) assert.equal(m.spec.predictor.labels["azure.workload.identity/use"], "true", "the webhook injects the token into the model pods");
    });

    it("keeps AKS's disk CSI driver and default class, and adds no GPU add-on without a GPU pool", () => {
        assert.equal(inputs(one(aks, "azure-native:containerservice:ManagedCluster")).storageProfile.diskCSIDriver.enabled, true);
        assert.equal(defaultStorageClasses(aks).length, 0, "AKS's own default class stays the only one");
        assert.equal(devicePluginCharts(aks).length, 0);
    });

    it("with a GPU pool: AKS installs the driver, the NVIDIA device plugin runs on the pool's nodes", async () => {
        const config = stackFileConfig("aks");
        const cluster = config["inferstack:cluster"] as Record<string, unknown>;
        cluster["gpu"] = { instanceType: "Standard_NC4as_T4_v3", acceleratorCount: 1, count: { min: 0, max: 2, desired: 0 } };
        const withGpu = await renderStack("aks", { config });
        const pool = byType(withGpu, "azure-native:containerservice:AgentPool").find((p) => inputs(p).agentPoolName === "gpu")!;
        assert.deepEqual(inputs(pool).gpuProfile, { driver: "Install" });
        assert.deepEqual(inputs(pool).nodeTaints, ["nvidia.com/gpu=present:NoSchedule"]);
        assert.deepEqual(inputs(pool).nodeLabels, { "inferstack.io/gpu": "true" });
        assertDevicePluginOnGpuNodes(withGpu);
        assert.ok(devicePluginCharts(withGpu)[0].dependsOn.includes(pool.urn));
        assert.deepEqual(await strictFailures(withGpu.manifests), []);
    });
});

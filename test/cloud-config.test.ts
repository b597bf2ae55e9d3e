import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePlatformConfig } from "../stacks/config";
import { configErrorOf as errorOf, stackRaw as raw } from "./helpers";

describe("cloud configuration", () => {
    it("accepts the staging, prod and aks stacks", () => {
        assert.equal(parsePlatformConfig(raw("prod")).cluster.provider, "eks");
        assert.equal(parsePlatformConfig(raw("staging")).cluster.provider, "gke");
        assert.equal(parsePlatformConfig(raw("aks")).cluster.provider, "aks");
    });

    const cases: { name: string; stack: string; mutate: (r: Record<string, any>) => void; expect: RegExp[] }[] = [
        {
            name: "a cloud store on another cloud's cluster",
            stack: "staging",
            mutate: (r) => (r.objectStore = { provider: "s3", modelBucket: "acme-models" }),
            expect: [/inferstack:objectStore\.provider/, /s3 needs cluster\.provider eks/, /use minio on a gke cluster/],
        },
        {
            name: "S3 on an existing cluster (no IRSA, so it would need stored keys)",
            stack: "dev",
            mutate: (r) => (r.objectStore = { provider: "s3", modelBucket: "acme-models" }),
            expect: [/inferstack:objectStore\.provider/, /needs cluster\.provider eks/],
        },
        {
            name: "a public EKS endpoint without authorized networks",
            stack: "prod",
            mutate: (r) => (r.cluster.authorizedNetworks = []),
            expect: [/inferstack:cluster\.authorizedNetworks/, /must list the CIDRs/, /cluster\.publicEndpoint: false/],
        },
        {
            name: "a GKE endpoint that is neither private nor limited",
            stack: "staging",
            mutate: (r) => delete r.cluster.authorizedNetworks,
            expect: [/inferstack:cluster\.authorizedNetworks/, /cluster\.privateEndpoint: true/],
        },
        {
            name: "an AKS API server that is neither private nor limited",
            stack: "aks",
            mutate: (r) => (r.cluster.authorizedNetworks = []),
            expect: [/inferstack:cluster\.authorizedNetworks/, /cluster\.privateCluster: true/],
        },
        {
            name: "an authorized network that is not a CIDR",
            stack: "prod",
            mutate: (r) => (r.cluster.authorizedNetworks = ["office"]),
            expect: [/inferstack:cluster\.authorizedNetworks\[0\]/, /"office"/, /IPv4 CIDR/],
        },
        {
            name: "a model bucket too long to leave room for its access-log bucket's default name",
            stack: "prod",
            mutate: (r) => (r.objectStore = { provider: "s3", modelBucket: "a".repeat(55), extraBuckets: [] }),
            expect: [/inferstack:objectStore\.modelBucket/, /leaves no room for its access-log bucket \(a{55}-access-logs is 67 characters; bucket names allow 63\): set objectStore\.accessLogBucket/],
        },
        {
            name: "an access-log bucket that is one of the model buckets",
            stack: "staging",
            mutate: (r) => (r.objectStore.accessLogBucket = r.objectStore.modelBucket),
            expect: [/inferstack:objectStore\.accessLogBucket/, /must not be one of the model buckets/],
        },
        {
            name: "an authorized network with an octet above 255",
            stack: "prod",
            mutate: (r) => (r.cluster.authorizedNetworks = ["203.0.113.0/24", "300.1.2.0/24"]),
            expect: [/inferstack:cluster\.authorizedNetworks\[1\]/, /"300\.1\.2\.0\/24"/, /octet 300 is above 255 \(allowed: 0-255\)/],
        },
        {
            name: "an authorized network with a prefix above 32",
            stack: "staging",
            mutate: (r) => (r.cluster.authorizedNetworks = ["203.0.113.0/33"]),
            expect: [/inferstack:cluster\.authorizedNetworks\[0\]/, /prefix \/33 is above 32 \(allowed: \/0 to \/32\)/],
        },
        {
            name: "an authorized network with host bits set",
            stack: "aks",
            mutate: (r) => (r.cluster.authorizedNetworks = ["203.0.113.7/24"]),
            expect: [/inferstack:cluster\.authorizedNetworks\[0\]/, /"203\.0\.113\.7\/24"/, /no host bits set past the prefix: did you mean 203\.0\.113\.0\/24\?/],
        },
        {
            name: "an AWS region that is not one",
            stack: "prod",
            mutate: (r) => (r.cluster.region = "europe"),
            expect: [/inferstack:cluster\.region/, /"europe"/, /AWS region such as eu-west-1/],
        },
        {
            name: "a GCP region in AWS form",
            stack: "staging",
            mutate: (r) => (r.cluster.region = "eu-west-1"),
            expect: [/inferstack:cluster\.region/, /GCP region such as europe-west4/],
        },
        {
            name: "a GKE project left out",
            stack: "staging",
            mutate: (r) => delete r.cluster.project,
            expect: [/inferstack:cluster\.project/, /got nothing/],
        },
        {
            name: "an unknown GKE release channel",
            stack: "staging",
            mutate: (r) => (r.cluster.releaseChannel = "NIGHTLY"),
            expect: [/inferstack:cluster\.releaseChannel/, /"NIGHTLY"/, /"RAPID", "REGULAR", "STABLE"/],
        },
        {
            name: "a GPU pool without an instance type",
            stack: "prod",
            mutate: (r) => delete r.cluster.gpu.instanceType,
            expect: [/inferstack:cluster\.gpu\.instanceType/],
        },
        {
            name: "a GKE GPU pool without its accelerator type (GKE would install no driver)",
            stack: "staging",
            mutate: (r) => delete r.cluster.gpu.acceleratorType,
            expect: [/inferstack:cluster\.gpu\.acceleratorType/, /required on GKE/, /nvidia-l4/],
        },
        {
            name: "an EKS version older than 1.30 (its gp2 class would be a second default)",
            stack: "prod",
            mutate: (r) => (r.cluster.kubernetesVersion = "1.29"),
            expect: [/inferstack:cluster\.kubernetesVersion/, /"1\.29"/, /1\.30 or later/],
        },
        {
            name: "node counts out of order",
            stack: "prod",
            mutate: (r) => (r.cluster.nodeCount = { min: 5, max: 3, desired: 4 }),
            expect: [/inferstack:cluster\.nodeCount/, /min <= desired <= max/],
        },
        {
            name: "an Entra ID admin group that is not an object ID",
            stack: "aks",
            mutate: (r) => (r.cluster.adminGroupObjectIds = ["platform-admins"]),
            expect: [/inferstack:cluster\.adminGroupObjectIds\[0\]/, /Entra ID object ID/],
        },
        {
            name: "an Azure storage account name with capitals",
            stack: "aks",
            mutate: (r) => (r.objectStore.accountName = "AcmeModels"),
            expect: [/inferstack:objectStore\.accountName/, /"AcmeModels"/, /3-24 lowercase letters and digits/],
        },
        {
            name: "a monitor reference by URI on a cloud store (the monitor has no cloud identity)",
            stack: "prod",
            mutate: (r) => (r.models[0].monitoring.reference = { uri: "s3://acme-inferstack-prod-reference/fraud.csv" }),
            expect: [/inferstack:models\[0\]\.monitoring\.reference\.uri/, /with objectStore\.provider s3 give the reference inline/],
        },
        {
            name: "a kernel-shap explainer's background by URI on a cloud store (it would never become ready)",
            stack: "prod",
            mutate: (r) => (r.models[0].explainer = { kind: "kernel-shap", background: { uri: "s3://acme-inferstack-prod-reference/fraud.csv" } }),
            expect: [/inferstack:models\[0\]\.explainer\.background\.uri/, /with objectStore\.provider s3 give it inline or use "monitoring"/],
        },
        {
            name: "a durable broker without its Kafka servers",
            stack: "prod",
            mutate: (r) => delete r.eventing.kafkaBootstrapServers,
            expect: [/inferstack:eventing\.kafkaBootstrapServers/, /required when brokerClass is Kafka/],
        },
    ];
    for (const c of cases) {
        it(`rejects ${c.name}`, () => {
            const config = raw(c.stack);
            c.mutate(config);
            const message = errorOf(config);
            for (const re of c.expect) assert.match(message, re);
        });
    }

    it("accepts a named access-log bucket for S3 and GCS", () => {
        for (const stack of ["prod", "staging"]) {
            const r = raw(stack);
            r.objectStore.accessLogBucket = "acme-audit-logs";
            assert.equal((parsePlatformConfig(r).objectStore as { accessLogBucket?: string }).accessLogBucket, "acme-audit-logs", stack);
        }
    });

    it("accepts every well-formed IPv4 CIDR as an authorized network (the policy pack judges how open it is)", () => {
        const r = raw("prod");
        r.cluster.authorizedNetworks = ["0.0.0.0/0", "10.0.0.0/8", "255.255.255.255/32", "0.0.0.0/1", "128.0.0.0/1", "203.0.113.128/25"];
        assert.deepEqual(parsePlatformConfig(r).cluster.provider, "eks");
    });

    it("accepts a GPU pool without an accelerator type on EKS and AKS (the instance type implies it)", () => {
        const eks = raw("prod");
        assert.equal(eks.cluster.gpu.acceleratorType, undefined);
        assert.equal(parsePlatformConfig(eks).cluster.provider, "eks");
        const aks = raw("aks");
        aks.cluster.gpu = { instanceType: "Standard_NC4as_T4_v3" };
        assert.equal(parsePlatformConfig(aks).cluster.provider, "aks");
    });

    it("accepts a private endpoint with no authorized networks", () => {
        const config = raw("staging");
        config.cluster.authorizedNetworks = [];
        config.cluster.privateEndpoint = true;
        assert.equal(parsePlatformConfig(config).cluster.provider, "gke");
    });
});

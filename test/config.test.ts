import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, configWarnings, parsePlatformConfig, unknownNamespaceProblem } from "../stacks/config";
import { RenderFailure, renderStack, repoRoot } from "../tools/renderStack";
import { configErrorOf as errorOf, devModelsWithCanary, stackFileConfig, stackRaw } from "./helpers";

/** The dev config with the README's canary step taken, so canary mistakes can be made on it. */
const devRaw = (): Record<string, any> => ({ ...stackRaw("dev"), models: devModelsWithCanary() });

describe("stack configuration", () => {
    it("accepts the dev stack and fills defaults", () => {
        const c = parsePlatformConfig(devRaw());
        assert.equal(c.environment, "dev");
        assert.equal(c.cluster.provider, "existing");
        assert.equal(c.serving.scaleToZero, true);
        assert.equal(c.eventing.brokerClass, "MTChannelBasedBroker");
        assert.equal(c.models.length, 2);
        assert.equal(c.models[0].logging, "all");
        assert.equal(c.models[0].scaling.minReplicas, 0);
    });

    it("accepts an empty config (every key has a default)", () => {
        const c = parsePlatformConfig({});
        assert.equal(c.modelNamespace, "inferstack-models");
        assert.equal(c.objectStore.provider, "minio");
        assert.deepEqual(c.models, []);
    });

    const cases: { name: string; mutate: (raw: Record<string, any>) => void; expect: RegExp[] }[] = [
        {
            name: "an unknown cloud",
            mutate: (r) => (r.cluster = { provider: "openstack" }),
            expect: [/inferstack:cluster\.provider/, /"openstack"/, /"existing", "eks", "gke", "aks"/],
        },
        {
            name: "an unknown object store",
            mutate: (r) => (r.objectStore = { provider: "ceph" }),
            expect: [/inferstack:objectStore\.provider/, /"ceph"/, /"minio", "s3", "gcs", "azure"/],
        },
        {
            name: "an unknown environment",
            mutate: (r) => (r.environment = "qa"),
            expect: [/inferstack:environment/, /"qa"/, /"dev", "staging", "prod"/],
        },
        {
            name: "negative replicas",
            mutate: (r) => (r.models[0].scaling.maxReplicas = -2),
            expect: [/inferstack:models\[0\]\.scaling\.maxReplicas/, /-2/, /at least 1/],
        },
        {
            name: "negative minReplicas",
            mutate: (r) => (r.models[1].scaling.minReplicas = -1),
            expect: [/inferstack:models\[1\]\.scaling\.minReplicas/, /-1/, /0 or more/],
        },
        {
            name: "a canary percent above 100",
            mutate: (r) => (r.models[0].canary.trafficPercent = 150),
            expect: [/inferstack:models\[0\]\.canary\.trafficPercent/, /150/, /from 0 to 100/],
        },
        {
            name: "a negative canary percent",
            mutate: (r) => (r.models[0].canary.trafficPercent = -5),
            expect: [/inferstack:models\[0\]\.canary\.trafficPercent/, /-5/, /from 0 to 100/],
        },
        {
            name: "a fractional canary percent",
            mutate: (r) => (r.models[0].canary.trafficPercent = 12.5),
            expect: [/inferstack:models\[0\]\.canary\.trafficPercent/, /12\.5/, /whole number/],
        },
        {
            name: "a bad bucket name",
            mutate: (r) => (r.objectStore.modelBucket = "Model_Bucket"),
            expect: [/inferstack:objectStore\.modelBucket/, /"Model_Bucket"/, /lowercase letters, digits/],
        },
        {
            name: "a missing required key (the model's framework)",
            mutate: (r) => delete r.models[1].framework,
            expect: [/inferstack:models\[1\]\.framework/, /got nothing/],
        },
        {
            name: "an unknown framework",
            mutate: (r) => (r.models[1].framework = "caffe"),
            expect: [/inferstack:models\[1\]\.framework/, /"caffe"/, /"sklearn".*"huggingface".*"custom"/],
        },
        {
            name: "a canary without a stable version",
            mutate: (r) => delete r.models[0].stable,
            expect: [/inferstack:models\[0\]\.stable/, /got nothing/, /expected object/],
        },
        {
            name: "a negative GPU count",
            mutate: (r) => (r.models[1].resources = { gpu: -1 }),
            expect: [/inferstack:models\[1\]\.resources\.gpu/, /-1/, /0 or more/],
        },
        {
            name: "a storage URI with an unsupported scheme",
            mutate: (r) => (r.models[1].stable.storageUri = "ftp://models/xgb"),
            expect: [/inferstack:models\[1\]\.stable\.storageUri/, /"ftp:\/\/models\/xgb"/, /s3:\/\/, gs:\/\/, https:\/\/, pvc:\/\//],
        },
        {
            name: "an https storage URI that names no file and is not Azure Blob",
            mutate: (r) => (r.models[1].stable.storageUri = "https://example.com/models/"),
            expect: [/inferstack:models\[1\]\.stable\.storageUri/, /Azure Blob URL/],
        },
        {
            name: "a misspelt field (would be silently ignored otherwise)",
            mutate: (r) => (r.models[0].canary.trafficPercnt = 10),
            expect: [/inferstack:models\[0\]\.canary/, /unknown key\(s\) "trafficPercnt"/],
        },
        {
            name: "an unknown top-level key",
            mutate: (r) => (r.modelz = []),
            expect: [/unknown config key\(s\) inferstack:modelz/, /allowed keys are .*inferstack:models/],
        },
        {
            name: "an unknown top-level key beside a bad value (both reported, not only the key)",
            mutate: (r) => {
                r.modelz = [];
                r.domain = "NOT A DOMAIN";
            },
            expect: [/unknown config key\(s\) inferstack:modelz/, /inferstack:domain: got "NOT A DOMAIN"/],
        },
        {
            name: "a Minio seed into a bucket Minio never creates",
            mutate: (r) => (r.objectStore.seed[0].target = "samples/sklearn/model.joblib"),
            expect: [/inferstack:objectStore\.seed\[0\]\.target/, /bucket samples, which Minio never creates/, /extraBuckets/],
        },
        {
            name: "a model in a bucket the Minio store does not have",
            mutate: (r) => (r.models[1].stable.storageUri = "s3://elsewhere/xgboost/iris"),
            expect: [/inferstack:models\[1\]\.stable\.storageUri/, /bucket elsewhere, which the Minio store does not have/],
        },
        {
            name: "reference rows narrower than the monitored features",
            mutate: (r) => (r.models[1].monitoring.reference.inline[3] = [4.5, 3.7, 1.6]),
            expect: [/inferstack:models\[1\]\.monitoring\.reference\.inline\[3\]/, /has 3 values, but monitoring\.features lists 4/],
        },
        {
            name: "another object store's key after switching provider",
            mutate: (r) => (r.objectStore.accountName = "acmemodels"),
            expect: [/inferstack:objectStore: unknown key\(s\) "accountName"/, /belongs to objectStore\.provider azure, not minio/],
        },
        {
            name: "a reference too small for the outlier quantile",
            mutate: (r) => (r.models[1].monitoring.outlierQuantile = 0.995),
            expect: [/inferstack:models\[1\]\.monitoring\.reference\.inline/, /has 100 rows, too few for outlierQuantile 0\.995: at least 398/],
        },
        {
            name: "an outlier alert at or below the detector's clean-traffic rate",
            mutate: (r) => (r.models[1].monitoring.alerts = { outlierRate: 0.02 }),
            expect: [/inferstack:models\[1\]\.monitoring\.alerts\.outlierRate/, /must be above 1 - outlierQuantile \(0\.02\)/],
        },
        {
            name: "duplicate model names",
            mutate: (r) => (r.models[1].name = r.models[0].name),
            expect: [/inferstack:models\[1\]\.name/, /duplicates another model named sklearn-iris/],
        },
        {
            name: "a canary identical to stable",
            mutate: (r) => (r.models[0].canary.storageUri = r.models[0].stable.storageUri),
            expect: [/inferstack:models\[0\]\.canary/, /identical to stable/],
        },
        {
            name: "a latency-critical model scaled to zero",
            mutate: (r) => (r.models[0].latencyCritical = true),
            expect: [/inferstack:models\[0\]\.scaling\.minReplicas/, /latencyCritical/],
        },
        {
            name: "minReplicas above maxReplicas",
            mutate: (r) => (r.models[0].scaling = { minReplicas: 5, maxReplicas: 2 }),
            expect: [/inferstack:models\[0\]\.scaling\.minReplicas/, /at most scaling\.maxReplicas \(2\)/],
        },
        {
            name: "a custom model without an image",
            mutate: (r) => (r.models[1] = { name: "custom", framework: "custom", stable: {} }),
            expect: [/inferstack:models\[1\]\.stable\.image/, /required when framework is custom/],
        },
        {
            name: "a model name that is not a DNS label",
            mutate: (r) => (r.models[1].name = "XGBoost_Iris"),
            expect: [/inferstack:models\[1\]\.name/, /"XGBoost_Iris"/, /DNS-1035/],
        },
        {
            name: "the Kafka broker class without bootstrap servers",
            mutate: (r) => (r.eventing = { brokerClass: "Kafka" }),
            expect: [/inferstack:eventing\.kafkaBootstrapServers/, /required when brokerClass is Kafka/],
        },
        {
            name: "an unknown broker class",
            mutate: (r) => (r.eventing = { brokerClass: "InMemory" }),
            expect: [/inferstack:eventing\.brokerClass/, /"InMemory"/, /"MTChannelBasedBroker", "Kafka"/],
        },
        {
            name: "a monitored model with logging off",
            mutate: (r) => {
                r.models[1].logging = "off";
                r.models[1].monitoring = { features: [{ name: "x" }], reference: { inline: [[1], [2]] } };
            },
            expect: [/inferstack:models\[1\]\.logging/, /got "off"/, /must be all while the model is monitored \(allowed values: all; got off\)/],
        },
        ...(["request", "response"] as const).map((logging) => ({
            name: `a monitored model logging ${logging} only (the monitor needs requests for drift and responses for accuracy)`,
            mutate: (r: Record<string, any>) => {
                r.models[1].logging = logging;
                r.models[1].monitoring = { features: [{ name: "x" }], reference: { inline: [[1], [2]] } };
            },
            expect: [/inferstack:models\[1\]\.logging/, new RegExp(`got "${logging}"`), /allowed values: all/, /requests for drift and outliers and the logged responses for accuracy/],
        })),
        {
            name: "a model's runtimeVersion latest",
            mutate: (r) => (r.models[0].stable.runtimeVersion = "latest"),
            expect: [/inferstack:models\[0\]\.stable\.runtimeVersion/, /"latest"/, /must name a pinned runtime image tag \(e\.g\. v0\.20\.0\), not latest or empty/],
        },
        {
            name: "a model's empty runtimeVersion",
            mutate: (r) => (r.models[0].stable.runtimeVersion = ""),
            expect: [/inferstack:models\[0\]\.stable\.runtimeVersion/, /must name a pinned runtime image tag/],
        },
        {
            name: "a bad duration",
            mutate: (r) => (r.serving = { stableWindow: "sixty seconds" }),
            expect: [/inferstack:serving\.stableWindow/, /"sixty seconds"/, /duration such as 30s/],
        },
    ];
    for (const c of cases) {
        it(`rejects ${c.name} with a message naming the key, the value and what is allowed`, () => {
            const raw = devRaw();
            c.mutate(raw);
            const message = errorOf(raw);
            for (const re of c.expect) assert.match(message, re);
        });
    }

    it("refuses a key in a misspelt namespace, but passes the providers' own", () => {
        const problem = unknownNamespaceProblem(["inferstak:domain", "inferstack:models", "aws:region", "kubernetes:context", "pulumi:tags"]);
        assert.match(problem ?? "", /^inferstak:domain: unknown config namespace/);
        assert.equal(unknownNamespaceProblem(["inferstack:domain", "gcp:project", "azure-native:location"]), undefined);
    });

    it("warns (without failing) about a cloud model outside the platform's buckets", () => {
        const withImage = (raw: Record<string, any>): Record<string, any> => ({ ...raw, monitoring: { ...raw.monitoring, monitorImage: "registry.example.com/inferstack/monitor:0.1.0" } });
        const c = parsePlatformConfig(withImage(stackRaw("prod")));
        assert.deepEqual(configWarnings(c), []);
        const raw = withImage(stackRaw("prod"));
        raw.models[0].stable.storageUri = "s3://someone-elses-bucket/fraud/v7";
        assert.match(configWarnings(parsePlatformConfig(raw)).join("\n"), /models\[0\]\.stable\.storageUri s3:\/\/someone-elses-bucket\/fraud\/v7 is outside the platform's buckets/);
    });

    it("warns that the default monitor image must be built first, while a monitored model uses it", () => {
        assert.match(configWarnings(parsePlatformConfig(stackRaw("dev"))).join("\n"), /monitoring\.monitorImage is unset: .*npm run monitor:image/);
        const raw = stackRaw("dev");
        raw.monitoring = { monitorImage: "dev.local/inferstack/monitor:0.1.0", explainerImage: "dev.local/inferstack/explainer:0.1.0" };
        assert.deepEqual(configWarnings(parsePlatformConfig(raw)), []);
    });

    it("warns that the default explainer image must be built first, while an explainer or the detector uses it", () => {
        const raw = stackRaw("dev");
        raw.monitoring = { monitorImage: "dev.local/inferstack/monitor:0.1.0" };
        assert.match(configWarnings(parsePlatformConfig(raw)).join("\n"), /monitoring\.explainerImage is unset: .*npm run explainer:image/);
        // Neither a kernel-shap explainer without its own image nor detection: no warning.
        raw.models = (raw.models as Record<string, unknown>[]).map(({ explainer: _e, adversarial: _a, ...m }) => m);
        assert.deepEqual(configWarnings(parsePlatformConfig(raw)), []);
    });

    it("a misspelt namespace in a stack file fails the render before any resource", async () => {
        const config = { ...stackFileConfig("dev"), "inferstak:domain": "example.com" };
        await assert.rejects(() => renderStack("dev", { config }), (err: RenderFailure) => {
            assert.match(err.message, /inferstak:domain: unknown config namespace/);
            assert.deepEqual(err.registeredResources, []);
            return true;
        });
    });

    it("reports every problem at once, one per line", () => {
        const raw = devRaw();
        raw.models[0].canary.trafficPercent = 101;
        raw.objectStore.modelBucket = "UPPER";
        const message = errorOf(raw);
        assert.equal(message.split("\n").filter((l) => l.startsWith("  - ")).length, 2);
    });

    it("registers no resource when the config is bad", async () => {
        const config = { ...stackFileConfig("dev"), "inferstack:models": devModelsWithCanary() };
        (config["inferstack:models"] as any[])[0].canary.trafficPercent = 150;
        await assert.rejects(
            () => renderStack("dev", { config }),
            (err: RenderFailure) => {
                assert.ok(err instanceof ConfigError);
                assert.deepEqual(err.registeredResources, []);
                return true;
            },
        );
    });

    it("fails the render command with one clear message and exit code 1", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "inferstack-bad-"));
        const stacksDir = path.join(repoRoot, "stacks");
        const stackFile = path.join(stacksDir, "Pulumi.config-test-bad.yaml");
        writeFileSync(stackFile, "config:\n  inferstack:environment: production\n");
        try {
            const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools", "render.ts"), "--stack", "config-test-bad", "--out", dir], {
                encoding: "utf8",
                cwd: repoRoot,
            });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /^error: invalid stack configuration:\n {2}- inferstack:environment: got "production"; allowed values are "dev", "staging", "prod"\n$/);
        } finally {
            require("node:fs").rmSync(stackFile);
        }
    });
});

describe("the existing cluster names the kube context it targets", () => {
    it("reads current-context from the kubeconfig (file, then $KUBECONFIG), and says unknown without one", async () => {
        const { currentKubeContext } = await import("../components/cluster/existing/existingCluster");
        const dir = mkdtempSync(path.join(tmpdir(), "inferstack-kubeconfig-"));
        const file = path.join(dir, "config");
        writeFileSync(file, "apiVersion: v1\nkind: Config\ncurrent-context: kind-inferstack\ncontexts: []\n");
        assert.equal(currentKubeContext(file), "kind-inferstack");
        assert.equal(currentKubeContext(undefined, { KUBECONFIG: `${path.join(dir, "missing")}${path.delimiter}${file}` }), "kind-inferstack", "the first $KUBECONFIG file that sets one");
        assert.equal(currentKubeContext(undefined, { KUBECONFIG: file }), "kind-inferstack");
        assert.equal(currentKubeContext(path.join(dir, "missing")), undefined);
        const render = await renderStack("dev", { config: { ...stackFileConfig("dev"), "inferstack:cluster": { provider: "existing", context: "kind-a" } } });
        assert.equal(render.outputs["clusterName"], "kind-a");
    });
});

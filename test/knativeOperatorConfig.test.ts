/**
 * The Knative Operator installs Serving and Eventing from its bundled manifests and then overwrites the data keys
 * that `spec.config` names. A ConfigMap name or key that the pinned release does not have is silently ignored, so
 * every one inferstack sets is checked against the operator's own manifests at knative-v1.23.0 (vendored in
 * test/upstream/knative, see its SOURCES.md).
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { knativeServingConfig } from "../components/knative/knativeServing";
import { versions } from "../components/versions";
import { KubernetesObject, Render, renderStack, repoRoot } from "../tools/renderStack";
import { renderDevWith } from "./helpers";

const upstream = path.join(repoRoot, "test", "upstream", "knative");
const kodata = path.join(upstream, "operator-kodata");

function objectsIn(file: string): KubernetesObject[] {
    return (yaml.loadAll(readFileSync(path.join(upstream, file), "utf8")) as (KubernetesObject | null)[]).filter((o): o is KubernetesObject => !!o && typeof o === "object");
}

/** The keys a Knative ConfigMap takes: its data keys and those its `_example` block documents. */
function documentedKeys(cm: KubernetesObject): Set<string> {
    const data = (cm["data"] ?? {}) as Record<string, string>;
    const keys = new Set(Object.keys(data).filter((k) => k !== "_example"));
    const example = data["_example"];
    if (example) {
        for (const line of example.split("\n")) {
            const m = /^([A-Za-z0-9][A-Za-z0-9._/-]*):/.exec(line);
            if (m) keys.add(m[1]);
        }
    }
    return keys;
}

type ConfigMaps = Map<string, KubernetesObject>;

function configMaps(files: string[]): ConfigMaps {
    const out: ConfigMaps = new Map();
    for (const f of files) for (const o of objectsIn(f)) if (o.kind === "ConfigMap") out.set(o.metadata.name, o);
    return out;
}

/** What the operator does with `spec.config[name]`: the ConfigMap it overrides (exact name, else `config-` + name). */
function targetOf(name: string, cms: ConfigMaps): KubernetesObject | undefined {
    return cms.get(name) ?? cms.get(`config-${name}`);
}

/** ConfigMaps whose keys are free-form by design (config-domain maps domain names to selectors). */
const freeFormKeys = new Set(["config-domain"]);

/** Problems with a `spec.config`: names that override no ConfigMap, keys the ConfigMap does not document. */
export function configProblems(config: Record<string, Record<string, string>>, cms: ConfigMaps): string[] {
    const problems: string[] = [];
    for (const [name, data] of Object.entries(config)) {
        const cm = targetOf(name, cms);
        if (!cm) {
            problems.push(`spec.config.${name}: no ConfigMap "${name}" or "config-${name}" in the pinned release`);
            continue;
        }
        if (freeFormKeys.has(cm.metadata.name)) continue;
        const known = documentedKeys(cm);
        for (const key of Object.keys(data)) if (!known.has(key)) problems.push(`spec.config.${name}.${key}: not a key of ${cm.metadata.name}`);
    }
    return problems;
}

const servingRelease = `${versions.knativeServing}.0`;
const eventingRelease = `${versions.knativeEventing}.0`;
const servingCms = () => configMaps([`operator-kodata/knative-serving/${servingRelease}/2-serving-core.yaml`, `operator-kodata/ingress/${versions.knativeServing}/kourier/kourier.yaml`]);
const eventingFiles = (kafka: boolean) => [
    ...readdirSync(path.join(kodata, "knative-eventing", eventingRelease)).map((f) => `operator-kodata/knative-eventing/${eventingRelease}/${f}`),
    ...(kafka ? ["eventing-kafka-broker/control-plane/config/eventing-kafka-broker/100-broker/100-kafka-broker-configmap.yaml"] : []),
];

function operatorCr(render: Render, kind: string): { spec: { version: string; config: Record<string, Record<string, string>> } } {
    const found = render.manifests.filter((m) => m.kind === kind);
    assert.equal(found.length, 1, kind);
    return found[0] as never;
}

const stacks = readdirSync(path.join(repoRoot, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined);

describe("Knative Operator config: every ConfigMap and key inferstack sets exists in the pinned release", () => {
    it("the vendored manifests are the release the CRs ask for", () => {
        assert.ok(readdirSync(path.join(kodata, "knative-serving")).includes(servingRelease), `kodata for Serving ${servingRelease}`);
        assert.ok(readdirSync(path.join(kodata, "knative-eventing")).includes(eventingRelease), `kodata for Eventing ${eventingRelease}`);
        assert.ok(documentedKeys(servingCms().get("config-autoscaler")!).has("enable-scale-to-zero"));
    });

    it("catches a misspelt key and a ConfigMap the release does not have", () => {
        const problems = configProblems({ autoscaler: { "enable-scale-to-zer0": "true" }, "no-such-config": { a: "b" }, domain: { "example.com": "" } }, servingCms());
        assert.deepEqual(problems, [
            'spec.config.autoscaler.enable-scale-to-zer0: not a key of config-autoscaler',
            'spec.config.no-such-config: no ConfigMap "no-such-config" or "config-no-such-config" in the pinned release',
        ]);
    });

    for (const stack of stacks) {
        describe(`stack ${stack}`, () => {
            let render: Render;
            before(async () => {
                render = await renderStack(stack);
            });
            it("KnativeServing's config overrides only real ConfigMaps and keys", () => {
                const cr = operatorCr(render, "KnativeServing");
                assert.equal(cr.spec.version, versions.knativeServing);
                assert.deepEqual(configProblems(cr.spec.config, servingCms()), []);
            });
            it("KnativeEventing's config overrides only real ConfigMaps and keys", () => {
                const cr = operatorCr(render, "KnativeEventing");
                const kafka = "kafka-broker-config" in cr.spec.config;
                assert.deepEqual(configProblems(cr.spec.config, configMaps(eventingFiles(kafka))), []);
            });
        });
    }

    it("the optional Serving keys (max-revision-timeout-seconds, allow-zero-initial-scale) are real keys, set only when asked", () => {
        const autoscaler = { scaleToZero: true, stableWindow: "60s", scaleToZeroGracePeriod: "30s", scaleDownDelay: "0s", containerConcurrencyTarget: 100 };
        const raised = knativeServingConfig({ domain: "example.com", autoscaler: { ...autoscaler, allowZeroInitialScale: true }, maxRevisionTimeoutSeconds: 1800 }, "kourier.ingress.networking.knative.dev");
        assert.deepEqual(configProblems(raised, servingCms()), []);
        assert.deepEqual(raised.defaults, { "max-revision-timeout-seconds": "1800" });
        assert.equal(raised.autoscaler["allow-zero-initial-scale"], "true");
        const plain = knativeServingConfig({ domain: "example.com", autoscaler }, "kourier.ingress.networking.knative.dev");
        assert.equal("defaults" in plain, false, "Knative's own 600 unless raised");
        assert.equal("allow-zero-initial-scale" in plain.autoscaler, false);
        // Knative's manifests keep the activator's grace period at 600 s (docs/models.md says what raising the maximum means).
        const activator = objectsIn(`operator-kodata/knative-serving/${servingRelease}/2-serving-core.yaml`).find((o) => o.kind === "Deployment" && o.metadata.name === "activator") as any;
        assert.equal(activator.spec.template.spec.terminationGracePeriodSeconds, 600);
    });

    it("the Kafka broker's config is the ConfigMap its manifests ship (no second owner), with real keys", async () => {
        const render = await renderDevWith({ eventing: { brokerClass: "Kafka", kafkaBootstrapServers: "kafka:9092" } });
        const cr = operatorCr(render, "KnativeEventing");
        const cms = configMaps(eventingFiles(true));
        assert.deepEqual(configProblems(cr.spec.config, cms), []);
        const shipped = cms.get("kafka-broker-config")!;
        assert.equal(shipped.metadata.namespace, "knative-eventing");
        assert.deepEqual(Object.keys(cr.spec.config["kafka-broker-config"]).sort(), Object.keys(shipped["data"] as object).sort(), "every shipped key is set (the placeholder bootstrap server included)");
        assert.equal(render.manifests.some((m) => m.kind === "ConfigMap" && m.metadata.name === "kafka-broker-config"), false);
    });
});

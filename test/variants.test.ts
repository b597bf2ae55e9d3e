/**
 * A fifth cluster variant is one folder plus one registration: the k3s fixture (test/fixtures/clusterVariant/k3s/:
 * a schema fragment, a component, its registration entry) is registered through the table's own registration
 * function below, and nothing else in the repository knows it. Yet the config parses it, words its errors and
 * applies the cross-key rules to it, and a stack renders on it.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { clusterVariants } from "../components/cluster/clusterVariants";
import { VariantTable } from "../components/cluster/variantTable";
import { parsePlatformConfig } from "../stacks/config";
import { renderStack, repoRoot } from "../tools/renderStack";
import { k3sClusterVariant } from "./fixtures/clusterVariant/k3s/variant";
import { byType, configErrorOf, one, stackFileConfig, stackRaw, strictFailures } from "./helpers";

// The one registration (in the repository it is one entry in components/cluster/clusterVariants.ts).
clusterVariants.register(k3sClusterVariant);

const k3s = { provider: "k3s", server: "https://k3s.lab.example:6443" };

function devWith(patch: Record<string, unknown>): Record<string, any> {
    return { ...stackRaw("dev"), ...patch };
}

/** Every .ts file under a folder of the repository, node_modules left out. */
function sources(dir: string): string[] {
    return readdirSync(path.join(repoRoot, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.parentPath.includes("node_modules"))
        .map((e) => path.join(e.parentPath, e.name));
}

describe("a fifth cluster variant is one folder and one registration", () => {
    it("no file outside the fixture names it: the program, the config and the render know it only through the table", () => {
        const naming = ["components", "stacks", "tools"].flatMap(sources).filter((f) => /k3s/i.test(readFileSync(f, "utf8")));
        assert.deepEqual(naming, []);
    });

    it("a config naming it parses, with its schema's defaults", () => {
        const c = parsePlatformConfig(devWith({ cluster: k3s }));
        assert.deepEqual(c.cluster, { ...k3s, kubeconfigPath: "/etc/rancher/k3s/k3s.yaml", publicApi: false, authorizedNetworks: [] });
    });

    it("is among the allowed providers an unknown one is told", () => {
        assert.match(configErrorOf(devWith({ cluster: { provider: "openstack" } })), /inferstack:cluster\.provider: got "openstack"; allowed values are "existing", "eks", "gke", "aks", "k3s"/);
    });

    it("refuses its own values in its own words", () => {
        assert.match(configErrorOf(devWith({ cluster: { ...k3s, server: "k3s.lab.example" } })), /inferstack:cluster\.server: got "k3s\.lab\.example"; must be an https:\/\/ URL/);
    });

    it("says where a key under it belongs, and where its own key belongs when it is under another provider", () => {
        assert.match(
            configErrorOf(devWith({ cluster: { ...k3s, region: "eu-west-1" } })),
            /inferstack:cluster: unknown key\(s\) "region"; "region" belongs to cluster\.provider eks or gke, not k3s: remove it, or switch the provider/,
        );
        assert.match(
            configErrorOf(devWith({ cluster: { provider: "existing", server: k3s.server } })),
            /inferstack:cluster: unknown key\(s\) "server"; "server" belongs to cluster\.provider k3s, not existing/,
        );
    });

    it("gets the open API endpoint rule from its registration", () => {
        assert.match(
            configErrorOf(devWith({ cluster: { ...k3s, publicApi: true } })),
            /inferstack:cluster\.authorizedNetworks: .*must list the CIDRs allowed to reach the public API endpoint, or set cluster\.publicApi: false/,
        );
        assert.equal(parsePlatformConfig(devWith({ cluster: { ...k3s, publicApi: true, authorizedNetworks: ["198.51.100.0/24"] } })).cluster.provider, "k3s");
    });

    it("keeps a cloud store off it, and suggests the store that works on any cluster", () => {
        assert.match(
            configErrorOf(devWith({ cluster: k3s, objectStore: { provider: "s3", modelBucket: "acme-models" } })),
            /inferstack:objectStore\.provider: .*s3 needs cluster\.provider eks .*; use minio on a k3s cluster/,
        );
    });

    it("a stack renders on it: its component, its provider under every Kubernetes object, no cloud SDK loaded", async () => {
        const render = await renderStack("dev", { config: { ...stackFileConfig("dev"), "inferstack:cluster": k3s } });
        const cluster = one(render, "inferstack:test:K3sCluster");
        const provider = one(render, "pulumi:providers:kubernetes");
        assert.equal(provider.parent, cluster.urn);
        assert.equal(provider.inputs["kubeconfig"], "/etc/rancher/k3s/k3s.yaml", "the default from its schema");
        const objects = render.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        assert.ok(objects.length > 0);
        for (const r of objects) assert.ok(r.provider?.startsWith(`${provider.urn}::`), `${r.name} goes through the k3s cluster's provider`);
        assert.equal(render.outputs["clusterName"], "k3s.lab.example");
        assert.equal(byType(render, "inferstack:storage:MinioObjectStore").length, 1, "Minio, the store that works on any cluster");
        assert.ok(render.manifests.some((m) => m.kind === "InferenceService"));
        assert.deepEqual(await strictFailures(render.manifests), []);
        const cloudSdks = Object.keys(require.cache).filter((f) => /node_modules[\\/]@pulumi[\\/](aws|eks|gcp|azure-native)[\\/]/.test(f));
        assert.deepEqual(cloudSdks, []);
    });

    it("is refused once the config schema is in use (registration happens when modules load), and twice", () => {
        assert.throws(() => clusterVariants.register({ ...k3sClusterVariant, provider: "k3s-late" }), /registered after the cluster config schema was first used/);
        assert.throws(() => new VariantTable("cluster", [k3sClusterVariant, k3sClusterVariant]), /cluster variant k3s is registered twice/);
    });
});

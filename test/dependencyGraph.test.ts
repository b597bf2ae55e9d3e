import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { dependencyGraphMermaid } from "../tools/dependencyGraph";
import { Render, renderStack } from "../tools/renderStack";

describe("the render's dependency graph (Mermaid)", () => {
    let dev: Render;
    let graph: string;
    before(async () => {
        dev = await renderStack("dev");
        graph = dependencyGraphMermaid(dev);
    });

    it("draws every deployed resource once, boxed by the platform component it belongs to", () => {
        assert.match(graph, /^flowchart LR\n/);
        const nodes = [...graph.matchAll(/^\s+(r\d+)\["/gm)].map((m) => m[1]);
        const deployed = dev.resources.filter((r) => (r.custom || r.remote) && !r.type.startsWith("pulumi:providers:"));
        assert.equal(nodes.length, deployed.length);
        assert.equal(new Set(nodes).size, nodes.length);
        for (const box of ["CertManager", "KnativeServing", "KnativeEventing", "KServe", "InferenceBroker", "MinioObjectStore", "Monitoring", "ModelService"]) {
            assert.match(graph, new RegExp(`subgraph g\\d+\\["${box} `), box);
        }
        assert.equal((graph.match(/subgraph /g) ?? []).length, (graph.match(/^ {2}end$/gm) ?? []).length);
    });

    it("draws each readiness gate as an arrow from the gate to what waits for it, between declared nodes only", () => {
        const declared = new Set([...graph.matchAll(/^\s+(r\d+)\["/gm)].map((m) => m[1]));
        const edges = [...graph.matchAll(/^ {2}(r\d+) (-->|-\.->) (r\d+)$/gm)];
        assert.ok(edges.length > 20, `${edges.length} edges`);
        for (const [, from, , to] of edges) assert.ok(declared.has(from) && declared.has(to), `${from} -> ${to}`);
        const id = (label: RegExp) => graph.split("\n").find((l) => label.test(l))!.trim().split("[")[0];
        const serving = id(/\["KnativeServing<br\/>knative-serving"\]/);
        const kserve = id(/\["Chart<br\/>kserve-resources /);
        const isvc = id(/\["InferenceService<br\/>sklearn-iris"\]/);
        const runtimes = id(/\["Chart<br\/>kserve-runtime-configs /);
        assert.match(graph, new RegExp(`^  ${serving} --> ${kserve}$`, "m"), "KServe waits for a Ready Serving");
        assert.match(graph, new RegExp(`^  ${runtimes} --> ${isvc}$`, "m"), "models wait for the runtimes");
    });
});

/**
 * The resource dependency graph of a render, as a Mermaid flowchart a reviewer can open (GitHub and most
 * editors draw `.mmd`/fenced Mermaid): one box per component of the platform, one node per resource that is
 * deployed (Kubernetes objects, Helm charts, cloud resources). Arrows point from what is created first to what
 * waits for it: solid for explicit `dependsOn` (the readiness gates), dashed for dependencies through inputs
 * (e.g. a namespace or a Secret's name).
 */
import type { Render, RenderedResource } from "./renderStack";

/** The component box a resource is drawn in: its ancestor that is a direct child of the Platform (or the stack). */
function groupOf(r: RenderedResource, byUrn: Map<string, RenderedResource>): RenderedResource | undefined {
    let current = r;
    while (current.parent) {
        const parent = byUrn.get(current.parent);
        if (!parent) return undefined;
        if (parent.type === "inferstack:platform:Platform" || parent.type === "pulumi:pulumi:Stack") return current === r ? undefined : current;
        current = parent;
    }
    return undefined;
}

/** A resource is drawn when something is deployed for it: a custom resource or a packaged (remote) component. */
function isDrawn(r: RenderedResource): boolean {
    return (r.custom || r.remote) && !r.type.startsWith("pulumi:providers:");
}

function label(r: RenderedResource): string {
    const kind = typeof r.inputs["kind"] === "string" ? String(r.inputs["kind"]) : r.type.split(":").pop()!;
    const chart = typeof r.inputs["chart"] === "string" ? String(r.inputs["chart"]).split("/").pop() : undefined;
    const meta = r.inputs["metadata"] as { name?: string; namespace?: string } | undefined;
    const name = chart ? `${chart} ${String(r.inputs["version"] ?? "")}` : (meta?.name ?? r.name);
    return `${kind}<br/>${name}`.replace(/"/g, "'");
}

/** Mermaid flowchart text for a render; node ids are stable (their order in the render). */
export function dependencyGraphMermaid(render: Render): string {
    const byUrn = new Map(render.resources.map((r) => [r.urn, r]));
    const drawn = render.resources.filter(isDrawn);
    const ids = new Map(drawn.map((r, i) => [r.urn, `r${i}`]));
    const groups = new Map<string, RenderedResource[]>();
    for (const r of drawn) {
        const g = groupOf(r, byUrn);
        const key = g ? g.urn : "";
        groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const lines = ["flowchart LR"];
    let box = 0;
    for (const [key, members] of groups) {
        const g = byUrn.get(key);
        const indent = g ? "    " : "  ";
        if (g) lines.push(`  subgraph g${box++}["${g.type.split(":").pop()} ${g.name}"]`);
        for (const r of members) lines.push(`${indent}${ids.get(r.urn)}["${label(r)}"]`);
        if (g) lines.push("  end");
    }
    // Dependencies on a component (e.g. a Chart's parent) count as dependencies on what it deploys.
    const targets = (urn: string): string[] => {
        if (ids.has(urn)) return [urn];
        return drawn.filter((r) => groupOf(r, byUrn)?.urn === urn || r.parent === urn).map((r) => r.urn);
    };
    const edges = new Set<string>();
    for (const r of drawn) {
        const from = ids.get(r.urn)!;
        const explicit = new Set(r.dependsOn.flatMap(targets));
        for (const d of explicit) edges.add(`  ${ids.get(d)} --> ${from}`);
        for (const d of Object.values(r.propertyDependencies).flat().flatMap(targets)) {
            if (!explicit.has(d)) edges.add(`  ${ids.get(d)} -.-> ${from}`);
        }
    }
    return [...lines, ...edges].join("\n") + "\n";
}

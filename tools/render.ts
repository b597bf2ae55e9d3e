/**
 * `npm run render -- --stack <name> [--out <dir>] [--validate]`: renders a stack offline (no Pulumi CLI, no cluster)
 * and writes out/<name>/manifests.yaml, patches.yaml, resources.json and graph.mmd (the dependency graph, Mermaid),
 * then prints a one-screen summary.
 * `--validate` also validates every object strictly (tools/validateManifests.ts) and exits 1 if one fails.
 * Arguments, `--help`, exit codes and error messages: tools/cli.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dependencyGraphMermaid } from "./dependencyGraph";
import * as path from "node:path";
import { CommandSpec, EXIT_FAILED, OptionSpec, EXIT_OK, defaultStacksDir, displayPath, loadStackConfig, runCommand } from "./cli";
import { manifestsYaml, renderStack, repoRoot } from "./renderStack";
import { formatResult, validateObjects } from "./validateManifests";

const spec = {
    command: "npm run render --",
    summary:
        "Renders a stack offline (Pulumi's mock runtime: no Pulumi CLI, no cluster) from stacks/Pulumi.<name>.yaml and writes\n" +
        "manifests.yaml, patches.yaml, resources.json and graph.mmd (the dependency graph, Mermaid) into the output directory, then prints a summary.",
    options: {
        stack: { type: "string", value: "<name>", default: "dev", description: "the stack to render: stacks/Pulumi.<name>.yaml" },
        out: { type: "string", value: "<dir>", description: "output directory (default: out/<name>)" },
        validate: { type: "boolean", description: "also validate every object strictly against the vendored schemas" },
        "stacks-dir": { type: "string", value: "<dir>", description: "read Pulumi.<name>.yaml from this directory (default: stacks/)" },
    },
} satisfies CommandSpec<Record<string, OptionSpec>>;

runCommand(spec, async ({ values }) => {
    const stack = values.stack;
    const config = loadStackConfig(stack, values["stacks-dir"] ? path.resolve(values["stacks-dir"]) : defaultStacksDir);
    const outDir = path.resolve(values.out ?? path.join(repoRoot, "out", stack));
    const render = await renderStack(stack, { config });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, "manifests.yaml"), manifestsYaml(render.manifests));
    // Patches of objects others own (server-side apply), kept apart: they are partial objects.
    writeFileSync(path.join(outDir, "patches.yaml"), manifestsYaml(render.patches));
    writeFileSync(path.join(outDir, "resources.json"), JSON.stringify(render.resources, null, 2) + "\n");
    writeFileSync(path.join(outDir, "graph.mmd"), dependencyGraphMermaid(render));

    const byType = new Map<string, number>();
    for (const r of render.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    console.log(
        `stack ${stack}: ${render.resources.length} resources, ${render.manifests.length} Kubernetes objects, ${render.patches.length} patches -> ${displayPath(outDir)}`,
    );
    for (const [type, n] of [...byType].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
        console.log(`  ${String(n).padStart(4)}  ${type}`);
    }
    console.log("outputs:");
    for (const [k, v] of Object.entries(render.outputs)) {
        console.log(`  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    }
    if (values.validate) {
        // Patches are partial objects: their fields are checked, required ones are not.
        const results = [...(await validateObjects(render.manifests)), ...(await validateObjects(render.patches, { partial: true }))];
        const failed = results.filter((r) => !r.valid);
        for (const r of failed) console.log(formatResult(r));
        console.log(`validate (strict): ${results.length - failed.length} passed, ${failed.length} failed`);
        if (failed.length) return EXIT_FAILED;
    }
    return EXIT_OK;
});

/**
 * `npm run render -- --stack <name> [--out <dir>] [--validate]`: renders a stack offline (no Pulumi CLI, no cluster)
 * and writes out/<name>/manifests.yaml, patches.yaml and resources.json, then prints a one-screen summary.
 * `--validate` also validates every object strictly (tools/validateManifests.ts) and exits 1 if one fails.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../stacks/config";
import { manifestsYaml, renderStack, repoRoot } from "./renderStack";
import { formatResult, validateObjects } from "./validateManifests";

async function cli() {
    const { values } = parseArgs({ options: { stack: { type: "string", default: "dev" }, out: { type: "string" }, validate: { type: "boolean", default: false } } });
    const stack = values.stack!;
    const outDir = path.resolve(values.out ?? path.join(repoRoot, "out", stack));
    const render = await renderStack(stack);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, "manifests.yaml"), manifestsYaml(render.manifests));
    // Patches of objects others own (server-side apply), kept apart: they are partial objects.
    writeFileSync(path.join(outDir, "patches.yaml"), manifestsYaml(render.patches));
    writeFileSync(path.join(outDir, "resources.json"), JSON.stringify(render.resources, null, 2) + "\n");

    const byType = new Map<string, number>();
    for (const r of render.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    console.log(
        `stack ${stack}: ${render.resources.length} resources, ${render.manifests.length} Kubernetes objects, ${render.patches.length} patches -> ${path.relative(process.cwd(), outDir) || "."}`,
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
        if (failed.length) process.exitCode = 1;
    }
}

cli().catch((err: unknown) => {
    if (err instanceof ConfigError) {
        console.error(`error: ${err.message}`);
    } else {
        console.error(err);
    }
    process.exit(1);
});

/**
 * `npm run bench:stacks`: what each stack costs to evaluate from a cold start (the work of every
 * `pulumi preview`), as a ratio to the dev stack, plus the cost of loading the whole @pulumi/azure-native
 * package against the submodules the AKS variant imports. Each measurement is a fresh Node process (module
 * loading included), best of 3.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { repoRoot } from "../tools/renderStack";

function best(args: string[], runs = 3): number {
    let fastest = Infinity;
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
        fastest = Math.min(fastest, performance.now() - t0);
    }
    return fastest;
}

const render = (stack: string) => best(["--import", "tsx", path.join(repoRoot, "tools", "render.ts"), "--stack", stack, "--out", path.join(repoRoot, "out", "bench", stack)]);

const stacks = readdirSync(path.join(repoRoot, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort((a, b) => (a === "dev" ? -1 : b === "dev" ? 1 : a.localeCompare(b)));

const dev = render("dev");
process.stdout.write("render from a cold process, relative to dev (1.00):\n");
for (const stack of stacks) {
    const t = stack === "dev" ? dev : render(stack);
    process.stdout.write(`  ${stack.padEnd(8)} ${(t / dev).toFixed(2)}\n`);
}

const submodules = ["authorization", "containerservice", "keyvault", "managedidentity", "resources", "storage"];
const load = (code: string) => best(["-e", code]);
const baseline = load("require('@pulumi/pulumi')");
const root = load("require('@pulumi/pulumi'); require('@pulumi/azure-native')") - baseline;
const subs = load(`require('@pulumi/pulumi'); ${submodules.map((m) => `require('@pulumi/azure-native/${m}')`).join("; ")}`) - baseline;
process.stdout.write(`@pulumi/azure-native: loading the package root costs ${(root / Math.max(subs, 1)).toFixed(1)}x the ${submodules.length} submodules the AKS variant imports\n`);

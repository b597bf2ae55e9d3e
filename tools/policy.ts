/**
 * Offline policy check: `npm run policy -- --stack <name>` renders the stack (as `npm run render` does) and runs
 * every policy of the pack (policies/rules) on it with the environment's pack config
 * (policies/config/<environment>.json). `--resources <resources.json>` checks a saved render or a fixture
 * instead. Prints every violation; exits 1 when one is mandatory, 2 on bad usage or a failed render.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { OfflineResource, PackConfig, runPolicies } from "../policies/offline";
import { policies } from "../policies/rules";
import { renderStack, repoRoot, stackConfig } from "./renderStack";
import * as yaml from "js-yaml";

const environments = ["dev", "staging", "prod"];

function usage(message: string): never {
    process.stderr.write(`${message}\nusage: npm run policy -- --stack <name> | --resources <resources.json> [--environment dev|staging|prod] [--config <pack-config.json>]\n`);
    process.exit(2);
}

/** The environment a stack file declares (inferstack:environment), as the pack config to use. */
function stackEnvironment(stack: string): string {
    const file = path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`);
    const doc = yaml.load(readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    return stackConfig("inferstack", doc.config ?? {})["inferstack:environment"] ?? "dev";
}

async function main() {
    const { values } = parseArgs({ options: { stack: { type: "string" }, resources: { type: "string" }, environment: { type: "string" }, config: { type: "string" } } });
    if (!values.stack === !values.resources) usage("give exactly one of --stack and --resources");
    const environment = values.environment ?? (values.stack ? stackEnvironment(values.stack) : "prod");
    if (!environments.includes(environment)) usage(`--environment ${environment} is not one of ${environments.join(", ")}`);
    const configFile = values.config ?? path.join(repoRoot, "policies", "config", `${environment}.json`);
    const config = JSON.parse(readFileSync(configFile, "utf8")) as PackConfig;

    const resources: OfflineResource[] = values.stack
        ? (await renderStack(values.stack)).resources
        : (JSON.parse(readFileSync(values.resources!, "utf8")) as OfflineResource[]);
    const run = await runPolicies(policies, resources, config);

    const subject = values.stack ? `stack ${values.stack}` : values.resources;
    process.stdout.write(`policy pack inferstack: ${run.ran.length} policies on ${resources.length} resources of ${subject} (environment ${environment}, config ${path.relative(repoRoot, configFile)})\n`);
    const names = new Map(resources.map((r) => [r.urn, `${r.type} ${r.name}`]));
    for (const v of run.violations) {
        process.stdout.write(`${v.level.toUpperCase().padEnd(9)} ${v.policy}\n          resource: ${v.urn ? (names.get(v.urn) ?? v.urn) : "(stack)"}\n          ${v.message}\n`);
    }
    for (const r of run.remediations) process.stdout.write(`REMEDIATE ${r.policy}\n          resource: ${names.get(r.urn) ?? r.urn}\n`);
    const mandatory = run.violations.filter((v) => v.level === "mandatory");
    process.stdout.write(
        `${mandatory.length} mandatory, ${run.violations.length - mandatory.length} advisory violations; ${run.remediations.length} remediations; ${run.exemptions.length} waived by exemptions\n`,
    );
    process.exit(mandatory.length > 0 ? 1 : 0);
}

main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
});

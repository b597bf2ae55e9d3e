/**
 * Offline policy check: `npm run policy -- --stack <name>` renders the stack (as `npm run render` does) and runs
 * every policy of the pack (policies/rules) on it with the environment's pack config
 * (policies/config/<environment>.json). `--resources <resources.json>` checks a saved render or a fixture
 * instead. Prints every violation; exits 1 when one is mandatory (or the stack's config is invalid), 2 on bad usage.
 * Arguments, `--help`, exit codes and error messages: tools/cli.ts.
 */
import * as path from "node:path";
import { OfflineResource, PackConfig, runPolicies } from "../policies/offline";
import { policies } from "../policies/rules";
import { CommandSpec, EXIT_FAILED, EXIT_OK, OptionSpec, UsageError, defaultStacksDir, loadStackConfig, readJsonFile, runCommand } from "./cli";
import { renderStack, repoRoot, stackConfig } from "./renderStack";

const environments = ["dev", "staging", "prod"];

const spec = {
    command: "npm run policy --",
    summary:
        "Runs the CrossGuard policy pack (policies/rules) offline on a stack's render, or on a saved resources.json, with the\n" +
        "environment's pack config (policies/config/<environment>.json), and prints every violation.",
    options: {
        stack: { type: "string", value: "<name>", description: "render this stack (stacks/Pulumi.<name>.yaml), check the render" },
        resources: { type: "string", value: "<file>", description: "check a saved render (resources.json) instead of --stack" },
        environment: { type: "string", value: "dev|staging|prod", description: "pack config to use (default: the stack's inferstack:environment; prod with --resources)" },
        config: { type: "string", value: "<file>", description: "pack config file (default: policies/config/<environment>.json)" },
        "stacks-dir": { type: "string", value: "<dir>", description: "read Pulumi.<name>.yaml from this directory (default: stacks/)" },
    },
    notes: ["Give exactly one of --stack and --resources."],
} satisfies CommandSpec<Record<string, OptionSpec>>;

runCommand(spec, async ({ values }) => {
    if (!values.stack === !values.resources) throw new UsageError("give exactly one of --stack and --resources");
    if (values.environment !== undefined && !environments.includes(values.environment)) {
        throw new UsageError(`--environment ${values.environment} is not one of ${environments.join(", ")}`);
    }
    const stackFileConfig = values.stack ? loadStackConfig(values.stack, values["stacks-dir"] ? path.resolve(values["stacks-dir"]) : defaultStacksDir) : undefined;
    // Rendered first: an invalid config (an unknown environment too) stops here with its ConfigError.
    const resources: OfflineResource[] = values.stack
        ? (await renderStack(values.stack, { config: stackFileConfig })).resources
        : readJsonFile<OfflineResource[]>(values.resources!, "resources file");
    // The environment a stack file declares (inferstack:environment) names the pack config to use.
    const environment = values.environment ?? (stackFileConfig ? (stackConfig("inferstack", stackFileConfig)["inferstack:environment"] ?? "dev") : "prod");
    const configFile = values.config ?? path.join(repoRoot, "policies", "config", `${environment}.json`);
    const config = readJsonFile<PackConfig>(configFile, "pack config");
    const run = await runPolicies(policies, resources, config);

    const subject = values.stack ? `stack ${values.stack}` : values.resources;
    process.stdout.write(`policy pack inferstack: ${run.ran.length} policies on ${resources.length} resources of ${subject} (environment ${environment}, config ${path.relative(repoRoot, path.resolve(configFile))})\n`);
    const names = new Map(resources.map((r) => [r.urn, `${r.type} ${r.name}`]));
    for (const v of run.violations) {
        process.stdout.write(`${v.level.toUpperCase().padEnd(9)} ${v.policy}\n          resource: ${v.urn ? (names.get(v.urn) ?? v.urn) : "(stack)"}\n          ${v.message}\n`);
    }
    for (const r of run.remediations) process.stdout.write(`REMEDIATE ${r.policy}\n          resource: ${names.get(r.urn) ?? r.urn}\n`);
    const mandatory = run.violations.filter((v) => v.level === "mandatory");
    process.stdout.write(
        `${mandatory.length} mandatory, ${run.violations.length - mandatory.length} advisory violations; ${run.remediations.length} remediations; ${run.exemptions.length} waived by exemptions\n`,
    );
    return mandatory.length > 0 ? EXIT_FAILED : EXIT_OK;
});

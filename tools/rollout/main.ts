/**
 * `npm run rollout -- --stack <name> --model <model>`: a metric-gated canary rollout of one model, driven by the
 * Pulumi Automation API (tools/rollout/stackOps.ts) and judged on Prometheus (tools/rollout/analysis.ts). The state
 * machine is tools/rollout/rollout.ts; the command line (flags, --help, one-line errors) is tools/cli.ts's.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { CommandSpec, OptionSpec, UsageError, availableStacks, closest, defaultStacksDir, displayPath, loadStackConfig, runCommand } from "../cli";
import { PrometheusHttp } from "./analysis";
import { EXIT, durationMs, modelEntry, realClock, runRollout } from "./rollout";
import { AutomationStackOps, openAutomationStack } from "./stackOps";

const repoRoot = path.resolve(__dirname, "..", "..");

export const rolloutSpec = {
    command: "npm run rollout --",
    summary:
        "Rolls a model's canary out step by step (models[i].rollout.steps, e.g. 10 → 25 → 50 → 100): each step sets\n" +
        "models[i].canary.trafficPercent, runs `pulumi up` limited to the model's InferenceService, waits for Ready, observes\n" +
        "one interval and analyses the canary revision against the stable one on Prometheus (5xx ratio, p95/p99 latency,\n" +
        "the monitor's drift/outlier/accuracy for the canary's model version, user PromQL checks). It advances, holds (not\n" +
        "enough traffic yet) or rolls back (trafficPercent 0). After the last step it promotes (100) and tidies the stack\n" +
        "config (stable := canary, canary removed). Its state is the stack config: rerun the same command to resume.",
    options: {
        stack: { type: "string", value: "<name>", description: "the Pulumi stack (stacks/Pulumi.<name>.yaml); required" },
        model: { type: "string", value: "<name>", description: "the model (models[i].name) whose canary to roll out; required" },
        prometheus: { type: "string", value: "<url>", description: "Prometheus base URL (default: models[i].rollout.prometheusUrl, else http://localhost:9090)" },
        "dry-run": { type: "boolean", description: "analyse the current step once and print the decision; change nothing (no config change, no update)" },
        json: { type: "boolean", description: "print the JSON report on stdout (progress goes to stderr either way)" },
        report: { type: "string", value: "<file>", description: "also write the JSON report to this file" },
        "ready-timeout": { type: "string", value: "<duration>", default: "20m", description: "how long to wait for the InferenceService to be Ready after an update" },
    },
    notes: [
        "The JSON report has every analysis with each check's query, value, threshold and status (pass, fail, hold, skipped).",
        "Prometheus through kubectl: kubectl -n monitoring port-forward svc/kps-prometheus 9090:9090 (see docs/rollout.md).",
        "Needs the Pulumi CLI logged in to the stack's backend (and PULUMI_CONFIG_PASSPHRASE for a local backend).",
    ],
    exitCodes:
        "exit codes: 0 promoted (or nothing to do; --dry-run: the step would advance), 1 invalid stack config or rollout policy,\n" +
        "2 bad usage, 3 rolled back (--dry-run: would roll back), 4 held: not enough traffic/data (rerun to resume),\n" +
        "5 operational failure (Pulumi update, InferenceService not Ready, Prometheus unreachable); the canary stays where it is",
} satisfies CommandSpec<Record<string, OptionSpec>>;

if (require.main === module) {
    runCommand(rolloutSpec, async ({ values }) => {
        if (!values.stack) throw new UsageError("--stack <name> is required");
        if (!values.model) throw new UsageError("--model <name> is required");
        const stacks = availableStacks();
        if (!stacks.includes(values.stack)) {
            const guess = closest(values.stack, stacks);
            throw new UsageError(`unknown stack ${JSON.stringify(values.stack)}${guess ? ` (did you mean ${guess}?)` : ""}; available stacks: ${stacks.join(", ")}`);
        }
        const readyTimeoutMs = durationMs(values["ready-timeout"]);
        // Check the model and its policy offline first: a typo fails in a second, before the Pulumi CLI starts.
        const fileConfig = loadStackConfig(values.stack, defaultStacksDir);
        const offline = Object.fromEntries(Object.entries(fileConfig).filter(([k]) => k.startsWith("inferstack:")).map(([k, v]) => [k.slice("inferstack:".length), v]));
        const entry = modelEntry(offline, values.model);
        const url = values.prometheus ?? entry.policy.prometheusUrl ?? "http://localhost:9090";
        if (!/^https?:\/\/[^/\s]+/.test(url)) throw new UsageError(`--prometheus ${JSON.stringify(url)} is not an http(s) URL`);

        const progress = (line: string) => process.stderr.write(`${line}\n`);
        let stack;
        try {
            stack = await openAutomationStack(values.stack, repoRoot);
        } catch (err) {
            const msg = (err as Error).message;
            const reason = /ENOENT/.test(msg) ? "the Pulumi CLI (`pulumi`) is not on PATH" : msg.split("\n").find((l) => l.trim() !== "") ?? msg;
            process.stderr.write(`error: cannot open stack ${values.stack} with the Pulumi Automation API: ${reason}\n`);
            return EXIT.operational;
        }
        const report = await runRollout(
            { model: values.model, dryRun: values["dry-run"], readyTimeoutMs },
            { ops: new AutomationStackOps(stack, progress), prometheus: new PrometheusHttp(url), clock: realClock, progress },
        );
        const json = JSON.stringify(report, null, 2) + "\n";
        if (values.report) {
            writeFileSync(path.resolve(values.report), json);
            progress(`report: ${displayPath(path.resolve(values.report))}`);
        }
        if (values.json) process.stdout.write(json);
        progress(`outcome: ${report.outcome}${report.wouldDo ? ` (would ${report.wouldDo})` : ""}, exit ${report.exitCode}`);
        return report.exitCode;
    });
}

export { EXIT };

/**
 * `npm test`: runs every suite, always (a failing suite never hides the ones after it), streams their output, then
 * prints one row per suite and ends with the overall line `N passed, N failed, N skipped`. Exit 1 if anything failed.
 *
 * Test suites (node:test) are counted from their summary (`# pass`, `# fail`, `# cancelled`, `# skipped`, `# todo`
 * in TAP, `ℹ pass ...` in the spec reporter): cancelled counts as failed, todo as skipped. A step that is not a test
 * suite (type check, lint, build) counts as one test: 1 passed or 1 failed. Skip reasons are collected and printed
 * once each at the end (e.g. a test that needs a binary this machine does not have says what to install). A suite
 * still running after `--timeout` minutes (default 30) is stopped and counted as failed, and the next one runs.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { CommandSpec, EXIT_FAILED, EXIT_OK, OptionSpec, UsageError, runCommand } from "./cli";

const repoRoot = path.resolve(__dirname, "..");

interface Step {
    name: string;
    command: string;
    args: string[];
    /** A node:test run: counted from its summary; otherwise one pass or one fail. */
    tests: boolean;
}

interface Outcome {
    name: string;
    passed: number;
    failed: number;
    skipped: number;
    seconds: number;
    exitCode: number | null;
    note?: string;
}

const testFiles = (dir: string) =>
    readdirSync(path.join(repoRoot, dir))
        .filter((f) => f.endsWith(".test.ts"))
        .sort()
        .map((f) => path.join(dir, f));

function steps(): Step[] {
    return [
        { name: "typecheck (tsc)", command: "tsc", args: ["--noEmit", "-p", "."], tests: false },
        { name: "lint (eslint)", command: "eslint", args: ["."], tests: false },
        { name: "policy pack build", command: "npm", args: ["--prefix", "policies", "run", "build"], tests: false },
        { name: "tests (test/)", command: process.execPath, args: ["--import", "tsx", "--test", ...testFiles("test")], tests: true },
        { name: "monitor typecheck", command: "npm", args: ["--prefix", "services/monitor", "run", "typecheck"], tests: false },
        { name: "monitor tests", command: "npm", args: ["--prefix", "services/monitor", "test"], tests: true },
        { name: "explainer typecheck", command: "npm", args: ["--prefix", "services/explainer", "run", "typecheck"], tests: false },
        { name: "explainer tests", command: "npm", args: ["--prefix", "services/explainer", "test"], tests: true },
    ];
}

/** The last value of each summary counter a node:test run printed (TAP `# pass 3` or spec `ℹ pass 3`). */
function parseTestSummary(output: string): Partial<Record<"pass" | "fail" | "cancelled" | "skipped" | "todo", number>> | undefined {
    const counts: Partial<Record<"pass" | "fail" | "cancelled" | "skipped" | "todo", number>> = {};
    let found = false;
    for (const m of output.matchAll(/^(?:#|ℹ) (pass|fail|cancelled|skipped|todo) (\d+)\s*$/gm)) {
        counts[m[1] as keyof typeof counts] = Number(m[2]);
        found = true;
    }
    return found ? counts : undefined;
}

/** Skip and todo reasons (TAP `ok 3 - name # SKIP reason`, spec `﹣ name (1ms) # reason`), with how many tests gave each. */
function skipReasons(output: string): Map<string, number> {
    const reasons = new Map<string, number>();
    const add = (kind: string, reason: string) => {
        const key = `${kind}: ${reason.trim() || "(no reason given)"}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
    };
    for (const m of output.matchAll(/^\s*ok \d+ - .* # (SKIP|TODO)\b ?(.*)$/gm)) add(m[1].toLowerCase(), m[2]);
    for (const m of output.matchAll(/^\s*﹣ .* \([\d.]+m?s\) # (.*)$/gm)) add("skip", m[1].replace(/^SKIP\b ?/, ""));
    return reasons;
}

/** Failing tests' names (TAP `not ok`, spec `✖`), once each. */
function failures(output: string): string[] {
    const tap = [...output.matchAll(/^\s*not ok \d+ - (.*?)(?: # .*)?$/gm)].map((m) => m[1]);
    const spec = [...output.matchAll(/^\s*✖ (.*?)(?: \([\d.]+m?s\))?$/gm)].map((m) => m[1]);
    return [...new Set([...tap, ...spec])];
}

/** The step running now, so Ctrl-C and a timeout can stop its whole process group. */
let current: ReturnType<typeof spawn> | undefined;

function stop(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): void {
    try {
        if (process.platform !== "win32" && child.pid) process.kill(-child.pid, signal);
        else child.kill(signal);
    } catch {
        // Already gone.
    }
}

function runStep(step: Step, timeoutMinutes: number): Promise<{ code: number | null; output: string; seconds: number; timedOut: boolean }> {
    const started = Date.now();
    process.stdout.write(`\n=== ${step.name}: ${[path.basename(step.command), ...step.args].join(" ")}\n`);
    return new Promise((resolve) => {
        const env = { ...process.env, PATH: [path.join(repoRoot, "node_modules", ".bin"), process.env.PATH].join(path.delimiter) };
        // Its own process group (detached), so a hung suite can be stopped with everything it started.
        const child = spawn(step.command, step.args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], shell: process.platform === "win32", detached: process.platform !== "win32" });
        current = child;
        let output = "";
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            process.stderr.write(`\n=== ${step.name}: still running after ${timeoutMinutes} min; stopping it (counted as failed)\n`);
            stop(child, "SIGTERM");
            setTimeout(() => stop(child, "SIGKILL"), 5000).unref();
        }, timeoutMinutes * 60_000);
        child.stdout!.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            process.stdout.write(chunk);
        });
        child.stderr!.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            process.stderr.write(chunk);
        });
        child.on("error", (err) => {
            output += `\n${err.message}`;
            process.stderr.write(`cannot run ${step.command}: ${err.message}\n`);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            current = undefined;
            resolve({ code: code ?? 1, output, seconds: (Date.now() - started) / 1000, timedOut });
        });
    });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
        if (current) stop(current, signal);
        process.exit(130);
    });
}

function outcome(step: Step, code: number | null, output: string, seconds: number, timedOut: boolean): Outcome {
    const base = { name: step.name, seconds, exitCode: code };
    if (timedOut) {
        const s = step.tests ? parseTestSummary(output) : undefined;
        return { ...base, passed: 0, failed: Math.max(1, (s?.fail ?? 0) + (s?.cancelled ?? 0)), skipped: 0, note: "timed out" };
    }
    if (!step.tests) return { ...base, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 };
    const s = parseTestSummary(output);
    if (!s) return { ...base, passed: 0, failed: 1, skipped: 0, note: `no test summary (exit code ${code})` };
    const failed = (s.fail ?? 0) + (s.cancelled ?? 0);
    const result = { ...base, passed: s.pass ?? 0, failed, skipped: (s.skipped ?? 0) + (s.todo ?? 0) };
    // A run that fails without a failing test (a crash, a file that does not load) still fails.
    if (code !== 0 && failed === 0) return { ...result, failed: 1, note: `exit code ${code} without a failing test` };
    return result;
}

const spec = {
    command: "npm test",
    summary:
        "Runs every suite (type check, lint, policy pack build, tests, the monitor's type check and tests), each one even\n" +
        "when an earlier one failed, and ends with `N passed, N failed, N skipped` across all of them.",
    options: {
        timeout: { type: "string", value: "<minutes>", default: "30", description: "stop a suite still running after this long and count it as failed" },
    },
    exitCodes: "exit codes: 0 every suite passed, 1 something failed, 2 bad usage",
} satisfies CommandSpec<Record<string, OptionSpec>>;

runCommand(spec, async ({ values }) => {
    const timeoutMinutes = Number(values.timeout);
    if (!(timeoutMinutes > 0)) throw new UsageError(`--timeout ${values.timeout} is not a positive number of minutes`);
    const outcomes: Outcome[] = [];
    const reasons = new Map<string, number>();
    const failing: string[] = [];
    for (const step of steps()) {
        const { code, output, seconds, timedOut } = await runStep(step, timeoutMinutes);
        const o = outcome(step, code, output, seconds, timedOut);
        outcomes.push(o);
        if (step.tests) {
            for (const [r, n] of skipReasons(output)) reasons.set(`${step.name}: ${r}`, (reasons.get(`${step.name}: ${r}`) ?? 0) + n);
            if (o.failed) failing.push(...failures(output).map((f) => `${step.name}: ${f}`));
        }
    }

    const total = outcomes.reduce((t, o) => ({ passed: t.passed + o.passed, failed: t.failed + o.failed, skipped: t.skipped + o.skipped }), { passed: 0, failed: 0, skipped: 0 });
    const rows = [
        ["suite", "passed", "failed", "skipped", "time", ""],
        ...outcomes.map((o) => [o.name, String(o.passed), String(o.failed), String(o.skipped), `${o.seconds.toFixed(1)}s`, o.failed ? `FAILED${o.note ? ` (${o.note})` : ""}` : "ok"]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
    process.stdout.write(`\n${"=".repeat(60)}\n`);
    for (const r of rows) process.stdout.write(`${line(r)}\n`);
    if (failing.length) {
        process.stdout.write(`\nfailing (${failing.length}):\n`);
        for (const f of failing.slice(0, 30)) process.stdout.write(`  ${f}\n`);
        if (failing.length > 30) process.stdout.write(`  ... ${failing.length - 30} more (see the output above)\n`);
    }
    for (const [r, n] of reasons) process.stdout.write(`SKIPPED ${n} test${n === 1 ? "" : "s"}: ${r}\n`);
    process.stdout.write(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
    return total.failed ? EXIT_FAILED : EXIT_OK;
});

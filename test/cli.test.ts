/**
 * The command lines of `npm run render`, `npm run policy` and `npm run validate` (tools/cli.ts): --help, exit codes
 * (0 ok, 1 check failed, 2 bad usage) and one-line errors without stack traces. The tools are spawned as users run
 * them; bad stack files live in a temporary --stacks-dir, never in stacks/ (other tests list that folder).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { availableStacks, closest, parseCommandLine, UsageError } from "../tools/cli";
import { repoRoot } from "../tools/renderStack";

const tools = { render: "render.ts", policy: "policy.ts", validate: "validateManifests.ts" } as const;

function run(tool: keyof typeof tools, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools", tools[tool]), ...args], { encoding: "utf8", cwd: repoRoot });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** No stack trace: no `    at ...` frame, no `file.ts:12:3` location line of a thrown error. */
function assertNoStackTrace(stderr: string): void {
    assert.doesNotMatch(stderr, /^\s+at /m, stderr);
    assert.doesNotMatch(stderr, /\.(ts|js):\d+:\d+\)?$/m, stderr);
}

/** One `error: ...` line (a config error adds one line per problem), nothing else. */
function assertOneError(stderr: string, pattern: RegExp): void {
    assertNoStackTrace(stderr);
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0], pattern);
}

function stacksDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "inferstack-cli-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);
    return dir;
}

const shipped = availableStacks();

describe("the shared argument parser (tools/cli.ts)", () => {
    const spec = {
        command: "x",
        summary: "x",
        options: { stack: { type: "string", description: "s", default: "dev" }, validate: { type: "boolean", description: "v" } },
    } as const;

    it("reads --name value, --name=value, booleans and -h; refuses what it does not know", () => {
        assert.deepEqual(parseCommandLine(spec, ["--stack", "prod", "--validate"]).values, { stack: "prod", validate: true });
        assert.deepEqual(parseCommandLine(spec, ["--stack=prod"]).values, { stack: "prod", validate: false });
        assert.deepEqual(parseCommandLine(spec, []).values, { stack: "dev", validate: false });
        assert.equal(parseCommandLine(spec, ["-h"]).help, true);
        assert.throws(() => parseCommandLine(spec, ["--stak", "prod"]), (e: Error) => e instanceof UsageError && e.message === "unknown option --stak (did you mean --stack?)");
        assert.throws(() => parseCommandLine(spec, ["--stack"]), /option --stack needs a value/);
        assert.throws(() => parseCommandLine(spec, ["--validate=yes"]), /option --validate takes no value/);
        assert.throws(() => parseCommandLine(spec, ["--stack", "a", "--stack", "b"]), /given twice/);
        assert.throws(() => parseCommandLine(spec, ["prod"]), /unexpected argument "prod"/);
        assert.equal(closest("staing", shipped), "staging");
        assert.equal(closest("qwerty", shipped), undefined);
    });
});

describe("exiting (tools/cli.ts runCommand)", () => {
    it("hands every byte written to a pipe over before it exits, even far beyond the pipe's 64 KiB buffer", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "inferstack-cli-exit-"));
        const script = path.join(dir, "big.ts");
        // A command that writes 1 MiB in 4 KiB lines, then exits 3 (with a handle left open, as a render may).
        writeFileSync(
            script,
            `import { runCommand } from ${JSON.stringify(path.join(repoRoot, "tools", "cli"))};
setInterval(() => undefined, 1000);
runCommand({ command: "big", summary: "writes a lot", options: {} }, async () => {
    for (let i = 0; i < 256; i++) process.stdout.write("x".repeat(4095) + "\\n");
    return 3;
});
`,
        );
        const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", cwd: repoRoot, maxBuffer: 8 * 1024 * 1024 });
        assert.equal(r.stderr, "");
        assert.equal(r.status, 3);
        assert.equal(r.stdout.length, 256 * 4096);
    });
});

describe("npm run render / policy / validate: --help, exit codes, one-line errors", () => {
    for (const tool of Object.keys(tools) as (keyof typeof tools)[]) {
        it(`${tool}: --help prints the usage, every option and the exit codes; exit 0`, () => {
            const r = run(tool, "--help");
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`^usage: npm run ${tool} -- `));
            assert.match(r.stdout, /-h, --help/);
            assert.match(r.stdout, /exit codes: 0 ok, 1 .*, 2 bad usage/);
            assert.equal(r.stderr, "");
        });

        it(`${tool}: an unknown flag is one line, exit 2`, () => {
            const r = run(tool, "--no-such-flag");
            assert.equal(r.status, 2, r.stderr);
            assertOneError(r.stderr, new RegExp(`unknown option --no-such-flag; see \`npm run ${tool} -- --help\`$`));
        });
    }

    it("render: a misspelled flag suggests the right one", () => {
        const r = run("render", "--stak", "dev");
        assert.equal(r.status, 2);
        assertOneError(r.stderr, /^error: unknown option --stak \(did you mean --stack\?\)/);
    });

    for (const tool of ["render", "policy"] as const) {
        it(`${tool}: an unknown stack lists the available ones, exit 2`, () => {
            const r = run(tool, "--stack", "no-such-stack");
            assert.equal(r.status, 2, r.stderr);
            assertOneError(r.stderr, /unknown stack "no-such-stack": there is no stacks\/Pulumi\.no-such-stack\.yaml; available stacks: /);
            const listed = /available stacks: ([^;]+);/.exec(r.stderr)![1].split(", ");
            for (const s of shipped) assert.ok(listed.includes(s), `${s} listed`);
        });

        it(`${tool}: a YAML syntax error in a stack file names the file and line, exit 1`, () => {
            const dir = stacksDir({ broken: "config:\n  inferstack:environment: dev\n  inferstack:models: [1\n  inferstack:domain: x\n" });
            const r = run(tool, "--stack", "broken", "--stacks-dir", dir);
            assert.equal(r.status, 1, r.stderr);
            assertOneError(r.stderr, /Pulumi\.broken\.yaml:\d+:\d+: YAML syntax error: /);
        });

        it(`${tool}: a config error prints the ConfigError's message as is, exit 1`, () => {
            const dir = stacksDir({ bad: "config:\n  inferstack:environment: production\n" });
            const r = run(tool, "--stack", "bad", "--stacks-dir", dir);
            assert.equal(r.status, 1, r.stderr);
            assertNoStackTrace(r.stderr);
            assert.equal(r.stderr, 'error: invalid stack configuration:\n  - inferstack:environment: got "production"; allowed values are "dev", "staging", "prod"\n');
        });
    }

    it("render: a secure: value the render cannot decrypt is one line naming the file and key, exit 1", () => {
        const dir = stacksDir({ sec: "config:\n  inferstack:domain:\n    secure: AAABAG==\n" });
        const r = run("render", "--stack", "sec", "--stacks-dir", dir);
        assert.equal(r.status, 1);
        assertOneError(r.stderr, /Pulumi\.sec\.yaml: inferstack:domain is an encrypted \(secure:\) value/);
    });

    it("policy: bad usage (no subject, unknown environment, missing file) is one line, exit 2", () => {
        for (const [args, pattern] of [
            [[], /give exactly one of --stack and --resources/],
            [["--resources", "x.json", "--environment", "qa"], /--environment qa is not one of dev, staging, prod/],
            [["--resources", path.join(tmpdir(), "no-such-resources.json")], /resources file .*no-such-resources\.json does not exist/],
            [["--stack"], /option --stack needs a value <name>/],
        ] as [string[], RegExp][]) {
            const r = run("policy", ...args);
            assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
            assertOneError(r.stderr, pattern);
        }
    });

    it("validate: no input and a missing file are one line, exit 2; a YAML syntax error is a FAIL line with file and line, exit 1", () => {
        const none = run("validate");
        assert.equal(none.status, 2);
        assertOneError(none.stderr, /give at least one file or directory/);
        const missing = run("validate", path.join(tmpdir(), "no-such-dir-inferstack"));
        assert.equal(missing.status, 2);
        assertOneError(missing.stderr, /no such file or directory/);
        const dir = mkdtempSync(path.join(tmpdir(), "inferstack-cli-"));
        writeFileSync(path.join(dir, "bad.yaml"), "apiVersion: v1\nkind: [ConfigMap\n");
        const broken = run("validate", dir);
        assert.equal(broken.status, 1);
        assertNoStackTrace(broken.stderr);
        assert.match(broken.stdout, /^FAIL .*bad\.yaml:\d+:\d+: cannot parse: /m);
        assert.match(broken.stdout, /\n0 passed, 1 failed\n$/);
    });
});

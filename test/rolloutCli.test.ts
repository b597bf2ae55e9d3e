/**
 * Issue #14: `npm run rollout`'s command line (tools/rollout/main.ts on tools/cli.ts): --help documents every flag
 * and exit code, usage errors are one line with exit 2, and a machine without the Pulumi CLI gets one line, exit 5.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { repoRoot } from "../tools/renderStack";
import { rolloutSpec } from "../tools/rollout/main";

const emptyDir = mkdtempSync(path.join(tmpdir(), "inferstack-no-pulumi-"));
after(() => rmSync(emptyDir, { recursive: true, force: true }));

function rollout(...args: string[]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "tools", "rollout", "main.ts"), ...args], {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 60_000,
        // No Pulumi CLI on PATH (an empty directory), whatever the machine has: the tool must say so in one line.
        env: { ...process.env, PATH: emptyDir },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run rollout: command line", () => {
    it("--help documents every flag, the report and every exit code", () => {
        const r = rollout("--help");
        assert.equal(r.code, 0, r.stderr);
        for (const [name, o] of Object.entries(rolloutSpec.options)) {
            assert.match(r.stdout, new RegExp(`--${name}${o.type === "string" ? ` ${o.value!.replace(/[<>]/g, "\\$&")}` : ""}\\s+\\S`), `--help documents --${name}`);
        }
        for (const code of ["0 promoted", "1 invalid", "2 bad usage", "3 rolled back", "4 held", "5 operational"]) assert.ok(r.stdout.includes(code), `exit code ${code}`);
        assert.match(r.stdout, /port-forward svc\/kps-prometheus 9090:9090/);
    });

    it("usage errors: one line, exit 2, with a suggestion where one fits", () => {
        const cases: [string[], RegExp][] = [
            [["--model", "sklearn-iris"], /^error: --stack <name> is required; see `npm run rollout -- --help`$/],
            [["--stack", "dev"], /^error: --model <name> is required/],
            [["--stack", "deb", "--model", "sklearn-iris"], /^error: unknown stack "deb" \(did you mean dev\?\); available stacks: /],
            [["--stack", "dev", "--model", "sklearn-irs"], /^error: the stack has no model "sklearn-irs" \(did you mean sklearn-iris\?\); its models: sklearn-iris, xgboost-iris/],
            [["--stack", "dev", "--model", "sklearn-iris", "--dryrun"], /^error: unknown option --dryrun \(did you mean --dry-run\?\)/],
            [["--stack", "dev", "--model", "sklearn-iris", "--ready-timeout", "ten"], /^error: not a duration: "ten"/],
            [["--stack", "dev", "--model", "sklearn-iris", "--prometheus", "localhost:9090"], /^error: --prometheus "localhost:9090" is not an http\(s\) URL/],
        ];
        for (const [args, expected] of cases) {
            const r = rollout(...args);
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
            assert.match(r.stderr.trim(), expected);
        }
    });

    it("without the Pulumi CLI: one line naming it, exit 5 (operational), after the offline checks passed", () => {
        const r = rollout("--stack", "dev", "--model", "sklearn-iris", "--dry-run");
        assert.equal(r.code, 5, r.stderr);
        assert.equal(r.stderr.trim(), "error: cannot open stack dev with the Pulumi Automation API: the Pulumi CLI (`pulumi`) is not on PATH");
    });
});

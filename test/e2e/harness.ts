/**
 * Process and HTTP plumbing for the real-Prometheus end-to-end test (test/prometheusE2e.test.ts): free loopback
 * ports, child processes that cannot outlive their limit, bounded HTTP calls, and Prometheus's HTTP API.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as net from "node:net";

/** True when `cmd --version` runs. */
export function hasCommand(cmd: string): boolean {
    const r = spawnSync(cmd, ["--version"], { encoding: "utf8", timeout: 10_000 });
    return !r.error && r.status === 0;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

export interface Proc {
    name: string;
    child: ChildProcess;
    /** The last output lines (stdout and stderr), for failure messages. */
    tail(): string;
    exited: Promise<number | null>;
    /** SIGKILL to the whole process group; resolves once it is gone (or after 5 s). */
    kill(): Promise<void>;
}

/**
 * Starts `cmd args` under coreutils `timeout -s KILL <limitSeconds>` in its own process group, so it is killed
 * even when the test process dies without running its hooks.
 */
export function startProcess(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; limitSeconds: number }): Proc {
    const child = spawn("timeout", ["-s", "KILL", String(opts.limitSeconds), cmd, ...args], {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
        lines.push(...chunk.toString("utf8").split("\n").filter((l) => l.trim() !== ""));
        if (lines.length > 40) lines.splice(0, lines.length - 40);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exited = new Promise<number | null>((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.once("error", () => resolve(null));
    });
    return {
        name,
        child,
        tail: () => lines.join("\n"),
        exited,
        async kill() {
            if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
            try {
                process.kill(-child.pid, "SIGKILL");
            } catch {
                // already gone
            }
            await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        },
    };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface HttpResult {
    status: number;
    text: string;
}

/** One HTTP call to 127.0.0.1, aborted after `timeoutMs`. */
export async function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, timeoutMs = 5000): Promise<HttpResult> {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
}

/** Polls `probe` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 250, detail: () => string = () => ""): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    while (Date.now() < deadline) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (err) {
            lastError = (err as Error).message;
        }
        await sleep(everyMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}\n${detail()}`);
}

/** Prometheus's HTTP API (v1) on a base URL. */
export class PrometheusApi {
    constructor(readonly base: string) {}

    private async get(path: string): Promise<any> {
        const r = await http(`${this.base}${path}`);
        const body = JSON.parse(r.text);
        if (r.status !== 200 || body.status !== "success") throw new Error(`GET ${path}: ${r.status} ${r.text.slice(0, 500)}`);
        return body.data;
    }

    /** Instant query: the vector's samples as {labels, value}. */
    async query(q: string): Promise<{ metric: Record<string, string>; value: number }[]> {
        const data = await this.get(`/api/v1/query?query=${encodeURIComponent(q)}`);
        if (data.resultType !== "vector") throw new Error(`${q}: expected a vector, got ${data.resultType}`);
        return data.result.map((s: any) => ({ metric: s.metric, value: Number(s.value[1]) }));
    }

    /** Active (pending or firing) alerts. */
    async alerts(): Promise<{ labels: Record<string, string>; state: string; activeAt: string; value: string }[]> {
        return (await this.get("/api/v1/alerts")).alerts;
    }

    /** Alerting rule groups with each rule's state, health and last evaluation. */
    async ruleGroups(): Promise<{ name: string; file: string; rules: { name: string; state: string; health: string; lastError?: string; lastEvaluation: string; alerts: any[] }[] }[]> {
        return (await this.get("/api/v1/rules?type=alert")).groups;
    }

    /** Scrape targets and their health. */
    async targets(): Promise<{ health: string; labels: Record<string, string>; lastError: string }[]> {
        return (await this.get("/api/v1/targets?state=active")).activeTargets;
    }
}

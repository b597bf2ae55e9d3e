/**
 * The rollout state machine. Its state is the stack config alone (`models[i].canary.trafficPercent`), so a run that
 * is interrupted resumes where the config says:
 *
 *   no canary        → nothing to do (exit 0)
 *   trafficPercent 0 → rolled back earlier (exit 3)
 *   1..99            → apply that step (a targeted `pulumi up`: no change if already applied), wait for Ready,
 *                      observe one interval, analyse: advance to the next step, hold (judge again after another
 *                      interval; after maxHolds holds stop, exit 4) or roll back (trafficPercent 0, update, exit 3)
 *   100              → promoted: tidy the config (stable := canary, canary removed), update (no change), exit 0
 */
import { modelVersionId, rolloutSchema, type RolloutPolicy } from "../../components/models/rolloutSchema";
import { parsePlatformConfig, type PlatformConfig } from "../../stacks/config";
import { InputError, UsageError, closest } from "../cli";
import { analyseStep, fmt, type PrometheusClient, type StepAnalysis } from "./analysis";
import type { ModelStatus, StackOps } from "./stackOps";

export const EXIT = { promoted: 0, failedInput: 1, usage: 2, rolledBack: 3, held: 4, operational: 5 } as const;

export type Outcome = "promoted" | "rolled-back" | "held" | "nothing-to-do" | "failed" | "dry-run";

export interface RolloutEvent {
    at: string;
    action: "start" | "update" | "ready" | "wait" | "analysis" | "advance" | "hold" | "rollback" | "promote" | "tidy" | "error";
    trafficPercent?: number;
    message: string;
}

export interface RolloutReport {
    stack: string;
    model: string;
    dryRun: boolean;
    prometheus: string;
    policy: RolloutPolicy;
    outcome: Outcome;
    /** What a dry run would do next (dry runs only). */
    wouldDo?: "advance" | "hold" | "rollback";
    exitCode: number;
    startedAt: string;
    finishedAt: string;
    startPercent: number | null;
    finalPercent: number | null;
    canaryVersion?: string;
    stableVersion?: string;
    events: RolloutEvent[];
    analyses: StepAnalysis[];
    error?: string;
}

export interface Clock {
    now(): Date;
    sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface RolloutOptions {
    model: string;
    dryRun: boolean;
    /** Overrides the policy's prometheusUrl (already in `prometheus`; kept for the report). */
    readyTimeoutMs: number;
    /** How often to refresh the InferenceService while waiting for Ready. */
    readyPollMs?: number;
}

export interface RolloutDeps {
    ops: StackOps;
    prometheus: PrometheusClient;
    clock: Clock;
    /** One line of progress for people. */
    progress: (line: string) => void;
}

/** A Prometheus duration of the schema's form (`30s`, `5m`, `1h`) in ms. */
export function durationMs(d: string): number {
    const m = /^(\d+)(s|m|h)$/.exec(d);
    if (!m) throw new UsageError(`not a duration: ${JSON.stringify(d)} (expected e.g. 30s, 5m, 1h)`);
    return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "s" | "m" | "h"];
}

/** A rollout that cannot go on for a reason outside the canary (Pulumi, the cluster, Prometheus). */
export class OperationalError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "OperationalError";
    }
}

interface ModelEntry {
    index: number;
    raw: Record<string, unknown>;
    namespace: string;
    monitored: boolean;
    stableVersion: string;
    canaryVersion?: string;
    policy: RolloutPolicy;
}

/** The model's entry, its parsed versions and its rollout policy, from the stack config. */
export function modelEntry(config: Record<string, unknown>, model: string): ModelEntry {
    const models = (Array.isArray(config["models"]) ? config["models"] : []) as Record<string, unknown>[];
    const index = models.findIndex((m) => m?.["name"] === model);
    if (index < 0) {
        const names = models.map((m) => String(m?.["name"]));
        const guess = closest(model, names);
        throw new UsageError(`the stack has no model ${JSON.stringify(model)}${guess ? ` (did you mean ${guess}?)` : ""}; its models: ${names.join(", ") || "none"}`);
    }
    const raw = models[index];
    const parsedPolicy = rolloutSchema.safeParse(raw["rollout"] ?? {});
    if (!parsedPolicy.success) {
        throw new InputError(parsedPolicy.error.issues.map((i) => `inferstack:models[${index}].rollout${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}: ${i.message}`).join("\n"));
    }
    // The rest of the entry through the platform schema (without `rollout` until the model schema has it), so the
    // version ids are computed from the same parsed values the platform renders.
    const platform = parseWithoutRollout(config);
    const parsed = platform.models[index];
    return {
        index,
        raw,
        namespace: platform.modelNamespace,
        monitored: parsed.monitoring?.enabled === true,
        stableVersion: modelVersionId(parsed.stable as Record<string, unknown>),
        canaryVersion: parsed.canary ? modelVersionId(parsed.canary as Record<string, unknown>) : undefined,
        policy: parsedPolicy.data,
    };
}

function stripRollout(m: Record<string, unknown>): Record<string, unknown> {
    const rest = { ...(m ?? {}) };
    delete rest["rollout"];
    return rest;
}

/**
 * The platform config the program would read, parsed with `models[i].rollout` left out (the render does not use it;
 * until the model schema has the key, the platform schema refuses it as unknown).
 */
export function parseWithoutRollout(config: Record<string, unknown>): PlatformConfig {
    const models = (Array.isArray(config["models"]) ? config["models"] : []) as Record<string, unknown>[];
    try {
        return parsePlatformConfig({ ...config, models: models.map(stripRollout) });
    } catch (err) {
        throw new InputError((err as Error).message);
    }
}

/** Runs (or resumes) the rollout of one model; never throws for an outcome: the report says what happened. */
export async function runRollout(opts: RolloutOptions, deps: RolloutDeps): Promise<RolloutReport> {
    const { ops, prometheus, clock, progress } = deps;
    const startedAt = clock.now().toISOString();
    const config = await ops.readConfig();
    const entry = modelEntry(config, opts.model);
    const canary = entry.raw["canary"] as Record<string, unknown> | undefined;
    const policy = entry.policy;
    const report: RolloutReport = {
        stack: ops.stack,
        model: opts.model,
        dryRun: opts.dryRun,
        prometheus: prometheus.url,
        policy,
        outcome: "nothing-to-do",
        exitCode: EXIT.promoted,
        startedAt,
        finishedAt: startedAt,
        startPercent: canary ? Number(canary["trafficPercent"]) : null,
        finalPercent: canary ? Number(canary["trafficPercent"]) : null,
        canaryVersion: entry.canaryVersion,
        stableVersion: entry.stableVersion,
        events: [],
        analyses: [],
    };
    const event = (action: RolloutEvent["action"], message: string, trafficPercent?: number) => {
        const e: RolloutEvent = { at: clock.now().toISOString(), action, message, ...(trafficPercent !== undefined ? { trafficPercent } : {}) };
        report.events.push(e);
        progress(`${e.at.slice(11, 19)}  ${action.padEnd(8)} ${trafficPercent !== undefined ? `${String(trafficPercent).padStart(3)}%  ` : "      "}${message}`);
    };
    const finish = (outcome: Outcome, code: number, percent: number | null) => {
        report.outcome = outcome;
        report.exitCode = code;
        report.finalPercent = percent;
        report.finishedAt = clock.now().toISOString();
        return report;
    };

    if (!canary) {
        event("start", `model ${opts.model} has no canary in stack ${ops.stack}: nothing to roll out`);
        return finish("nothing-to-do", EXIT.promoted, null);
    }
    let percent = Number(canary["trafficPercent"]);
    const steps = policy.steps;
    event("start", `model ${opts.model} (namespace ${entry.namespace}), canary version ${entry.canaryVersion} over stable ${entry.stableVersion}; steps ${steps.join(" → ")}, interval ${policy.interval}, min ${policy.minRequests} requests${opts.dryRun ? "; DRY RUN: analysis only, no update" : ""}`, percent);
    if (percent === 0) {
        if (!opts.dryRun) {
            // Re-apply it (no change unless a run was interrupted between the config change and the update).
            try {
                const r = await ops.update(await ops.targets(opts.model), `rollout ${opts.model}: roll back`);
                event("update", `targeted pulumi up: ${describeChanges(r.changes)}`, 0);
            } catch (err) {
                report.error = (err as Error).message;
                event("error", `${(err as Error).message}; rerun to apply the rollback`, 0);
                return finish("failed", EXIT.operational, 0);
            }
        }
        event("rollback", "the canary was rolled back (trafficPercent 0). Fix it, then set canary.trafficPercent to the first step to start again, or remove the canary", 0);
        return finish("rolled-back", EXIT.rolledBack, 0);
    }

    try {
        const targets = await ops.targets(opts.model);
        if (percent === 100) {
            if (opts.dryRun) {
                event("promote", "the canary is at 100 %: a real run tidies the config (stable := canary, canary removed)", 100);
                return finish("dry-run", EXIT.promoted, 100);
            }
            await promote(100);
            return finish("promoted", EXIT.promoted, null);
        }

        let holds = 0;
        for (;;) {
            let status: ModelStatus;
            if (opts.dryRun) {
                status = await ops.status(opts.model, targets);
            } else {
                const r = await ops.update(targets, `rollout ${opts.model}: canary at ${percent}%`);
                event("update", `targeted pulumi up (${targets.length} resources): ${describeChanges(r.changes)}`, percent);
                status = await waitReady();
            }
            const canaryRevision = status.latestReadyRevision ?? status.latestCreatedRevision;
            const stableRevision = status.previousRolledoutRevision;
            if (!canaryRevision || !stableRevision || canaryRevision === stableRevision) {
                throw new OperationalError(`cannot tell the canary revision from the stable one (latest ${canaryRevision ?? "none"}, previous rolled-out ${stableRevision ?? "none"}): KServe splits traffic only once a stable revision has rolled out`);
            }
            if (!opts.dryRun) {
                event("wait", `observing ${canaryRevision} (canary) and ${stableRevision} (stable) for ${policy.interval}`, percent);
                await clock.sleep(durationMs(policy.interval));
            }
            const analysis = await analyseStep(
                prometheus,
                { model: opts.model, namespace: entry.namespace, trafficPercent: percent, canaryRevision, stableRevision, canaryVersion: entry.canaryVersion!, stableVersion: entry.stableVersion, monitored: entry.monitored },
                policy,
                clock.now(),
            );
            report.analyses.push(analysis);
            for (const c of analysis.checks) {
                progress(`          ${statusMark(c.status)} ${c.name.padEnd(22)} ${fmt(c.value).padStart(9)} ${c.op} ${fmt(c.threshold)}${c.detail ? `  (${c.detail})` : ""}`);
            }
            event("analysis", `${analysis.decision}: ${analysis.reason}`, percent);

            if (opts.dryRun) {
                report.wouldDo = analysis.decision;
                return finish("dry-run", analysis.decision === "advance" ? EXIT.promoted : analysis.decision === "rollback" ? EXIT.rolledBack : EXIT.held, percent);
            }
            if (analysis.decision === "rollback") {
                await ops.setTrafficPercent(entry.index, 0);
                const r = await ops.update(targets, `rollout ${opts.model}: roll back`);
                event("rollback", `trafficPercent 0 (all traffic pinned to ${stableRevision}): ${describeChanges(r.changes)}`, 0);
                return finish("rolled-back", EXIT.rolledBack, 0);
            }
            if (analysis.decision === "hold") {
                holds++;
                if (holds > policy.maxHolds) {
                    event("hold", `held ${holds} times in a row (maxHolds ${policy.maxHolds}): stopping with the canary at ${percent}%; rerun to resume`, percent);
                    return finish("held", EXIT.held, percent);
                }
                event("hold", `hold ${holds}/${policy.maxHolds}: judging again after another ${policy.interval}`, percent);
                continue;
            }
            holds = 0;
            const next = steps.find((s) => s > percent) ?? 100;
            if (next === 100) {
                await promote(percent);
                return finish("promoted", EXIT.promoted, null);
            }
            await ops.setTrafficPercent(entry.index, next);
            event("advance", `${percent}% → ${next}%`, next);
            percent = next;
        }
    } catch (err) {
        if (err instanceof UsageError || err instanceof InputError) throw err;
        report.error = (err as Error).message;
        event("error", `${(err as Error).message}; the canary stays at ${percent}% (rerun to resume)`, percent);
        return finish("failed", EXIT.operational, percent);
    }

    async function waitReady(): Promise<ModelStatus> {
        const deadline = clock.now().getTime() + opts.readyTimeoutMs;
        for (;;) {
            const status = await ops.status(opts.model, await ops.targets(opts.model));
            if (isSettled(status, percent)) {
                event("ready", `InferenceService Ready; traffic ${status.traffic.map((t) => `${t.revisionName} ${t.percent}%${t.tag ? ` (${t.tag})` : ""}`).join(", ")}`, percent);
                return status;
            }
            if (clock.now().getTime() >= deadline) {
                const why = status.ready ? `the latest revision ${status.latestCreatedRevision ?? "?"} is not ready or does not get ${percent}% yet (traffic: ${status.traffic.map((t) => `${t.revisionName} ${t.percent}%`).join(", ") || "none"})` : status.message;
                throw new OperationalError(`InferenceService ${opts.model} not Ready after ${opts.readyTimeoutMs / 1000} s: ${why}`);
            }
            await clock.sleep(opts.readyPollMs ?? 10_000);
        }
    }

    async function promote(from: number): Promise<void> {
        const targets = await ops.targets(opts.model);
        if (from !== 100) {
            percent = 100;
            await ops.setTrafficPercent(entry.index, 100);
            const r = await ops.update(targets, `rollout ${opts.model}: promote`);
            event("promote", `${from}% → 100%: ${describeChanges(r.changes)}`, 100);
            await waitReady();
        }
        const current = (await ops.readConfig())["models"] as Record<string, unknown>[];
        const promoted = { ...(current[entry.index]["canary"] as Record<string, unknown>) };
        delete promoted["trafficPercent"];
        await ops.promoteInConfig(entry.index, promoted);
        const r = await ops.update(targets, `rollout ${opts.model}: tidy config after promotion`);
        event("tidy", `stable := canary (version ${entry.canaryVersion}), canary removed from the stack config; update: ${describeChanges(r.changes)}`);
    }
}

/**
 * Ready for analysis: the InferenceService is Ready, its newest revision is the ready one (not a stale Ready of the
 * previous generation), and that revision gets the configured share of traffic.
 */
export function isSettled(status: ModelStatus, percent: number): boolean {
    if (!status.ready || !status.latestCreatedRevision || status.latestReadyRevision !== status.latestCreatedRevision) return false;
    const latest = status.traffic.filter((t) => t.revisionName === status.latestCreatedRevision).reduce((sum, t) => sum + t.percent, 0);
    return latest === percent;
}

function describeChanges(changes: Record<string, number>): string {
    const parts = Object.entries(changes).filter(([k, n]) => k !== "same" && n > 0).map(([k, n]) => `${n} ${k}`);
    return parts.length > 0 ? parts.join(", ") : "no changes";
}

function statusMark(s: string): string {
    return s === "pass" ? "ok  " : s === "fail" ? "FAIL" : s === "hold" ? "hold" : "skip";
}

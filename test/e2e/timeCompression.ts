/**
 * Time compression of Prometheus alert rules for the real-Prometheus end-to-end test (test/prometheusE2e.test.ts).
 *
 * The rendered rules judge over minutes to days (`rate(...[10m])`, `for: 15m`, `[7d:5m]` subqueries); a test that
 * runs for a minute needs the same rules on a seconds scale. {@link compressRuleGroups} divides EVERY duration of a
 * rule group by one factor (60 in the test: a minute becomes a second), and nothing else:
 *
 * - in each rule's `expr`: range selectors `[10m]` → `[10s]`, subquery ranges and resolutions `[7d:5m]` →
 *   `[10080s:5s]` (`[1h:]` keeps its empty resolution), and `offset` durations; durations inside quoted strings
 *   (label matchers such as `=~"[45].."`) are never touched;
 * - each rule's `for:` (`10m` → `10s`) and a group's `interval:` when set.
 *
 * Metric names, label matchers, aggregations, `on (...)` / `by (...)` clauses, comparison operators, thresholds,
 * alert names, labels and annotations are returned byte for byte. Results are whole milliseconds, written in the
 * largest unit that is exact (`s` or `ms`), at least 1 ms for a non-zero duration.
 */

const unitMs: Record<string, number> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** A PromQL duration (`1h30m`, `7d`, `500ms`) in milliseconds. */
export function parseDuration(text: string): number {
    const parts = /^(?:\d+(?:ms|[smhdwy]))+$/.test(text) ? text.match(/\d+(?:ms|[smhdwy])/g)! : undefined;
    if (!parts) throw new Error(`not a Prometheus duration: "${text}"`);
    return parts.reduce((sum, p) => {
        const [, n, unit] = /^(\d+)(ms|[smhdwy])$/.exec(p)!;
        return sum + Number(n) * unitMs[unit];
    }, 0);
}

/** Milliseconds as a Prometheus duration: whole seconds as `Ns`, else `Nms`. */
export function formatDuration(ms: number): string {
    if (!Number.isInteger(ms) || ms < 0) throw new Error(`duration must be a whole number of ms, got ${ms}`);
    return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** One duration divided by `factor` (rounded to whole ms, at least 1 ms unless it was 0). */
export function compressDuration(text: string, factor: number): string {
    const ms = parseDuration(text);
    return formatDuration(ms === 0 ? 0 : Math.max(1, Math.round(ms / factor)));
}

const DUR = String.raw`(?:\d+(?:ms|[smhdwy]))+`;
/** `[range]`, `[range:]`, `[range:resolution]`, and `offset <dur>`: the only places a duration occurs in PromQL. */
const durationSite = new RegExp(String.raw`\[\s*(${DUR})\s*(?::\s*(${DUR})?\s*)?\]|\boffset\s+(-?)(${DUR})\b`, "g");

/** A PromQL expression with every range, subquery and offset duration divided by `factor`; strings untouched. */
export function compressExpr(expr: string, factor: number): string {
    let out = "";
    let code = "";
    const flush = () => {
        out += code.replace(durationSite, (_m, range: string | undefined, res: string | undefined, sign: string, offset: string | undefined) => {
            if (offset !== undefined) return `offset ${sign}${compressDuration(offset, factor)}`;
            const colon = _m.includes(":");
            return `[${compressDuration(range!, factor)}${colon ? `:${res === undefined ? "" : compressDuration(res, factor)}` : ""}]`;
        });
        code = "";
    };
    for (let i = 0; i < expr.length; i++) {
        const c = expr[i];
        if (c === '"' || c === "'" || c === "`") {
            flush();
            let j = i + 1;
            while (j < expr.length && expr[j] !== c) j += c !== "`" && expr[j] === "\\" ? 2 : 1;
            out += expr.slice(i, j + 1);
            i = j;
        } else {
            code += c;
        }
    }
    flush();
    return out;
}

export interface RuleGroup {
    name: string;
    interval?: string;
    rules: { alert?: string; record?: string; expr: string; for?: string; [key: string]: unknown }[];
    [key: string]: unknown;
}

/** Copies of the groups with every duration divided by `factor` (see the file header); nothing else changes. */
export function compressRuleGroups(groups: readonly RuleGroup[], factor: number): RuleGroup[] {
    return groups.map((g) => ({
        ...g,
        ...(g.interval !== undefined ? { interval: compressDuration(g.interval, factor) } : {}),
        rules: g.rules.map((r) => ({
            ...r,
            expr: compressExpr(r.expr, factor),
            ...(r.for !== undefined ? { for: compressDuration(r.for, factor) } : {}),
        })),
    }));
}

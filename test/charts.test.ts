/**
 * The Helm charts inferstack installs, checked against their own sources (vendored as test data under
 * test/upstream/charts, see SOURCES.md there) at the versions the program pins.
 *
 * `kubernetes.helm.sh/v4:Chart` renders a chart like `helm template --no-hooks`: every object carrying a
 * `helm.sh/hook` annotation is dropped, so nothing the platform needs may come from a hook. For every stack and
 * every chart resource this file checks, with the chart's values.yaml coalesced with the project's values the
 * way Helm does it (maps merge, `null` deletes a default key):
 *
 * - every value path the project sets exists in the chart (or its subchart), or is read by its templates;
 * - which hook templates are active (from a small evaluator of the templates' `if`/`with`/`range` guards),
 *   and that each active one is in the table of hooks the platform does not need;
 * - that every secret volume an active workload mounts (and does not mark optional) is created by an active,
 *   non-hook template: a Secret, or a cert-manager Certificate;
 * - that every active workload reads its container resources from values, and those have CPU and memory
 *   requests and limits (the policy pack requires them on every container; the charts default to `{}`).
 *
 * The evaluator knows a small subset of Go templates: field chains, variables, `and`, `or`, `not`, `eq`, `ne`,
 * `default`, `empty`, `hasKey`, `kindIs`, `dict`, `list`, `semverCompare`, parentheses, pipelines, `range`
 * (each element is tried), `include` of the chart's defines (walked with the caller's guards; where a guard
 * tests a helper's output, the helper is re-implemented in a table pinned to its source hash) and
 * `.Capabilities.APIVersions.Has` (from a table of the cluster's APIs). It throws on anything else, so a chart
 * bump that gates an object in a way it cannot follow fails here instead of being guessed.
 *
 * Every check fails on the values the charts ship with (see "checks catch what they exist to catch"); the
 * tables of exceptions below each give their reason.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { versions } from "../components/versions";
import { Render, RenderedResource, renderStack, repoRoot } from "../tools/renderStack";

const chartsDir = path.join(repoRoot, "test", "upstream", "charts");
const stacks = ["dev", "staging", "prod", "aks"] as const;
const chartType = "kubernetes:helm.sh/v4:Chart";

type Values = Record<string, unknown>;
const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------------------
// Vendored charts
// ---------------------------------------------------------------------------------------------------------

/** One row of SOURCES.md: where a vendored chart comes from and which packaged version it is. */
interface Source {
    dir: string;
    version: string;
    repo: string;
    tag: string;
    commit: string;
    path: string;
    licence: string;
    valuesSha256: string;
}

/** The machine-readable table of SOURCES.md (rows whose first cell is a backticked directory). */
function readSources(): Source[] {
    const text = readFileSync(path.join(chartsDir, "SOURCES.md"), "utf8");
    const rows: Source[] = [];
    for (const line of text.split("\n")) {
        const m = /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line);
        if (!m) continue;
        const cells = m[2].split("|").map((c) => c.trim().replace(/^`|`$/g, ""));
        const [version, repo, tag, commit, srcPath, licence, valuesSha256] = cells;
        rows.push({ dir: m[1], version, repo, tag, commit, path: srcPath, licence, valuesSha256 });
    }
    return rows;
}

/**
 * Release-time substitutions: the knative/operator release script (hack/generate-helm.sh at knative-v1.23.0)
 * fills `{{ version }}` in Chart.yaml and `{{ tag }}` in values.yaml before `helm package`; the vendored files
 * are the repository's, so the test applies the same substitution. cert-manager's release tooling only sets
 * Chart.yaml's version (make/manifests.mk), which the test reads from SOURCES.md instead.
 */
const releaseSubstitutions: Record<string, { file: string; from: string; to: string }[]> = {
    "knative-operator": [
        { file: "Chart.yaml", from: "{{ version }}", to: "1.23.0" },
        { file: "values.yaml", from: "{{ tag }}", to: "v1.23.0" },
    ],
};

/**
 * Files templates read that are deliberately not vendored (reason: CRD bodies, binary). Reading any other
 * missing file fails the test.
 */
const unvendoredFiles: Record<string, { pattern: string; reason: string }[]> = {
    "kube-prometheus-stack/charts/crds": [
        { pattern: "files/crds.bz2", reason: "compressed CRD bundle, read only by the CRD upgrade hook (upgradeJob, off)" },
        { pattern: "crds/*.yaml", reason: "CRD bodies (not vendored); listed only by the CRD upgrade hook's ClusterRole (upgradeJob, off)" },
    ],
};

interface Dependency {
    name: string;
    alias?: string;
    version: string;
    condition?: string;
}

interface Chart {
    /** Directory under test/upstream/charts. */
    dir: string;
    name: string;
    /** Packaged version (what the Chart resource's `version` asks for). */
    version: string;
    appVersion: string;
    defaults: Values;
    /** templates/** and files/**, by path relative to the chart. */
    files: Map<string, string>;
    dependencies: Dependency[];
    /** Vendored subcharts by dependency name (alias when set). */
    subcharts: Map<string, Chart>;
    /** The chart this one is vendored under, if a subchart. */
    parent?: Chart;
}

const rootOf = (c: Chart): Chart => (c.parent ? rootOf(c.parent) : c);

function listFiles(dir: string, base = dir): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((f) => {
        const full = path.join(dir, f);
        return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
    });
}

function readChartFile(dir: string, file: string): string {
    let text = readFileSync(path.join(chartsDir, dir, file), "utf8");
    for (const s of releaseSubstitutions[dir] ?? []) if (s.file === file) text = text.split(s.from).join(s.to);
    return text;
}

function loadChart(dir: string, sources: Source[]): Chart {
    const meta = yaml.load(readChartFile(dir, "Chart.yaml")) as { name: string; version: string; appVersion?: string; dependencies?: Dependency[] };
    const source = sources.find((s) => s.dir === dir);
    const files = new Map<string, string>();
    for (const sub of ["templates", "files"]) {
        for (const f of listFiles(path.join(chartsDir, dir, sub))) files.set(`${sub}/${f}`, readFileSync(path.join(chartsDir, dir, sub, f), "utf8"));
    }
    const chart: Chart = {
        dir,
        name: meta.name,
        version: source?.version ?? meta.version,
        appVersion: String(meta.appVersion ?? source?.version ?? meta.version),
        defaults: (yaml.load(readChartFile(dir, "values.yaml")) ?? {}) as Values,
        files,
        dependencies: meta.dependencies ?? [],
        subcharts: new Map(),
    };
    for (const dep of chart.dependencies) {
        const subDir = `${dir}/charts/${dep.name}`;
        if (existsSync(path.join(chartsDir, subDir, "Chart.yaml"))) chart.subcharts.set(dep.alias ?? dep.name, { ...loadChart(subDir, sources), parent: chart });
    }
    return chart;
}

// ---------------------------------------------------------------------------------------------------------
// Helm values: coalesce the user's values onto a chart's defaults
// ---------------------------------------------------------------------------------------------------------

/**
 * Helm's coalescing: maps merge key by key, anything else in the user's values replaces the default, and a
 * user `null` deletes the default key (so `{}` does NOT clear a default map: its keys survive the merge).
 */
function coalesce(user: unknown, defaults: unknown): unknown {
    if (user === undefined) return structuredClone(defaults);
    if (!isMap(user) || !isMap(defaults)) return structuredClone(user);
    const out: Values = {};
    for (const [k, d] of Object.entries(defaults)) {
        if (!(k in user)) out[k] = structuredClone(d);
        else if (user[k] !== null) out[k] = coalesce(user[k], d);
    }
    for (const [k, u] of Object.entries(user)) if (!(k in defaults) && u !== null && u !== undefined) out[k] = structuredClone(u);
    return out;
}

/** A chart with its merged values, and its subcharts' (parent values under the subchart's key, globals copied). */
interface Release {
    chart: Chart;
    values: Values;
    name: string;
    namespace: string;
    /** Subcharts whose dependency condition holds. */
    subcharts: Release[];
    /** Dependencies whose condition holds but which are not vendored (fails the test). */
    missing: string[];
}

function release(chart: Chart, user: Values, name: string, namespace: string): Release {
    const values = coalesce(user, chart.defaults) as Values;
    const subcharts: Release[] = [];
    const missing: string[] = [];
    for (const dep of chart.dependencies) {
        const key = dep.alias ?? dep.name;
        const enabled = conditionHolds(values, dep.condition);
        if (!enabled) continue;
        const sub = chart.subcharts.get(key);
        if (!sub) {
            missing.push(`${key} ${dep.version}`);
            continue;
        }
        const subUser = { ...((values[key] as Values | undefined) ?? {}), global: coalesce(values["global"] ?? {}, sub.defaults["global"] ?? {}) };
        subcharts.push(release(sub, subUser, name, namespace));
    }
    return { chart, values, name, namespace, subcharts, missing };
}

/** A dependency's `condition`: the first of its comma-separated paths that holds a boolean decides (else enabled). */
function conditionHolds(values: Values, condition: string | undefined): boolean {
    for (const c of (condition ?? "").split(",").map((x) => x.trim()).filter(Boolean)) {
        const v = getPath(values, c.split("."));
        if (typeof v === "boolean") return v;
    }
    return true;
}

function allReleases(r: Release): Release[] {
    return [r, ...r.subcharts.flatMap(allReleases)];
}

function getPath(v: unknown, p: string[]): unknown {
    let cur = v;
    for (const k of p) {
        if (!isMap(cur)) return undefined;
        cur = cur[k];
    }
    return cur;
}

/** Go template truthiness: false, 0, nil and empty strings, maps and lists are false. */
function truthy(v: unknown): boolean {
    if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
    if (Array.isArray(v)) return v.length > 0;
    if (isMap(v)) return Object.keys(v).length > 0;
    return true;
}

// ---------------------------------------------------------------------------------------------------------
// Go template actions: lexer, parser, evaluator (a subset, failing loudly outside it)
// ---------------------------------------------------------------------------------------------------------

class TemplateError extends Error {}

interface Action {
    start: number;
    end: number;
    body: string;
}

/** The `{{ ... }}` actions of a template (comments dropped), respecting quoted strings inside actions. */
function scanActions(text: string): Action[] {
    const out: Action[] = [];
    let i = 0;
    while ((i = text.indexOf("{{", i)) !== -1) {
        let j = i + 2;
        let quote: string | undefined;
        for (; j < text.length; j++) {
            const c = text[j];
            if (quote) {
                if (c === "\\" && quote === '"') j++;
                else if (c === quote) quote = undefined;
            } else if (c === '"' || c === "`") quote = c;
            else if (c === "}" && text[j + 1] === "}") break;
        }
        if (j >= text.length) throw new TemplateError(`unterminated action at ${i}`);
        let body = text.slice(i + 2, j).trim();
        if (body.startsWith("-")) body = body.slice(1).trim();
        if (body.endsWith("-") && /\s-$/.test(` ${body}`)) body = body.slice(0, -1).trim();
        if (!body.startsWith("/*")) out.push({ start: i, end: j + 2, body });
        i = j + 2;
    }
    return out;
}

type Token =
    | { t: "(" | ")" | "|" | "," | ":=" | "=" }
    | { t: "str"; v: string }
    | { t: "num"; v: number }
    | { t: "field"; v: string[]; afterParen: boolean } // .a.b ("." alone: []); afterParen: `(x).a.b`
    | { t: "var"; v: string; fields: string[] } // $x.a.b ("$" alone: name "")
    | { t: "id"; v: string };

function lex(src: string): Token[] {
    const out: Token[] = [];
    let i = 0;
    const ident = /[A-Za-z0-9_]/;
    while (i < src.length) {
        const c = src[i];
        if (/\s/.test(c)) i++;
        else if (c === "(" || c === ")" || c === "|" || c === ",") {
            out.push({ t: c });
            i++;
        } else if (c === ":" && src[i + 1] === "=") {
            out.push({ t: ":=" });
            i += 2;
        } else if (c === "=") {
            out.push({ t: "=" });
            i++;
        } else if (c === '"') {
            let j = i + 1;
            let s = "";
            for (; j < src.length && src[j] !== '"'; j++) {
                if (src[j] === "\\") {
                    j++;
                    s += src[j] === "n" ? "\n" : src[j];
                } else s += src[j];
            }
            out.push({ t: "str", v: s });
            i = j + 1;
        } else if (c === "`") {
            const j = src.indexOf("`", i + 1);
            out.push({ t: "str", v: src.slice(i + 1, j) });
            i = j + 1;
        } else if (/[0-9-]/.test(c) && /[0-9]/.test(src[i + (c === "-" ? 1 : 0)] ?? "")) {
            const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
            out.push({ t: "num", v: Number(m[0]) });
            i += m[0].length;
        } else if (c === "." || c === "$") {
            const m = /^(\$[A-Za-z0-9_]*)?((\.[A-Za-z0-9_]+)*)(\.)?/.exec(src.slice(i))!;
            const fields = m[2] ? m[2].slice(1).split(".") : [];
            if (m[1] !== undefined) out.push({ t: "var", v: m[1].slice(1), fields });
            else out.push({ t: "field", v: fields, afterParen: src[i - 1] === ")" });
            i += m[0].length || 1;
        } else if (ident.test(c)) {
            const m = /^[A-Za-z0-9_]+/.exec(src.slice(i))!;
            out.push({ t: "id", v: m[0] });
            i += m[0].length;
        } else throw new TemplateError(`cannot lex ${JSON.stringify(src)} at ${JSON.stringify(src.slice(i))}`);
    }
    return out;
}

type Node =
    | { n: "lit"; v: unknown }
    | { n: "field"; base: "dot" | Node; path: string[] } // base "dot": relative to dot; Node: (expr).a.b
    | { n: "var"; name: string; path: string[] }
    | { n: "call"; fn: string; args: Node[] }
    | { n: "pipe"; cmds: Node[][] }; // each command: [fn-or-value, ...args]

interface Pipeline {
    decl?: { names: string[]; op: ":=" | "=" };
    node: Node;
}

function parsePipeline(src: string): Pipeline {
    const toks = lex(src);
    let pos = 0;
    let decl: Pipeline["decl"];
    // `$a := ...`, `$k, $v := ...`
    const declEnd = toks.findIndex((t) => t.t === ":=" || t.t === "=");
    if (declEnd > 0 && toks.slice(0, declEnd).every((t) => t.t === "var" || t.t === ",")) {
        decl = { names: toks.slice(0, declEnd).flatMap((t) => (t.t === "var" ? [t.v] : [])), op: toks[declEnd].t as ":=" | "=" };
        pos = declEnd + 1;
    }
    const parsePipe = (): Node => {
        const cmds: Node[][] = [];
        let cmd: Node[] = [];
        while (pos < toks.length) {
            const tok = toks[pos];
            if (tok.t === ")") break;
            if (tok.t === "|") {
                cmds.push(cmd);
                cmd = [];
                pos++;
                continue;
            }
            cmd.push(parseOperand());
        }
        cmds.push(cmd);
        if (cmds.some((c) => c.length === 0)) throw new TemplateError(`empty command in ${JSON.stringify(src)}`);
        return cmds.length === 1 && cmds[0].length === 1 ? cmds[0][0] : { n: "pipe", cmds };
    };
    const parseOperand = (): Node => {
        const tok = toks[pos++];
        let node: Node;
        if (tok.t === "(") {
            node = parsePipe();
            if (toks[pos]?.t !== ")") throw new TemplateError(`unbalanced parentheses in ${JSON.stringify(src)}`);
            pos++;
            // (expr).a.b
            const next = toks[pos];
            if (next?.t === "field" && next.afterParen) {
                pos++;
                node = { n: "field", base: node, path: next.v };
            }
        } else if (tok.t === "str") node = { n: "lit", v: tok.v };
        else if (tok.t === "num") node = { n: "lit", v: tok.v };
        else if (tok.t === "field") node = { n: "field", base: "dot", path: tok.v };
        else if (tok.t === "var") node = { n: "var", name: tok.v, path: tok.fields };
        else if (tok.t === "id") {
            if (tok.v === "true" || tok.v === "false") node = { n: "lit", v: tok.v === "true" };
            else if (tok.v === "nil") node = { n: "lit", v: null };
            else node = { n: "call", fn: tok.v, args: [] };
        } else throw new TemplateError(`unexpected ${tok.t} in ${JSON.stringify(src)}`);
        return node;
    };
    const node = parsePipe();
    if (pos !== toks.length) throw new TemplateError(`cannot parse ${JSON.stringify(src)}`);
    return { decl, node };
}

/** Every absolute field path an expression reads, resolved against a symbolic dot (undefined: unknown). */
function fieldPaths(node: Node, dot: string[] | undefined, root: string[] | undefined, out: string[][] = []): string[][] {
    switch (node.n) {
        case "field":
            if (node.base === "dot") {
                if (dot) out.push([...dot, ...node.path]);
            } else fieldPaths(node.base, dot, root, out);
            break;
        case "var":
            if (node.name === "" && root) out.push([...root, ...node.path]);
            break;
        case "call":
            node.args.forEach((a) => fieldPaths(a, dot, root, out));
            break;
        case "pipe":
            node.cmds.flat().forEach((a) => fieldPaths(a, dot, root, out));
            break;
    }
    return out;
}

/** Field paths an expression renders whole: the argument of `toYaml`/`toJson`, directly or piped. */
function wholePaths(node: Node, dot: string[] | undefined, root: string[] | undefined, out: string[][] = []): string[][] {
    const whole = new Set(["toYaml", "toJson", "toPrettyJson", "toRawJson"]);
    const visit = (n: Node): void => {
        if (n.n === "pipe") {
            n.cmds.forEach((cmd, i) => {
                const [h, ...r] = cmd;
                if (h.n === "call" && whole.has(h.fn)) r.forEach((a) => out.push(...[symbolicPath(a, dot, root)].filter((x): x is string[] => !!x)));
                const next = n.cmds[i + 1];
                if (cmd.length === 1 && next?.[0].n === "call" && whole.has(next[0].fn)) {
                    const sp = symbolicPath(h, dot, root);
                    if (sp) out.push(sp);
                }
                cmd.forEach(visit);
            });
        } else if (n.n === "field" && n.base !== "dot") visit(n.base);
    };
    visit(node);
    return out;
}

/** The symbolic value path of a single field-chain expression (for `with`), if it is one. */
function symbolicPath(node: Node, dot: string[] | undefined, root: string[] | undefined): string[] | undefined {
    if (node.n === "field" && node.base === "dot") return dot ? [...dot, ...node.path] : undefined;
    if (node.n === "var" && node.name === "") return root ? [...root, ...node.path] : undefined;
    return undefined;
}

/** A step of the path from a template's top to one point in it; evaluated in order with the merged values. */
type Step =
    | { s: "cond"; expr: Node; want: boolean; text: string; reads: string[][] }
    | { s: "with"; expr: Node; text: string; reads: string[][] }
    | { s: "range"; expr: Node; vars: string[]; text: string; reads: string[][] }
    | { s: "call"; arg: Node; define: string }
    | { s: "let"; names: string[]; expr: Node; text: string };

const UNKNOWN = Symbol("unknown");

/** Evaluation context: dot, `$`, and variables (lazy). */
interface Ctx {
    dot: unknown;
    dollar: unknown;
    vars: Map<string, () => unknown>;
}

/** What a chart's helpers return, where a guard calls one (`include "x" .`): each checked against its source hash. */
interface HelperResult {
    sha256: string;
    reason: string;
    result: (values: Values) => string;
}

interface EvalEnv {
    release: Release;
    helpers: Record<string, HelperResult>;
}

/** API versions `.Capabilities.APIVersions.Has` sees (the provider asks the live cluster: Kubernetes 1.30+). */
const clusterApiVersions: Record<string, { has: boolean; reason: string }> = {
    "policy/v1beta1/PodSecurityPolicy": { has: false, reason: "PodSecurityPolicy was removed in Kubernetes 1.25" },
    "autoscaling/v2": { has: true, reason: "GA since Kubernetes 1.23" },
    "autoscaling.k8s.io/v1": { has: false, reason: "no VerticalPodAutoscaler in the supported clusters (and every VPA template is also gated by a value that is off)" },
    "autoscaling.k8s.io/v1/VerticalPodAutoscaler": { has: false, reason: "as autoscaling.k8s.io/v1" },
};

/** Helm's semverCompare for one constraint (`>=1.14.0-0`, `<9.9.9-9`, ...); throws on anything richer. */
function semverCompare(constraint: string, version: string): boolean {
    const m = /^\s*(>=|<=|>|<|=|!=)?\s*v?(\d+)\.(\d+)\.(\d+)(-\S+)?\s*$/.exec(constraint);
    const v = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
    if (!m || !v) throw new TemplateError(`cannot evaluate semverCompare ${JSON.stringify(constraint)} ${JSON.stringify(version)}`);
    const a = [Number(v[1]), Number(v[2]), Number(v[3])];
    const b = [Number(m[2]), Number(m[3]), Number(m[4])];
    let cmp = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
    // A release is above the constraint's pre-release of the same version (">=1.14.0-0" admits 1.14.0).
    if (cmp === 0 && m[5]) cmp = 1;
    switch (m[1] ?? "=") {
        case ">=":
            return cmp >= 0;
        case "<=":
            return cmp <= 0;
        case ">":
            return cmp > 0;
        case "<":
            return cmp < 0;
        case "!=":
            return cmp !== 0;
        default:
            return cmp === 0;
    }
}

class Evaluator {
    constructor(private readonly env: EvalEnv) {}

    root(): Values {
        const r = this.env.release;
        return {
            Values: r.values,
            Release: { Name: r.name, Namespace: r.namespace, IsInstall: true, IsUpgrade: false, Service: "Helm" },
            Chart: { Name: r.chart.name, Version: r.chart.version, AppVersion: r.chart.appVersion },
            Capabilities: { KubeVersion: { Version: "v1.35.0", GitVersion: "v1.35.0", Major: "1", Minor: "35" } },
        };
    }

    /** True when every step holds (throws on what it cannot evaluate). `skip` drops steps (e.g. a resources test). */
    holds(steps: Step[], skip: (step: Step) => boolean = () => false): boolean {
        return this.contexts(steps, skip).length > 0;
    }

    /** The value of an expression at the end of some steps (undefined when the steps do not hold). */
    valueAt(steps: Step[], expr: Node): unknown {
        const ctx = this.contexts(steps)[0];
        return ctx ? this.eval(expr, ctx) : undefined;
    }

    /** The contexts in which every step holds: one per combination of `range` elements reaching the end. */
    private contexts(steps: Step[], skip: (step: Step) => boolean = () => false): Ctx[] {
        const root = this.root();
        let ctxs: Ctx[] = [{ dot: root, dollar: root, vars: new Map() }];
        for (const step of steps) {
            try {
                ctxs = ctxs.flatMap((ctx) => this.step(step, ctx, skip)).slice(0, 256);
            } catch (err) {
                const at = "text" in step ? step.text : `include "${step.define}"`;
                throw new TemplateError(`${this.env.release.chart.dir}: {{ ${at} }}: ${(err as Error).message}`);
            }
            if (ctxs.length === 0) break;
        }
        return ctxs;
    }

    private step(step: Step, ctx: Ctx, skip: (step: Step) => boolean): Ctx[] {
        const withVars = (names: string[], values: unknown[]): Map<string, () => unknown> => {
            const vars = new Map(ctx.vars);
            names.forEach((n, i) => vars.set(n, () => values[i]));
            return vars;
        };
        switch (step.s) {
            case "cond":
                if (!skip(step) && truthy(this.eval(step.expr, ctx)) !== step.want) return [];
                return [ctx];
            case "with": {
                if (skip(step)) return [{ ...ctx, dot: UNKNOWN }];
                const v = this.eval(step.expr, ctx);
                return truthy(v) ? [{ ...ctx, dot: v }] : [];
            }
            case "range": {
                if (skip(step)) return [{ ...ctx, dot: UNKNOWN, vars: withVars(step.vars, step.vars.map(() => UNKNOWN)) }];
                const v = this.eval(step.expr, ctx);
                if (!truthy(v)) return [];
                const entries: [unknown, unknown][] = Array.isArray(v) ? v.map((e, i) => [i, e]) : isMap(v) ? Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)) : [[UNKNOWN, UNKNOWN]];
                // `range $v := x` binds the element; `range $k, $v := x` binds key and element.
                return entries.map(([k, e]) => ({ ...ctx, dot: e, vars: withVars(step.vars, step.vars.length === 2 ? [k, e] : [e]) }));
            }
            case "call": {
                let v: unknown;
                try {
                    v = this.eval(step.arg, ctx);
                } catch {
                    v = UNKNOWN; // e.g. a computed argument: fine until something inside reads it
                }
                return [{ dot: v, dollar: v, vars: new Map() }];
            }
            case "let": {
                // Lazy: most variables are never read by a guard. `=` (reassignment) is treated like `:=`.
                const at = ctx;
                const expr = step.expr;
                let memo: { v: unknown } | undefined;
                const thunk = (): unknown => (memo ??= { v: step.names.length === 1 ? this.eval(expr, at) : UNKNOWN }).v;
                const vars = new Map(ctx.vars);
                for (const n of step.names) vars.set(n, thunk);
                return [{ ...ctx, vars }];
            }
        }
    }

    eval(node: Node, ctx: Ctx, piped?: unknown[]): unknown {
        const known = (v: unknown, what: string): unknown => {
            if (v === UNKNOWN) throw new TemplateError(`cannot evaluate ${what}: value unknown here (inside a range or an include with a computed argument)`);
            return v;
        };
        const access = (base: unknown, p: string[], what: string): unknown => {
            let cur = known(base, what);
            for (const k of p) {
                if (cur === undefined || cur === null) return undefined;
                if (!isMap(cur)) throw new TemplateError(`cannot evaluate ${what}: .${k} of a non-map`);
                cur = cur[k];
            }
            return cur;
        };
        switch (node.n) {
            case "lit":
                return node.v;
            case "field": {
                const base = node.base === "dot" ? ctx.dot : this.eval(node.base, ctx);
                const what = `.${node.path.join(".")}`;
                if (node.base === "dot" && node.path[0] === "Files") throw new TemplateError(`cannot evaluate ${what}`);
                return access(base, node.path, what);
            }
            case "var": {
                const base = node.name === "" ? ctx.dollar : (ctx.vars.get(node.name) ?? (() => UNKNOWN))();
                return access(base, node.path, `$${node.name}.${node.path.join(".")}`);
            }
            case "pipe": {
                let acc: unknown[] | undefined;
                for (const cmd of node.cmds) acc = [this.command(cmd, ctx, acc)];
                return acc![0];
            }
            case "call":
                return this.command([node], ctx, piped);
        }
    }

    private command(cmd: Node[], ctx: Ctx, piped?: unknown[]): unknown {
        const [head, ...rest] = cmd;
        // .Capabilities.APIVersions.Has "group/version": a method call on the cluster's API versions.
        if (head.n === "field" && head.base === "dot" && head.path.join(".") === "Capabilities.APIVersions.Has" && rest.length === 1 && !piped) {
            const api = String(this.eval(rest[0], ctx));
            const known = clusterApiVersions[api];
            if (!known) throw new TemplateError(`cannot evaluate .Capabilities.APIVersions.Has ${JSON.stringify(api)} (add it to clusterApiVersions with a reason)`);
            return known.has;
        }
        if (head.n !== "call") {
            if (rest.length > 0 || piped) throw new TemplateError("a value cannot take arguments");
            return this.eval(head, ctx);
        }
        const fn = head.fn;
        const argNodes = rest;
        const args = (): unknown[] => [...argNodes.map((a) => this.eval(a, ctx)), ...(piped ?? [])];
        switch (fn) {
            case "and": {
                let last: unknown = true;
                for (const a of argNodes) {
                    last = this.eval(a, ctx);
                    if (!truthy(last)) return last;
                }
                for (const p of piped ?? []) {
                    last = p;
                    if (!truthy(last)) return last;
                }
                return last;
            }
            case "or": {
                let last: unknown = false;
                for (const a of argNodes) {
                    last = this.eval(a, ctx);
                    if (truthy(last)) return last;
                }
                for (const p of piped ?? []) {
                    last = p;
                    if (truthy(last)) return last;
                }
                return last;
            }
            case "not":
                return !truthy(args()[0]);
            case "eq": {
                const [a, ...bs] = args();
                return bs.some((b) => (a ?? null) === (b ?? null) || (a === undefined && b === "") || (b === undefined && a === ""));
            }
            case "ne": {
                const [a, b] = args();
                return (a ?? null) !== (b ?? null);
            }
            case "empty":
                return !truthy(args()[0]);
            case "default": {
                const [d, v] = args();
                return truthy(v) ? v : d;
            }
            case "hasKey": {
                const [m, k] = args();
                return isMap(m) && (k as string) in m;
            }
            case "kindIs": {
                const [kind, v] = args();
                const actual = v === undefined || v === null ? "invalid" : typeof v === "boolean" ? "bool" : typeof v === "string" ? "string" : Array.isArray(v) ? "slice" : isMap(v) ? "map" : Number.isInteger(v) ? "int" : "float64";
                return actual === kind;
            }
            case "semverCompare": {
                const [constraint, version] = args();
                return semverCompare(String(constraint), String(version));
            }
            case "dict": {
                const a = args();
                const m: Values = {};
                for (let i = 0; i + 1 < a.length; i += 2) m[String(a[i])] = a[i + 1];
                return m;
            }
            case "list":
                return args();
            case "include":
            case "template": {
                const [nameNode, argNode] = argNodes;
                if (nameNode?.n !== "lit" || !argNode) throw new TemplateError(`cannot evaluate ${fn} with a computed name`);
                const name = String(nameNode.v);
                const arg = this.eval(argNode, ctx);
                if (arg !== this.root() && !(isMap(arg) && arg["Values"] === this.env.release.values)) throw new TemplateError(`cannot evaluate include "${name}" with a non-root argument`);
                const helper = this.env.helpers[`${this.env.release.chart.dir}:${name}`];
                if (!helper) throw new TemplateError(`cannot evaluate include "${name}" (add it to the helper table with its logic and reason)`);
                return helper.result(this.env.release.values);
            }
            default:
                throw new TemplateError(`unsupported function ${fn}`);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Walking a chart: documents, kinds, hook markers, value references, secret volumes
// ---------------------------------------------------------------------------------------------------------

/** A point of interest in a template, with the steps that lead to it. */
interface Site {
    steps: Step[];
    /** The document (within the top-level source) it belongs to. */
    doc: number;
}

interface Ref extends Site {
    /** Absolute value path (after `Values`). */
    path: string[];
    /** Rendered whole (`toYaml`, `toJson`): the keys under it are free-form. */
    whole?: boolean;
}

interface HookMarker extends Site {
    /** `literal`: the template writes the annotation; `values`: a values key whose default holds one. */
    via: "literal" | "values";
    valuesPath?: string[];
    /** The hook annotation's value expression (literal text or the values path). */
    text: string;
}

interface Line extends Site {
    text: string;
    indent: number;
}

interface Doc {
    source: string;
    index: number;
    kinds: Line[];
    hooks: HookMarker[];
    refs: Ref[];
    lines: Line[];
}

interface TemplateSource {
    /** Path of the template or file within the chart. */
    path: string;
    text: string;
    /** Plain files (read with .Files.Get, not through tpl) carry no actions. */
    templated: boolean;
    baseSteps: Step[];
}

interface Define {
    name: string;
    file: string;
    body: string;
}

/** The defines of a chart and its vendored subcharts (Helm loads them into one template set). */
function definesOf(chart: Chart): Map<string, Define> {
    const defs = new Map<string, Define>();
    for (const sub of chart.subcharts.values()) for (const [k, v] of definesOf(sub)) defs.set(k, v);
    for (const [file, text] of chart.files) {
        if (!file.startsWith("templates/")) continue;
        const actions = scanActions(text);
        let depth = 0;
        let current: { name: string; start: number } | undefined;
        for (const a of actions) {
            const kw = /^(if|with|range|block|define|end)\b/.exec(a.body)?.[1];
            if (kw === "define" && depth === 0) {
                current = { name: JSON.parse(/^define\s+("[^"]+")/.exec(a.body)![1]) as string, start: a.end };
                depth = 1;
            } else if (kw && kw !== "end") depth++;
            else if (kw === "end") {
                depth--;
                if (depth === 0 && current) {
                    defs.set(current.name, { name: current.name, file, body: text.slice(current.start, a.start) });
                    current = undefined;
                }
            }
        }
    }
    return defs;
}

const hookLiteral = /["']?helm\.sh\/hook["']?\s*:/;

/** Paths of values (in a chart's defaults) whose value is a map holding a `helm.sh/hook` key. */
function hookValuePaths(v: unknown, p: string[] = [], out: string[][] = []): string[][] {
    if (!isMap(v)) return out;
    if ("helm.sh/hook" in v) out.push(p);
    for (const [k, sub] of Object.entries(v)) hookValuePaths(sub, [...p, k], out);
    return out;
}

interface WalkResult {
    docs: Doc[];
    /** Files the templates read (plain or through tpl). */
    included: TemplateSource[];
}

/**
 * Walks one source: the block structure of its actions (if/else/with/range/define), following `include` and
 * `template` into the chart's defines, and recording kinds, hook markers, value references and YAML lines.
 */
function walk(chart: Chart, defines: Map<string, Define>, src: TemplateSource, hookPaths: string[][]): WalkResult {
    const docs: Doc[] = [{ source: src.path, index: 0, kinds: [], hooks: [], refs: [], lines: [] }];
    const included: TemplateSource[] = [];
    interface Frame {
        entry: Step[];
        lets: Step[];
        kind: "if" | "with" | "range" | "define" | "root";
        conds: { expr: Node; text: string; reads: string[][] }[];
        dot: string[] | undefined;
        root: string[] | undefined;
        outerDot: string[] | undefined;
    }
    const visit = (text: string, templated: boolean, initial: Step[], dot0: string[] | undefined, root0: string[] | undefined, topLevel: boolean, calls: string[]): void => {
        if (calls.length > 25) throw new TemplateError(`${chart.dir}/${src.path}: includes nested too deep (${calls.join(" > ")})`);
        const frames: Frame[] = [{ entry: initial, lets: [], kind: "root", conds: [], dot: dot0, root: root0, outerDot: dot0 }];
        const steps = (): Step[] => frames.flatMap((f) => [...f.entry, ...f.lets]);
        const top = (): Frame => frames[frames.length - 1];
        const doc = (): Doc => docs[docs.length - 1];
        const actions = templated ? scanActions(text) : [];
        let skipDefine = 0;
        let pos = 0;
        const textSegment = (seg: string, segStart: number): void => {
            if (skipDefine) return;
            // Lines: a line starts in this segment when preceded by a newline (or the source's start).
            let lineStart = segStart === 0 ? 0 : -1;
            for (let k = 0; k <= seg.length; k++) {
                if (k === seg.length || seg[k] === "\n") {
                    if (lineStart >= 0) {
                        // The full line of the source, for YAML-level matching.
                        const absStart = segStart + lineStart;
                        const nl = text.indexOf("\n", absStart);
                        const full = text.slice(absStart, nl === -1 ? text.length : nl);
                        if (topLevel && /^---\s*$/.test(full)) docs.push({ source: src.path, index: docs.length, kinds: [], hooks: [], refs: [], lines: [] });
                        else {
                            const line: Line = { steps: steps(), doc: doc().index, text: full, indent: /^ */.exec(full)![0].length };
                            doc().lines.push(line);
                            if (/^kind:\s*\S/.test(full)) doc().kinds.push(line);
                            if (hookLiteral.test(full) && !/^\s*#/.test(full)) doc().hooks.push({ steps: steps(), doc: doc().index, via: "literal", text: full.trim() });
                        }
                    }
                    lineStart = k + 1;
                }
            }
        };
        for (const a of actions) {
            textSegment(text.slice(pos, a.start), pos);
            pos = a.end;
            const kw = /^(if|else|with|range|block|define|end|template|include)\b/.exec(a.body)?.[1];
            if (skipDefine) {
                if (kw === "define" || kw === "if" || kw === "with" || kw === "range" || kw === "block") skipDefine++;
                else if (kw === "end") skipDefine--;
                continue;
            }
            if (kw === "define") {
                skipDefine = 1;
                continue;
            }
            const f = top();
            const parse = (s: string): Pipeline => {
                try {
                    return parsePipeline(s);
                } catch (err) {
                    throw new TemplateError(`${chart.dir}/${src.path}: ${(err as Error).message}`);
                }
            };
            const record = (p: Pipeline): void => {
                const whole = new Set(wholePaths(p.node, f.dot, f.root).map((w) => w.join(".")));
                for (const fp of fieldPaths(p.node, f.dot, f.root)) {
                    if (fp[0] !== "Values") continue;
                    doc().refs.push({ steps: steps(), doc: doc().index, path: fp.slice(1), whole: whole.has(fp.join(".")) });
                    for (const hp of hookPaths) {
                        if (fp.length - 1 === hp.length && hp.every((k, i) => fp[i + 1] === k)) {
                            doc().hooks.push({ steps: steps(), doc: doc().index, via: "values", valuesPath: hp, text: `.Values.${hp.join(".")}` });
                        }
                    }
                }
                // include/template: walk the define's body with the current steps and the argument as dot.
                const found: { name: string; arg: Node }[] = [];
                const findCalls = (n: Node): void => {
                    if (n.n === "call") {
                        if ((n.fn === "include" || n.fn === "template") && n.args[0]?.n === "lit" && n.args[1]) found.push({ name: String(n.args[0].v), arg: n.args[1] });
                        n.args.forEach(findCalls);
                    } else if (n.n === "pipe") {
                        for (const cmd of n.cmds) {
                            const [h, ...r] = cmd;
                            if (h.n === "call" && (h.fn === "include" || h.fn === "template") && r[0]?.n === "lit" && r[1]) found.push({ name: String(r[0].v), arg: r[1] });
                            cmd.forEach(findCalls);
                        }
                    } else if (n.n === "field" && n.base !== "dot") findCalls(n.base);
                };
                findCalls(p.node);
                for (const c of found) {
                    const def = defines.get(c.name);
                    if (!def) throw new TemplateError(`${chart.dir}/${src.path}: include of undefined "${c.name}"`);
                    // A helper that includes itself (e.g. a recursive deep merge) is walked once.
                    if (calls.includes(c.name)) continue;
                    const argPath = symbolicPath(c.arg, f.dot, f.root);
                    const isRoot = argPath !== undefined && argPath.length === 0;
                    visit(def.body, true, [...steps(), { s: "call", arg: c.arg, define: c.name }], isRoot ? [] : undefined, isRoot ? [] : undefined, false, [...calls, c.name]);
                }
                // Files read by the template: plain (.Files.Get, dict "baseFile") or templated (tpl, dict "patchFile"/"patchGlob").
                const fileRe = /("baseFile"|"patchFile"|"patchGlob"|tpl\s*\(\s*\.Files\.Get|\.Files\.Get|\.Files\.Glob)\s*"([^"]+)"/g;
                for (const m of a.body.matchAll(fileRe)) {
                    const templatedFile = m[1] === '"patchFile"' || m[1] === '"patchGlob"' || m[1].startsWith("tpl");
                    const re = new RegExp(`^${m[2].replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
                    const matches = [...chart.files.keys()].filter((k) => re.test(k));
                    if (matches.length === 0) {
                        if ((unvendoredFiles[chart.dir] ?? []).some((u) => u.pattern === m[2])) continue;
                        throw new TemplateError(`${chart.dir}/${src.path} reads ${m[2]}, which is not vendored`);
                    }
                    for (const file of matches) included.push({ path: file, text: chart.files.get(file)!, templated: templatedFile, baseSteps: steps() });
                }
            };
            switch (kw) {
                case "if": {
                    const p = parse(a.body.slice(2));
                    record(p);
                    const reads = fieldPaths(p.node, f.dot, f.root);
                    frames.push({ entry: [{ s: "cond", expr: p.node, want: true, text: a.body, reads }], lets: [], kind: "if", conds: [{ expr: p.node, text: a.body, reads }], dot: f.dot, root: f.root, outerDot: f.dot });
                    break;
                }
                case "with": {
                    const p = parse(a.body.slice(4));
                    record(p);
                    const sp = symbolicPath(p.node, f.dot, f.root);
                    const reads = fieldPaths(p.node, f.dot, f.root);
                    frames.push({ entry: [{ s: "with", expr: p.node, text: a.body, reads }], lets: [], kind: "with", conds: [{ expr: p.node, text: a.body, reads }], dot: sp, root: f.root, outerDot: f.dot });
                    break;
                }
                case "range": {
                    const p = parse(a.body.slice(5));
                    record(p);
                    const reads = fieldPaths(p.node, f.dot, f.root);
                    frames.push({ entry: [{ s: "range", expr: p.node, vars: p.decl?.names ?? [], text: a.body, reads }], lets: [], kind: "range", conds: [{ expr: p.node, text: a.body, reads }], dot: undefined, root: f.root, outerDot: f.dot });
                    break;
                }
                case "block":
                    throw new TemplateError(`${chart.dir}/${src.path}: block actions are not supported`);
                case "else": {
                    if (f.kind === "root" || f.kind === "define") throw new TemplateError(`${chart.dir}/${src.path}: else outside a block`);
                    const rest = a.body.slice(4).trim();
                    f.dot = f.outerDot;
                    const negated: Step[] = f.conds.map((c) => ({ s: "cond", expr: c.expr, want: false, text: c.text, reads: c.reads }));
                    f.lets = [];
                    if (rest.startsWith("if ")) {
                        const p = parse(rest.slice(3));
                        record(p);
                        const reads = fieldPaths(p.node, f.outerDot, f.root);
                        f.entry = [...negated, { s: "cond", expr: p.node, want: true, text: rest, reads }];
                        f.conds.push({ expr: p.node, text: rest, reads });
                        f.dot = f.outerDot;
                    } else if (rest.startsWith("with ")) {
                        const p = parse(rest.slice(5));
                        record(p);
                        const reads = fieldPaths(p.node, f.outerDot, f.root);
                        f.entry = [...negated, { s: "with", expr: p.node, text: rest, reads }];
                        f.conds.push({ expr: p.node, text: rest, reads });
                        f.dot = symbolicPath(p.node, f.outerDot, f.root);
                    } else if (rest === "") {
                        f.entry = negated;
                        f.dot = f.outerDot;
                    } else throw new TemplateError(`${chart.dir}/${src.path}: unsupported else ${rest}`);
                    break;
                }
                case "end":
                    if (frames.length === 1) throw new TemplateError(`${chart.dir}/${src.path}: unbalanced end`);
                    frames.pop();
                    break;
                default: {
                    const p = parse(a.body);
                    record(p);
                    if (p.decl) f.lets.push({ s: "let", names: p.decl.names, expr: p.node, text: a.body });
                }
            }
        }
        textSegment(text.slice(pos), pos);
    };
    visit(src.text, src.templated, src.baseSteps, [], [], true, []);
    return { docs, included };
}

/** Every document of a chart's templates and the files they read (`defines`: of the whole chart tree). */
function chartDocs(chart: Chart, hookPaths: string[][], defines: Map<string, Define>): Doc[] {
    const docs: Doc[] = [];
    const queue: TemplateSource[] = [...chart.files.entries()]
        .filter(([f]) => f.startsWith("templates/") && /\.(yaml|yml|tpl|txt)$/.test(f) && !path.basename(f).startsWith("_") && !f.endsWith("NOTES.txt"))
        .map(([f, text]) => ({ path: f, text, templated: true, baseSteps: [] }));
    const seen = new Set<string>();
    while (queue.length > 0) {
        const src = queue.shift()!;
        const key = `${src.path}|${src.templated}|${JSON.stringify(src.baseSteps.map((s) => ("text" in s ? s.text : s.s)))}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const r = walk(chart, defines, src, hookPaths);
        docs.push(...r.docs);
        queue.push(...r.included);
    }
    return docs;
}

// ---------------------------------------------------------------------------------------------------------
// Tables: every exception is explicit, with its reason
// ---------------------------------------------------------------------------------------------------------

/**
 * Every template of the vendored charts that renders an object with a `helm.sh/hook` annotation under the
 * chart's own defaults (`<chart dir>:<template>`), literally or through a values key whose default holds one.
 * A chart bump that adds or removes a hook changes this list.
 */
const hookInventory = [
    "cert-manager:templates/startupapicheck-job.yaml",
    "cert-manager:templates/startupapicheck-psp-clusterrole.yaml",
    "cert-manager:templates/startupapicheck-psp-clusterrolebinding.yaml",
    "cert-manager:templates/startupapicheck-psp.yaml",
    "cert-manager:templates/startupapicheck-rbac.yaml",
    "cert-manager:templates/startupapicheck-serviceaccount.yaml",
    "kube-prometheus-stack/charts/crds:templates/upgrade/clusterrole.yaml",
    "kube-prometheus-stack/charts/crds:templates/upgrade/clusterrolebinding.yaml",
    "kube-prometheus-stack/charts/crds:templates/upgrade/crds.yaml",
    "kube-prometheus-stack/charts/crds:templates/upgrade/job.yaml",
    "kube-prometheus-stack/charts/crds:templates/upgrade/serviceaccount.yaml",
    "kube-prometheus-stack/charts/grafana:templates/tests/test-configmap.yaml",
    "kube-prometheus-stack/charts/grafana:templates/tests/test-podsecuritypolicy.yaml",
    "kube-prometheus-stack/charts/grafana:templates/tests/test-role.yaml",
    "kube-prometheus-stack/charts/grafana:templates/tests/test-rolebinding.yaml",
    "kube-prometheus-stack/charts/grafana:templates/tests/test-serviceaccount.yaml",
    "kube-prometheus-stack/charts/grafana:templates/tests/test.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/ciliumnetworkpolicy-createSecret.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/ciliumnetworkpolicy-patchWebhook.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/clusterrole.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/clusterrolebinding.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/job-createSecret.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/job-patchWebhook.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/networkpolicy-createSecret.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/networkpolicy-patchWebhook.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/role.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/rolebinding.yaml",
    "kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/job-patch/serviceaccount.yaml",
];

/**
 * Hooks that may be active because the platform does not need them (Pulumi drops every hook). Keyed by
 * `<chart dir>:<template>`, with the hook types allowed.
 */
const hooksNotNeeded: Record<string, { hooks: string[]; reason: string }> = {
    // Grafana's `helm test` objects (testFramework.enabled defaults to true): only `helm test` creates and runs
    // them, to check a release from outside; Grafana itself never uses them.
    "kube-prometheus-stack/charts/grafana:templates/tests/test.yaml": { hooks: ["test"], reason: "helm test Pod (curls Grafana); only `helm test` runs it" },
    "kube-prometheus-stack/charts/grafana:templates/tests/test-configmap.yaml": { hooks: ["test"], reason: "the helm test Pod's script" },
    "kube-prometheus-stack/charts/grafana:templates/tests/test-serviceaccount.yaml": { hooks: ["test"], reason: "the helm test Pod's ServiceAccount" },
    "kube-prometheus-stack/charts/grafana:templates/tests/test-role.yaml": { hooks: ["test"], reason: "the helm test Pod's PSP Role (PSP API only)" },
    "kube-prometheus-stack/charts/grafana:templates/tests/test-rolebinding.yaml": { hooks: ["test"], reason: "the helm test Pod's PSP RoleBinding (PSP API only)" },
    "kube-prometheus-stack/charts/grafana:templates/tests/test-podsecuritypolicy.yaml": { hooks: ["test"], reason: "the helm test Pod's PSP (PSP API only)" },
};

/**
 * Value paths the project sets that neither the chart's values.yaml nor a `.Values.<path>` read in its
 * templates shows (`<chart dir>:<dotted path>`).
 */
const valuePathAllowlist: Record<string, string> = {};

/**
 * Helpers that guards call with `include`, re-implemented here (`<chart dir>:<define>`); each is pinned to the
 * sha256 of its define's body, so a chart bump that changes one fails the hash test instead of being mis-read.
 */
const helpers: Record<string, HelperResult> = {
    "nvidia-device-plugin:nvidia-device-plugin.hasEmbeddedConfigMap": {
        sha256: "504bb72a393af8fc79d0da535525a4b150e3f72f970a46fa5c2220d09e48b1da",
        reason: '"true" unless config.map is empty',
        result: (v) => String(truthy(getPath(v, ["config", "map"]))),
    },
    "nvidia-device-plugin:nvidia-device-plugin.configMapName": {
        sha256: "3d2809349d192150ae94ffe4761f01a364a3b3af81c3cea564c56cb258a2c924",
        reason: "config.name, else <fullname>-configs when config.map is set, else empty (only emptiness matters to guards)",
        result: (v) => (truthy(getPath(v, ["config", "name"])) ? String(getPath(v, ["config", "name"])) : truthy(getPath(v, ["config", "map"])) ? "<fullname>-configs" : ""),
    },
    "kube-prometheus-stack/charts/grafana:grafana.shouldCreateConfigSecret": {
        sha256: "19e2faa28dc4255dfe0f6d80fdc0c3958bce8eff64b507d045a9965b61e261a8",
        reason: '"true" when a datasources or notifiers entry has a `secret` key, or an alerting entry a `secret` or `secretFile` key',
        result: (v) => {
            const has = (m: unknown, keys: string[]): boolean => isMap(m) && Object.values(m).some((e) => isMap(e) && keys.some((k) => k in e));
            return String(has(v["datasources"], ["secret"]) || has(v["notifiers"], ["secret"]) || has(v["alerting"], ["secret", "secretFile"]));
        },
    },
};

/**
 * Secret volumes whose Secret comes from outside the chart (`<chart dir>:<secretName expression>`), e.g. a
 * value naming a Secret the project creates.
 */
const externalSecrets: Record<string, string> = {};

/** Active workloads that read no `.Values.<path>.resources` (`<chart dir>:<source>#<doc>`), with the reason they pass. */
const workloadsWithoutResourceValues: Record<string, string> = {
    // The chart renders this static Deployment merged with files/kserve/deployment-patch.yaml (same kind/name),
    // whose containers take kserve.controller.resources and kserve.controller.rbacProxy.resources (both set by
    // default, and checked on that document).
    "kserve-resources:files/kserve/resources.yaml#11": "base of kserve-controller-manager; resources come from the patch document",
};

/** Webhook configurations whose CA bundle neither cert-manager nor a value provides. */
const webhooksWithOwnCa: Record<string, string> = {};

// ---------------------------------------------------------------------------------------------------------
// Analyses
// ---------------------------------------------------------------------------------------------------------

const workloadKinds = new Set(["Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob", "Prometheus", "Alertmanager", "ThanosRuler", "PrometheusAgent"]);
const podWorkloadKinds = new Set(["Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob"]);

interface Analysis {
    release: Release;
    evaluator: Evaluator;
    docs: Doc[];
}

const docCache = new Map<string, Doc[]>();

function analyse(rel: Release): Analysis[] {
    const defines = definesOf(rootOf(rel.chart));
    return allReleases(rel).map((r) => {
        const paths = [...hookValuePaths(r.chart.defaults), ...hookValuePaths(r.values)];
        const unique = [...new Map(paths.map((p) => [p.join("."), p])).values()];
        const key = `${rootOf(r.chart).dir}|${r.chart.dir}|${unique.map((p) => p.join(".")).sort().join(",")}`;
        if (!docCache.has(key)) docCache.set(key, chartDocs(r.chart, unique, defines));
        const evaluator = new Evaluator({ release: r, helpers });
        return { release: r, evaluator, docs: docCache.get(key)! };
    });
}

const docId = (a: Analysis, d: Doc): string => `${a.release.chart.dir}:${d.source}#${d.index}`;
const where = (a: Analysis, d: Doc): string => `${a.release.chart.dir}:${d.source}`;

/** Kinds the checks look at: only their guards are evaluated. */
const checkedKinds = new Set([...workloadKinds, "Secret", "Certificate", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);

/** The kinds (of those the checks look at) a document renders under the merged values. */
function activeKinds(a: Analysis, d: Doc): string[] {
    const kinds: string[] = [];
    for (const line of d.kinds) {
        if (![...line.text.matchAll(/\b([A-Z][A-Za-z]+)\b/g)].some((m) => checkedKinds.has(m[1]))) continue;
        if (!a.evaluator.holds(line.steps)) continue;
        // `kind: {{ if x }}StatefulSet{{ else }}Deployment{{ end }}` lists both; the workload checks treat it as either.
        for (const m of line.text.matchAll(/\b([A-Z][A-Za-z]+)\b/g)) kinds.push(m[1]);
    }
    return kinds;
}

interface HookFinding {
    id: string;
    template: string;
    types: string[];
    active: boolean;
}

/** Each document with a hook marker: whether the hook annotation is rendered under the merged values. */
function hooksOf(a: Analysis): HookFinding[] {
    const out: HookFinding[] = [];
    for (const d of a.docs) {
        if (d.hooks.length === 0) continue;
        let active = false;
        const types = new Set<string>();
        for (const h of d.hooks) {
            let value: unknown;
            if (h.via === "values") {
                const v = getPath(a.release.values, h.valuesPath!);
                if (!isMap(v) || !("helm.sh/hook" in v)) continue; // the project's values removed the hook annotation
                value = v["helm.sh/hook"];
            } else {
                const m = /:\s*(.*)$/.exec(h.text)![1].trim();
                const action = /^\{\{-?\s*([\s\S]*?)\s*-?\}\}$/.exec(m);
                value = action ? undefined : m.replace(/^["']|["']$/g, "");
                if (action && a.evaluator.holds(h.steps)) value = a.evaluator.valueAt(h.steps, parsePipeline(action[1]).node);
            }
            if (!a.evaluator.holds(h.steps)) continue;
            active = true;
            for (const t of String(value).split(",")) types.add(t.trim());
        }
        out.push({ id: docId(a, d), template: where(a, d), types: [...types].sort(), active });
    }
    return out;
}

function isHookDoc(a: Analysis, d: Doc): boolean {
    return hooksOf({ ...a, docs: [d] }).some((h) => h.active);
}

const normName = (s: string): string =>
    s
        .replace(/\{\{-?\s*/g, "{{ ")
        .replace(/\s*-?\}\}/g, " }}")
        .replace(/\btemplate\b/g, "include")
        .replace(/\s\$(\s|\))/g, " .$1")
        .replace(/^["']|["']$/g, "")
        .replace(/\s+/g, " ")
        .trim();

/** The first `name:` of a document's metadata, and a Certificate's `spec.secretName`, as written. */
function producedSecrets(a: Analysis, d: Doc): { name: string; line: Line }[] {
    const kinds = activeKinds(a, d);
    const out: { name: string; line: Line }[] = [];
    if (kinds.includes("Secret")) {
        const metaAt = d.lines.findIndex((l) => /^metadata:\s*$/.test(l.text));
        const name = d.lines.slice(metaAt + 1).find((l) => /^  name:/.test(l.text));
        if (name && a.evaluator.holds(name.steps)) out.push({ name: normName(name.text.replace(/^\s*name:\s*/, "")), line: name });
    }
    if (kinds.includes("Certificate")) {
        const name = d.lines.find((l) => /^  secretName:/.test(l.text));
        if (name && a.evaluator.holds(name.steps)) out.push({ name: normName(name.text.replace(/^\s*secretName:\s*/, "")), line: name });
    }
    return out;
}

/** Secret volumes of a pod workload document that are rendered and not optional. */
function mountedSecrets(a: Analysis, d: Doc): { name: string; line: Line }[] {
    const out: { name: string; line: Line }[] = [];
    d.lines.forEach((l, i) => {
        const m = /^(\s*)secretName:\s*(.+)$/.exec(l.text);
        if (!m) return;
        // Only volumes: the nearest less-indented line above is `secret:`.
        const parent = d.lines
            .slice(0, i)
            .reverse()
            .find((p) => p.text.trim() !== "" && !p.text.trim().startsWith("{{") && p.indent < l.indent);
        if (!parent || !/^\s*-?\s*secret:\s*$/.test(parent.text)) return;
        if (!a.evaluator.holds(l.steps)) return;
        const block = [];
        for (const next of d.lines.slice(i + 1)) {
            if (next.text.trim() === "" || next.text.trim().startsWith("{{")) continue;
            if (next.indent < l.indent) break;
            block.push(next);
        }
        if (block.some((b) => /^\s*optional:\s*true\s*$/.test(b.text) && a.evaluator.holds(b.steps))) return;
        out.push({ name: normName(m[2]), line: l });
    });
    return out;
}

/** Values paths up to and including the first `resources` key, read in a document, with their sites. */
function resourceRefs(d: Doc): Map<string, Ref[]> {
    const out = new Map<string, Ref[]>();
    for (const r of d.refs) {
        const i = r.path.indexOf("resources");
        if (i < 0) continue;
        const key = r.path.slice(0, i + 1).join(".");
        out.set(key, [...(out.get(key) ?? []), r]);
    }
    return out;
}

/** CPU (cores) or memory (bytes) quantity. */
function quantity(q: unknown): number {
    const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q));
    if (!m) return NaN;
    const units: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
    return Number(m[1]) * (units[m[2]] ?? NaN);
}

function resourceProblems(v: unknown): string[] {
    const r = isMap(v) ? v : {};
    const requests = isMap(r["requests"]) ? r["requests"] : {};
    const limits = isMap(r["limits"]) ? r["limits"] : {};
    const problems: string[] = [];
    for (const [k, m] of [
        ["requests", requests],
        ["limits", limits],
    ] as const) {
        for (const res of ["cpu", "memory"]) if (m[res] === undefined || m[res] === null || m[res] === "") problems.push(`no ${k}.${res}`);
    }
    for (const res of ["cpu", "memory"]) {
        if (requests[res] !== undefined && limits[res] !== undefined && quantity(requests[res]) > quantity(limits[res])) problems.push(`requests.${res} > limits.${res}`);
    }
    return problems;
}

/** Paths of the keys the project sets that the chart does not define (nor read in its templates). */
function unknownValuePaths(chart: Chart, user: Values, docs: (c: Chart) => Doc[]): string[] {
    const problems: string[] = [];
    const readBy = (c: Chart, p: string[]): boolean => {
        const joined = p.join(".");
        const refs = docs(c).flatMap((d) => d.refs);
        if (refs.some((r) => r.path.join(".") === joined || r.path.join(".").startsWith(`${joined}.`))) return true;
        // A key under a map the templates render whole (toYaml) is free-form, e.g. annotations, nodeSelector.
        if (refs.some((r) => r.whole && r.path.length < p.length && r.path.every((k, i) => p[i] === k))) return true;
        const re = new RegExp(`\\.Values\\.${joined.replace(/\./g, "\\.")}(?![A-Za-z0-9_])`);
        return [...c.files.values()].some((t) => re.test(t));
    };
    const check = (c: Chart, u: Values, defaults: Values, prefix: string[], parents: { chart: Chart; prefix: string[] }[]): void => {
        for (const [k, v] of Object.entries(u)) {
            const p = [...prefix, k];
            if (prefix.length === 0 && c.subcharts.has(k) && isMap(v)) {
                const sub = c.subcharts.get(k)!;
                check(sub, v, coalesce(defaults[k] ?? {}, sub.defaults) as Values, [], [{ chart: c, prefix: [k] }, ...parents.map((x) => ({ chart: x.chart, prefix: [...x.prefix, k] }))]);
                continue;
            }
            if (isMap(defaults) && k in defaults) {
                const d = defaults[k];
                if (isMap(d) && Object.keys(d).length > 0 && isMap(v)) check(c, v, d, p, parents);
                continue; // free-form map ({}), list, scalar or null default: the key is the chart's
            }
            if (readBy(c, p) || parents.some((x) => readBy(x.chart, [...x.prefix, ...p]))) continue;
            const id = `${c.dir}:${p.join(".")}`;
            if (!(id in valuePathAllowlist)) problems.push(id);
        }
    };
    check(chart, user, chart.defaults, [], []);
    return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Checks (each returns its problems, one line each)
// ---------------------------------------------------------------------------------------------------------

/** A chart as a stack installs it: the Chart resource's name, its vendored chart and the analyses of its release. */
interface Installed {
    name: string;
    chart: Chart;
    user: Values;
    release: Release;
    analyses: Analysis[];
}

function install(name: string, chart: Chart, user: Values, releaseName: string, namespace: string): Installed {
    const rel = release(chart, user, releaseName, namespace);
    return { name, chart, user, release: rel, analyses: analyse(rel) };
}

function docsOf(c: Chart): Doc[] {
    return analyse(release(c, {}, c.name, "default"))[0].docs;
}

function valuePathProblems(charts: Installed[]): string[] {
    return charts.flatMap((c) => unknownValuePaths(c.chart, c.user, docsOf).map((p) => `${c.name}: ${p} is not a value of the chart`));
}

function hookProblems(charts: Installed[]): string[] {
    const problems: string[] = [];
    for (const c of charts) {
        const added = hookValuePaths(c.user);
        if (added.length > 0) problems.push(`${c.name}: the project's values add hook annotations at ${added.map((p) => p.join(".")).join(", ")}`);
        for (const a of c.analyses) {
            for (const h of hooksOf(a).filter((x) => x.active)) {
                const allowed = hooksNotNeeded[h.template];
                if (!allowed || h.types.some((t) => !allowed.hooks.includes(t))) problems.push(`${c.name}: active hook ${h.id} (${h.types.join(",")})`);
            }
        }
    }
    return problems;
}

function secretProblems(charts: Installed[]): string[] {
    const problems: string[] = [];
    for (const c of charts) {
        const produced = new Set<string>();
        const mounts: { a: Analysis; d: Doc; name: string }[] = [];
        for (const a of c.analyses) {
            for (const d of a.docs) {
                if (isHookDoc(a, d)) continue;
                for (const p of producedSecrets(a, d)) produced.add(p.name);
                const kinds = activeKinds(a, d);
                if (kinds.some((k) => podWorkloadKinds.has(k))) for (const m of mountedSecrets(a, d)) mounts.push({ a, d, name: m.name });
                if (kinds.some((k) => k === "MutatingWebhookConfiguration" || k === "ValidatingWebhookConfiguration")) {
                    const ca = d.lines.some((l) => /cert-manager\.io\/inject-ca-from(-secret)?["']?:|^\s*caBundle:/.test(l.text) && a.evaluator.holds(l.steps));
                    if (!ca && !(docId(a, d) in webhooksWithOwnCa)) problems.push(`${c.name}: ${docId(a, d)} gets no CA bundle (no cert-manager injection, no caBundle)`);
                }
            }
        }
        for (const m of mounts) {
            if (produced.has(m.name) || `${m.a.release.chart.dir}:${m.name}` in externalSecrets) continue;
            problems.push(`${c.name}: ${docId(m.a, m.d)} mounts secret ${m.name}, which no active non-hook Secret or Certificate creates`);
        }
    }
    return problems;
}

function workloadResourceProblems(charts: Installed[]): string[] {
    const problems: string[] = [];
    for (const c of charts) {
        for (const a of c.analyses) {
            for (const d of a.docs) {
                if (!activeKinds(a, d).some((k) => workloadKinds.has(k)) || isHookDoc(a, d)) continue;
                let active = 0;
                for (const [p, sites] of resourceRefs(d)) {
                    const pp = p.split(".");
                    // A guard that tests the resources value itself (`with .Values.x.resources`) does not decide
                    // whether the container exists: it decides whether its resources are rendered.
                    const mentions = (s: Step): boolean => "reads" in s && s.reads.some((r) => r[0] === "Values" && pp.every((k, i) => r[i + 1] === k));
                    if (!sites.some((s) => a.evaluator.holds(s.steps, mentions))) continue;
                    active++;
                    for (const problem of resourceProblems(getPath(a.release.values, pp))) problems.push(`${c.name}: ${docId(a, d)} .Values.${p}: ${problem}`);
                }
                if (active === 0 && !(docId(a, d) in workloadsWithoutResourceValues)) problems.push(`${c.name}: ${docId(a, d)} reads no resources from values`);
            }
        }
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------

const sources = readSources();
const vendored = new Map<string, Chart>();
function vendoredChart(dir: string): Chart {
    if (!vendored.has(dir)) vendored.set(dir, loadChart(dir, sources));
    return vendored.get(dir)!;
}
const topLevelCharts = sources.map((s) => s.dir).filter((d) => !d.includes("/"));

describe("vendored upstream charts (test/upstream/charts)", () => {
    it("match SOURCES.md: one row per vendored chart, values.yaml unchanged", () => {
        const chartFiles = listFiles(chartsDir).filter((f) => path.basename(f) === "Chart.yaml" && !f.includes("templates/"));
        assert.deepEqual(chartFiles.map((f) => path.dirname(f)).sort(), sources.map((s) => s.dir).sort());
        for (const s of sources) {
            const values = readFileSync(path.join(chartsDir, s.dir, "values.yaml"));
            assert.equal(createHash("sha256").update(values).digest("hex"), s.valuesSha256, `${s.dir}/values.yaml`);
            assert.match(s.commit, /^[0-9a-f]{40}$/, s.dir);
            assert.equal(s.licence, "Apache-2.0", s.dir);
            const meta = yaml.load(readChartFile(s.dir, "Chart.yaml")) as { version: string };
            // cert-manager's repository Chart.yaml says v0.0.0: its release tooling sets the version.
            if (meta.version !== "v0.0.0") assert.equal(String(meta.version), s.version, `${s.dir}/Chart.yaml version`);
        }
    });

    it("hold every chart components/versions.ts pins, at its version", () => {
        const pins = [versions.certManager, versions.knativeOperator, versions.kserve.crds, versions.kserve.resources, versions.kserve.runtimeConfigs, versions.kubePrometheusStack];
        for (const pin of pins) assert.equal(vendoredChart(path.basename(pin.chart)).version, pin.version, pin.chart);
    });

    it("list every hook template (the inventory changes with a chart bump)", () => {
        const found = new Set<string>();
        for (const dir of topLevelCharts) {
            const c = vendoredChart(dir);
            for (const sub of [c, ...c.subcharts.values()]) for (const h of hooksOf(analyse(release(sub, {}, sub.name, "default"))[0])) found.add(h.template);
        }
        assert.deepEqual([...found].sort(), [...hookInventory].sort());
    });

    it("re-implement each helper a guard calls as the pinned chart defines it", () => {
        for (const [key, helper] of Object.entries(helpers)) {
            const [dir, name] = key.split(":");
            const def = definesOf(vendoredChart(dir)).get(name);
            assert.ok(def, `${key} is defined`);
            assert.equal(createHash("sha256").update(def.body).digest("hex"), helper.sha256, `${key} changed upstream: re-check its re-implementation`);
        }
    });

    it("keep no stale exception", () => {
        for (const key of Object.keys(hooksNotNeeded)) assert.ok(hookInventory.includes(key), `${key} is a hook template`);
    });

    // Negative controls: each check flags what it exists to flag, on the charts' own defaults.
    describe("checks catch what they exist to catch", () => {
        const kps = (user: Values): Installed[] => [install("kps", vendoredChart("kube-prometheus-stack"), user, "kps", "monitoring")];
        const cm = (user: Values): Installed[] => [install("cert-manager", vendoredChart("cert-manager"), user, "cert-manager", "cert-manager")];

        it("a misspelt value path", () => {
            assert.deepEqual(valuePathProblems(cm({ webhook: { replicaCont: 2 }, startupapicheck: { jobAnnotations: { "example.com/free-form": "x" } } })), ["cert-manager: cert-manager:webhook.replicaCont is not a value of the chart"]);
            assert.deepEqual(valuePathProblems(kps({ grafana: { sidecar: { dashbords: {} } }, "kube-state-metrics": { resources: {} } })), ["kps: kube-prometheus-stack/charts/grafana:sidecar.dashbords is not a value of the chart"]);
        });

        it("hooks: cert-manager's startupapicheck, and `{}` does not clear a default map (Helm merges it)", () => {
            const hooks = (user: Values): string[] => hookProblems(cm(user)).filter((p) => p.includes("startupapicheck-job"));
            assert.equal(hooks({}).length, 1);
            assert.equal(hooks({ startupapicheck: { jobAnnotations: {} } }).length, 1);
            assert.equal(hooks({ startupapicheck: { jobAnnotations: null } }).length, 0);
            assert.equal(hooks({ startupapicheck: { enabled: false } }).length, 0);
        });

        it("hooks: kube-prometheus-stack's admission Jobs by default, none on the cert-manager path", () => {
            assert.ok(hookProblems(kps({})).some((p) => p.includes("job-patch/job-createSecret.yaml")));
            assert.deepEqual(hookProblems(kps({ prometheusOperator: { admissionWebhooks: { certManager: { enabled: true } } } })).filter((p) => p.includes("job-patch")), []);
        });

        it("a mounted secret only a hook creates, and webhooks without a CA", () => {
            assert.deepEqual(secretProblems(kps({})), [
                "kps: kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/mutatingWebhookConfiguration.yaml#0 gets no CA bundle (no cert-manager injection, no caBundle)",
                "kps: kube-prometheus-stack:templates/prometheus-operator/admission-webhooks/validatingWebhookConfiguration.yaml#0 gets no CA bundle (no cert-manager injection, no caBundle)",
                'kps: kube-prometheus-stack:templates/prometheus-operator/deployment.yaml#0 mounts secret {{ include "kube-prometheus-stack.fullname" . }}-admission, which no active non-hook Secret or Certificate creates',
            ]);
            assert.deepEqual(secretProblems(kps({ prometheusOperator: { admissionWebhooks: { certManager: { enabled: true } } } })), []);
            // TLS off: nothing mounted, nothing required.
            assert.ok(!secretProblems(kps({ prometheusOperator: { tls: { enabled: false } } })).some((p) => p.includes("mounts secret")));
        });

        it("workloads without requests and limits", () => {
            const problems = workloadResourceProblems(cm({}));
            for (const p of ["deployment.yaml#0 .Values.resources", "webhook-deployment.yaml#0 .Values.webhook.resources", "cainjector-deployment.yaml#0 .Values.cainjector.resources"]) {
                assert.ok(problems.some((x) => x.includes(p) && x.endsWith("no limits.memory")), p);
            }
            // The startupapicheck Job is a hook by default (dropped): its resources only matter once it is not.
            assert.ok(!problems.some((p) => p.includes("startupapicheck")));
            const resources = { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } };
            assert.ok(workloadResourceProblems(cm({ resources })).some((p) => p.endsWith(".Values.resources: requests.cpu > limits.cpu")));
        });
    });
});

for (const stack of stacks) {
    describe(`${stack} stack: Helm charts against their sources`, () => {
        let render: Render;
        let charts: Installed[];
        before(async () => {
            render = await renderStack(stack);
            charts = render.resources
                .filter((r) => r.type === chartType)
                .map((r) => {
                    const dir = path.basename(String(r.inputs["chart"]));
                    assert.ok(topLevelCharts.includes(dir), `${r.name}: chart ${dir} is vendored under test/upstream/charts`);
                    return install(r.name, vendoredChart(dir), (r.inputs["values"] ?? {}) as Values, String(r.inputs["name"] ?? r.name), String(r.inputs["namespace"] ?? "default"));
                });
        });
        const resource = (name: string): RenderedResource => render.resources.find((r) => r.type === chartType && r.name === name)!;

        it("pins vendored chart versions, with every enabled subchart vendored", () => {
            assert.ok(charts.length >= 5, "the platform's charts");
            for (const c of charts) {
                assert.equal(resource(c.name).inputs["version"], c.chart.version, `${c.name}: vendored ${c.chart.dir} is ${c.chart.version}`);
                assert.deepEqual(c.release.missing, [], `${c.name}: enabled subcharts not vendored`);
            }
        });

        it("sets only value paths the charts define or read", () => {
            assert.deepEqual(valuePathProblems(charts), []);
        });

        it("renders no Helm hook the platform needs (Pulumi drops them all)", () => {
            assert.deepEqual(hookProblems(charts), []);
        });

        it("mounts only secrets that active non-hook objects create, and gives every webhook a CA", () => {
            assert.deepEqual(secretProblems(charts), []);
        });

        it("gives every workload CPU and memory requests and limits", () => {
            assert.deepEqual(workloadResourceProblems(charts), []);
        });

        it("kube-prometheus-stack: cert-manager issues the operator's TLS secret and the webhooks' CA, no admission Job", () => {
            const c = charts.find((x) => x.chart.dir === "kube-prometheus-stack")!;
            const a = c.analyses[0];
            const doc = (source: string): Doc => a.docs.find((d) => d.source === source)!;
            const webhooks = a.release.values["prometheusOperator"] as any;
            assert.equal(webhooks.admissionWebhooks.certManager.enabled, true);
            assert.equal(webhooks.admissionWebhooks.patch.enabled, false);
            // Fail (the chart's default without the patch Job) would reject the chart's own PrometheusRules,
            // created in parallel with the operator, until the webhook answers.
            assert.equal(webhooks.admissionWebhooks.failurePolicy, "Ignore");
            // The Deployment mounts <fullname>-admission; the Certificate of certmanager.yaml writes it.
            const mounted = mountedSecrets(a, doc("templates/prometheus-operator/deployment.yaml")).map((m) => m.name);
            assert.deepEqual(mounted, ['{{ include "kube-prometheus-stack.fullname" . }}-admission']);
            const issued = a.docs.filter((d) => d.source === "templates/prometheus-operator/certmanager.yaml").flatMap((d) => producedSecrets(a, d).map((p) => p.name));
            assert.ok(issued.includes(mounted[0]), issued.join(", "));
            for (const kind of ["mutating", "validating"]) {
                const d = doc(`templates/prometheus-operator/admission-webhooks/${kind}WebhookConfiguration.yaml`);
                assert.ok(d.lines.some((l) => l.text.includes("cert-manager.io/inject-ca-from:") && a.evaluator.holds(l.steps)), `${kind}: CA injected`);
                assert.equal(webhooks.admissionWebhooks[`${kind}WebhookConfiguration`].annotations["pulumi.com/waitFor"], "jsonpath={.webhooks[*].clientConfig.caBundle}");
            }
            assert.ok(!hooksOf(a).some((h) => h.active), "no active hook in kube-prometheus-stack itself");
        });

        it("kube-prometheus-stack: the node exporter's container is restricted (no privilege escalation, all capabilities dropped, read-only root)", () => {
            const c = charts.find((x) => x.chart.dir === "kube-prometheus-stack")!;
            const exporter = allReleases(c.release).find((r) => r.chart.dir.endsWith("prometheus-node-exporter"));
            assert.ok(exporter, "the node exporter subchart is enabled");
            // The DaemonSet's exporter container takes the whole map as its securityContext.
            assert.match(readChartFile(exporter.chart.dir, "templates/daemonset.yaml"), /\{\{- with \.Values\.containerSecurityContext \}\}\n\s+securityContext:\n\s+\{\{- toYaml \. \| nindent 12 \}\}/);
            assert.deepEqual(exporter.values["containerSecurityContext"], { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        });

        it("kube-prometheus-stack: waits for the cert-manager chart (its Issuer/Certificate CRDs, webhook and CA injector)", () => {
            const kps = charts.find((x) => x.chart.dir === "kube-prometheus-stack")!;
            const certManager = charts.find((x) => x.chart.dir === "cert-manager")!;
            assert.ok(resource(kps.name).dependsOn.includes(resource(certManager.name).urn), `${kps.name} depends on ${certManager.name}`);
        });

        it("cert-manager: startupapicheck is an ordinary Job (awaited by the provider), never deleted by a TTL", () => {
            const c = charts.find((x) => x.chart.dir === "cert-manager")!;
            const a = c.analyses[0];
            for (const source of ["templates/startupapicheck-job.yaml", "templates/startupapicheck-rbac.yaml", "templates/startupapicheck-serviceaccount.yaml"]) {
                for (const d of a.docs.filter((x) => x.source === source)) {
                    assert.ok(d.kinds.some((k) => a.evaluator.holds(k.steps)), `${source}#${d.index} is rendered`);
                    assert.ok(!isHookDoc(a, d), `${source}#${d.index} is not a hook`);
                }
            }
            const check = a.release.values["startupapicheck"] as Values;
            assert.equal(check["enabled"], true);
            assert.ok(!("ttlSecondsAfterFinished" in check), "no TTL: a deleted Job would be re-created (and re-run) on the next refresh");
            assert.equal(check["backoffLimit"], 4);
            assert.equal(check["timeout"], "1m");
        });
    });
}

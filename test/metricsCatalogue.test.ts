/**
 * Issue 11, item 1: the metric catalogue (test/upstream/metrics/catalogue.json, facts read from the pinned upstream
 * sources) against what the platform renders.
 * - every metric and label a rendered alert rule or Grafana dashboard query uses is one the pinned component
 *   exports (or one the scraping monitor adds);
 * - every PodMonitor/ServiceMonitor selects at least one pod of the pinned manifests (Knative operator 1.23
 *   kodata, the Kafka broker data plane, the KServe chart's controller Deployment, the revision pods of the
 *   Knative Services and InferenceServices as rendered) and that pod declares the port it scrapes, on an address
 *   other than loopback.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { KubernetesObject, Render, renderStack, repoRoot } from "../tools/renderStack";

const upstream = path.join(repoRoot, "test", "upstream");
const catalogue = JSON.parse(readFileSync(path.join(upstream, "metrics", "catalogue.json"), "utf8"));
type Entry = { name: string; type: "counter" | "gauge" | "histogram"; labels: string[]; sources: string[]; scrapedBy: string[]; customResource?: any };
const entries: Entry[] = catalogue.metrics;

/** Series names a catalogue entry produces, with the labels only that series has. */
function seriesOf(e: Entry): { name: string; extra: string[] }[] {
    if (e.type === "histogram") return [{ name: `${e.name}_bucket`, extra: ["le"] }, { name: `${e.name}_sum`, extra: [] }, { name: `${e.name}_count`, extra: [] }];
    return [{ name: e.name, extra: [] }];
}
const series = new Map<string, { entry: Entry; extra: string[] }>();
for (const e of entries) for (const s of seriesOf(e)) series.set(s.name, { entry: e, extra: s.extra });

const stacks = ["dev", "prod"] as const;
const renders: Partial<Record<(typeof stacks)[number], Render>> = {};
before(async () => {
    for (const s of stacks) renders[s] = await renderStack(s);
});

/** Every PromQL expression a render ships: alert rules and dashboard panel queries, with where each comes from. */
function queries(render: Render): { where: string; expr: string }[] {
    const out: { where: string; expr: string }[] = [];
    for (const r of render.manifests.filter((m) => m.kind === "PrometheusRule") as any[]) {
        for (const g of r.spec.groups) for (const rule of g.rules) out.push({ where: `PrometheusRule ${r.metadata.name} ${rule.alert ?? rule.record}`, expr: rule.expr });
    }
    for (const cm of render.manifests.filter((m) => m.kind === "ConfigMap" && m.metadata.labels?.grafana_dashboard === "1") as any[]) {
        for (const [file, json] of Object.entries(cm.data as Record<string, string>)) {
            for (const p of JSON.parse(json).panels) for (const t of p.targets ?? []) out.push({ where: `dashboard ${file} "${p.title}" ${t.refId}`, expr: t.expr });
        }
    }
    return out;
}

function monitors(render: Render): any[] {
    return render.manifests.filter((m) => m.kind === "PodMonitor" || m.kind === "ServiceMonitor");
}

/** Labels the monitors that scrape a catalogue entry add to its series (rendered relabelings). */
function addedLabels(render: Render, e: Entry): string[] {
    const out: string[] = [...catalogue.targetLabels.labels];
    for (const name of e.scrapedBy) {
        for (const m of monitors(render).filter((x) => x.metadata.name === name)) {
            for (const ep of m.spec.podMetricsEndpoints ?? m.spec.endpoints ?? []) {
                for (const r of ep.relabelings ?? []) if (r.targetLabel && !r.targetLabel.startsWith("__")) out.push(r.targetLabel);
            }
        }
    }
    return out;
}

describe("metric catalogue (test data) is consistent with its sources", () => {
    it("names each entry's upstream files as repo@tag:path (or this repository's file)", () => {
        for (const e of entries) {
            assert.ok(e.sources.length > 0, e.name);
            for (const s of e.sources) assert.match(s, /^([\w.-]+\/[\w.-]+@[\w./-]+:[\w./-]+|inferstack [\w./-]+)$/, `${e.name}: ${s}`);
        }
    });

    it("lists the monitor's metrics exactly as services/monitor/src/metrics.ts declares them", () => {
        const src = readFileSync(path.join(repoRoot, "services", "monitor", "src", "metrics.ts"), "utf8");
        const declared = new Map<string, { type: string; labels: string[] }>();
        for (const m of src.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name: "([a-z0-9_]+)"[\s\S]*?labelNames: \[([^\]]*)\]/g)) {
            declared.set(m[2], { type: m[1].toLowerCase(), labels: [...m[3].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]) });
        }
        assert.ok(declared.size > 10, "parsed the monitor's metrics");
        for (const e of entries.filter((x) => x.sources.includes("inferstack services/monitor/src/metrics.ts"))) {
            const d = declared.get(e.name);
            assert.ok(d, `${e.name} is in the catalogue but services/monitor/src/metrics.ts does not declare it`);
            assert.equal(d.type, e.type, e.name);
            assert.deepEqual([...d.labels].sort(), [...e.labels].sort(), e.name);
        }
    });

    it("names the InferenceService condition metric as kube-state-metrics builds it from the rendered config", () => {
        for (const s of stacks) {
            const chart = renders[s]!.resources.find((r) => r.inputs["chart"] === "kube-prometheus-stack")!;
            const ksm = (chart.inputs["values"] as any)["kube-state-metrics"];
            assert.equal(ksm.customResourceState.enabled, true);
            for (const e of entries.filter((x) => x.customResource)) {
                const res = ksm.customResourceState.config.spec.resources.find((r: any) => r.groupVersionKind.kind === e.customResource.kind);
                assert.ok(res, `${s}: kube-state-metrics has no config for ${e.customResource.kind}`);
                assert.deepEqual(res.groupVersionKind, { group: e.customResource.group, version: e.customResource.version, kind: e.customResource.kind });
                // kube-state-metrics 2.20.0: metricNamePrefix defaults to kube_customresource.
                const prefix = res.metricNamePrefix ?? "kube_customresource";
                const metric = res.metrics.find((m: any) => `${prefix}_${m.name}` === e.name);
                assert.ok(metric, `${s}: no kube-state-metrics metric is named ${e.name}`);
                const labels = ["customresource_group", "customresource_version", "customresource_kind", ...Object.keys(res.labelsFromPath ?? {}), ...Object.keys(metric.each?.gauge?.labelsFromPath ?? {})];
                assert.deepEqual(labels.sort(), [...e.labels].sort(), e.name);
            }
            // The subchart's ServiceMonitor keeps exported labels (namespace = the InferenceService's).
            const kpsValues = yaml.load(readFileSync(path.join(upstream, "charts", "kube-prometheus-stack", "values.yaml"), "utf8")) as any;
            assert.equal(kpsValues["kube-state-metrics"].prometheus.monitor.enabled, true);
            assert.equal(kpsValues["kube-state-metrics"].prometheus.monitor.http.honorLabels, true);
        }
    });
});

for (const stack of stacks) {
    describe(`every rule and dashboard query uses exported metrics and labels (${stack} stack)`, () => {
        it("has rules and dashboards to check", () => {
            const q = queries(renders[stack]!);
            assert.ok(q.some((x) => x.where.startsWith("PrometheusRule")) && q.some((x) => x.where.startsWith("dashboard")));
        });

        it("uses only metrics the catalogue lists, scraped by a monitor the stack renders", () => {
            const render = renders[stack]!;
            const rendered = new Set(monitors(render).map((m) => m.metadata.name));
            const failures: string[] = [];
            for (const q of queries(render)) {
                for (const s of analyse(q.expr).selectors) {
                    const hit = series.get(s.metric);
                    if (!hit) failures.push(`${q.where}: ${s.metric} is exported by no pinned component (not in the catalogue)`);
                    else if (!hit.entry.scrapedBy.some((m) => rendered.has(m) || m.startsWith("kube-prometheus-stack:"))) failures.push(`${q.where}: nothing scrapes ${s.metric} (${hit.entry.scrapedBy.join(", ")} not rendered)`);
                }
            }
            assert.deepEqual(failures, []);
        });

        it("uses only labels the metric has (exported, or added by the monitor that scrapes it)", () => {
            const render = renders[stack]!;
            const allowed = (metric: string) => {
                const hit = series.get(metric);
                return hit ? new Set([...hit.entry.labels, ...hit.extra, ...addedLabels(render, hit.entry)]) : new Set<string>();
            };
            const failures: string[] = [];
            for (const q of queries(render)) {
                const { selectors, groupings } = analyse(q.expr);
                for (const s of selectors) for (const l of s.matchers) if (!allowed(s.metric).has(l)) failures.push(`${q.where}: ${s.metric} has no label ${l}`);
                for (const g of groupings) {
                    assert.ok(g.metrics.length > 0, `${q.where}: ${g.keyword} (${g.labels}) applies to no metric`);
                    for (const l of g.labels) for (const m of g.metrics) if (!allowed(m).has(l)) failures.push(`${q.where}: ${g.keyword} (${l}) but ${m} has no label ${l}`);
                }
            }
            assert.deepEqual(failures, []);
        });

        it("uses in legends only labels the query keeps", () => {
            const render = renders[stack]!;
            for (const cm of render.manifests.filter((m) => m.kind === "ConfigMap" && m.metadata.labels?.grafana_dashboard === "1") as any[]) {
                for (const json of Object.values(cm.data as Record<string, string>)) {
                    for (const p of JSON.parse(json).panels) {
                        for (const t of p.targets) {
                            for (const m of (t.legendFormat as string).matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
                                const { selectors, groupings } = analyse(t.expr);
                                const byLabels = groupings.filter((g) => g.keyword === "by").flatMap((g) => g.labels);
                                const kept = byLabels.length > 0 ? byLabels : selectors.flatMap((s) => [...series.get(s.metric)!.entry.labels]);
                                assert.ok(kept.includes(m[1]), `${p.title}: legend {{${m[1]}}} but the query keeps ${kept}`);
                            }
                        }
                    }
                }
            }
        });
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Pods of the pinned manifests, and which of them each monitor selects.

interface Pod {
    from: string;
    namespace: string;
    labels: Record<string, string>;
    containers: { name: string; ports: { name?: string; containerPort: number }[]; args?: string[] }[];
}

function loadAll(file: string): any[] {
    return (yaml.loadAll(readFileSync(file, "utf8")) as any[]).filter((d) => d && typeof d === "object");
}

function workloadPods(docs: any[], from: string, namespace: (doc: any) => string): Pod[] {
    return docs
        .filter((d) => ["Deployment", "StatefulSet", "DaemonSet"].includes(d.kind))
        .map((d) => ({
            from: `${from} ${d.kind}/${d.metadata.name}`,
            namespace: namespace(d),
            labels: d.spec.template.metadata.labels ?? {},
            containers: d.spec.template.spec.containers.map((c: any) => ({ name: c.name, ports: c.ports ?? [], args: c.args })),
        }));
}

/** The kserve-resources chart's controller Deployment with the chart's own patch, rendered with the values given. */
function kserveControllerPods(values: any, namespace: string): Pod[] {
    const chartDir = path.join(upstream, "charts", "kserve-resources");
    const chartValues = yaml.load(readFileSync(path.join(chartDir, "values.yaml"), "utf8")) as any;
    const merged = deepMergeValues(chartValues, values);
    const base = loadAll(path.join(chartDir, "files", "kserve", "resources.yaml")).find((d) => d.kind === "Deployment" && d.metadata.name === "kserve-controller-manager");
    // The patch is a Go template: substitute the `.Values...` references it uses inline, drop block actions.
    const template = readFileSync(path.join(chartDir, "files", "kserve", "deployment-patch.yaml"), "utf8");
    const text = template
        .split("\n")
        .filter((l) => !/^\s*\{\{-?\s*(if|with|end|else|toYaml|range)\b.*\}\}\s*$/.test(l))
        .map((l) =>
            l.replace(/\{\{\s*\.Values\.([\w.]+)(\s*\|\s*default\s+\.Values\.([\w.]+))?\s*\}\}/g, (_, p: string, _d, alt?: string) => {
                const get = (q: string) => q.split(".").reduce((o: any, k) => o?.[k], merged);
                return String(get(p) ?? (alt ? get(alt) : ""));
            }),
        )
        .join("\n");
    assert.ok(!text.includes("{{"), `unhandled template action in deployment-patch.yaml:\n${text}`);
    const patch = (yaml.loadAll(text) as any[]).find((d) => d?.kind === "Deployment");
    const deployment = chartDeepMerge(base, patch);
    return workloadPods([deployment], "kserve-resources chart (resources.yaml + deployment-patch.yaml)", () => namespace);
}

function deepMergeValues(a: any, b: any): any {
    if (!b || typeof b !== "object" || Array.isArray(b)) return b ?? a;
    const out = { ...(a ?? {}) };
    for (const [k, v] of Object.entries(b)) out[k] = deepMergeValues(a?.[k], v);
    return out;
}

/** The chart's deepMerge (templates/_utils.tpl): maps recursively, arrays of named items by name, others replaced. */
function chartDeepMerge(base: any, patch: any): any {
    if (patch === undefined || patch === null) return base;
    if (Array.isArray(patch) && Array.isArray(base) && patch.length > 0 && typeof patch[0] === "object" && "name" in patch[0]) {
        const out = base.map((b: any) => {
            const p = patch.find((x: any) => x.name === b.name);
            return p ? chartDeepMerge(b, p) : b;
        });
        for (const p of patch) if (!base.some((b: any) => b.name === p.name)) out.push(p);
        return out;
    }
    if (typeof patch === "object" && !Array.isArray(patch) && base && typeof base === "object" && !Array.isArray(base)) {
        const out = { ...base };
        for (const [k, v] of Object.entries(patch)) out[k] = chartDeepMerge(base[k], v);
        return out;
    }
    return patch;
}

/** The pods Knative runs for a Knative Service's first revision, as the catalogue's pod facts describe them. */
function revisionPod(ksvcName: string, namespace: string, template: any, from: string): Pod {
    const facts = catalogue.podFacts.knativeRevisionPod;
    const fill = (v: string) => v.replace("<ksvc>", ksvcName).replace("<uid>", "00000000-0000-0000-0000-000000000000");
    const knativeLabels = Object.fromEntries(Object.entries(facts.labels as Record<string, string>).map(([k, v]) => [k, fill(v)]));
    if (template.metadata?.labels?.app) delete knativeLabels["app"];
    return {
        from,
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), ...knativeLabels },
        containers: [
            ...template.spec.containers.map((c: any) => ({ name: c.name ?? "user-container", ports: c.ports ?? [], args: c.args })),
            { name: "queue-proxy", ports: facts.queueProxyPorts },
        ],
    };
}

function podsOf(render: Render): Pod[] {
    const knative = path.join(upstream, "knative");
    const servingNs = (render.manifests.find((m) => m.kind === "KnativeServing") as KubernetesObject).metadata.namespace!;
    const eventingNs = (render.manifests.find((m) => m.kind === "KnativeEventing") as KubernetesObject).metadata.namespace!;
    const pods: Pod[] = [];
    // The operator installs its bundled manifests into the namespace of the KnativeServing/KnativeEventing.
    for (const f of ["knative-serving/1.23.0/2-serving-core.yaml", "ingress/1.23/kourier/kourier.yaml"]) {
        pods.push(...workloadPods(loadAll(path.join(knative, "operator-kodata", f)), `knative/operator kodata ${f}`, () => servingNs));
    }
    for (const f of ["2-eventing-core.yaml", "4-in-memory-channel.yaml", "5-mt-channel-broker.yaml"]) {
        pods.push(...workloadPods(loadAll(path.join(knative, "operator-kodata", "knative-eventing", "1.23.0", f)), `knative/operator kodata ${f}`, () => eventingNs));
    }
    for (const f of ["500-receiver.yaml", "500-dispatcher.yaml"]) {
        pods.push(...workloadPods(loadAll(path.join(knative, "eventing-kafka-broker", "data-plane", "config", "broker", f)), `eventing-kafka-broker ${f}`, () => eventingNs));
    }
    const kserve = render.resources.find((r) => r.inputs["chart"] === "oci://ghcr.io/kserve/charts/kserve-resources")!;
    pods.push(...kserveControllerPods(kserve.inputs["values"], kserve.inputs["namespace"] as string));
    for (const ksvc of render.manifests.filter((m) => m.kind === "Service" && m.apiVersion === "serving.knative.dev/v1") as any[]) {
        pods.push(revisionPod(ksvc.metadata.name, ksvc.metadata.namespace, ksvc.spec.template, `rendered Knative Service ${ksvc.metadata.name}`));
    }
    const predictor = catalogue.podFacts.kservePredictorPod;
    for (const isvc of render.manifests.filter((m) => m.kind === "InferenceService") as any[]) {
        const name = isvc.metadata.name;
        const template = {
            metadata: { labels: { ...(isvc.metadata.labels ?? {}), ...Object.fromEntries(Object.entries(predictor.labels as Record<string, string>).map(([k, v]) => [k, v.replace("<isvc>", name)])) } },
            spec: { containers: [{ name: predictor.containerName, ports: [{ containerPort: predictor.containerPort }] }] },
        };
        pods.push(revisionPod(predictor.ksvcName.replace("<isvc>", name), isvc.metadata.namespace, template, `rendered InferenceService ${name} (predictor)`));
    }
    return pods;
}

function selects(selector: any, labels: Record<string, string>): boolean {
    for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector?.matchExpressions ?? []) {
        const has = e.key in labels;
        if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
        if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
        if (e.operator === "Exists" && !has) return false;
        if (e.operator === "DoesNotExist" && has) return false;
    }
    return true;
}

/** Whether a container serves `port` on the pod IP: declared, and not bound to loopback by its arguments. */
function serves(pod: Pod, ep: { portNumber?: number; port?: string }): boolean {
    return pod.containers.some((c) => {
        const p = c.ports.find((x) => (ep.port ? x.name === ep.port : x.containerPort === ep.portNumber));
        if (!p) return false;
        const loopback = (c.args ?? []).some((a) => new RegExp(`=(127\\.0\\.0\\.1|localhost|\\[::1\\]):${p.containerPort}$`).test(a));
        return !loopback;
    });
}

for (const stack of stacks) {
    describe(`every monitor scrapes a real pod and port of the pinned manifests (${stack} stack)`, () => {
        it("selects at least one pod per monitor, and each selected pod serves the scraped port", () => {
            const render = renders[stack]!;
            const pods = podsOf(render);
            const ms = monitors(render);
            assert.ok(ms.length >= 5, "monitors rendered");
            const failures: string[] = [];
            for (const m of ms) {
                const namespaces: string[] = m.spec.namespaceSelector?.any ? [...new Set(pods.map((p) => p.namespace))] : (m.spec.namespaceSelector?.matchNames ?? [m.metadata.namespace]);
                const selected = pods.filter((p) => namespaces.includes(p.namespace) && selects(m.spec.selector, p.labels));
                if (selected.length === 0) {
                    failures.push(`${m.kind} ${m.metadata.name} selects no pod in ${namespaces}`);
                    continue;
                }
                for (const ep of m.spec.podMetricsEndpoints ?? m.spec.endpoints) {
                    for (const p of selected) if (!serves(p, ep)) failures.push(`${m.kind} ${m.metadata.name}: ${p.from} does not serve port ${ep.port ?? ep.portNumber} on its pod IP`);
                }
            }
            assert.deepEqual(failures, []);
        });

        it("scrapes every component whose metrics the rules use, and the queue-proxy with the revision labels", () => {
            const render = renders[stack]!;
            const qp = monitors(render).find((m) => m.metadata.name === "knative-queue-proxy");
            const targets = qp.spec.podMetricsEndpoints[0].relabelings.map((r: any) => [r.sourceLabels[0], r.targetLabel]);
            assert.deepEqual(targets, [
                ["__meta_kubernetes_pod_label_serving_knative_dev_revision", "kn_revision_name"],
                ["__meta_kubernetes_pod_label_serving_knative_dev_service", "kn_service_name"],
                ["__meta_kubernetes_pod_label_serving_knative_dev_configuration", "kn_configuration_name"],
            ]);
            assert.equal(monitors(render).filter((m) => m.metadata.name === "kserve-model-servers").length, 0, "nothing listens on KServe's 9088 without qpext");
        });
    });
}

// ---------------------------------------------------------------------------------------------------------------
// A small PromQL reader: the metric selectors of an expression (name and label matchers) and the labels its
// grouping clauses (by, without, on, ignoring, group_left/right) name, each with the metrics of the expression part
// it applies to. Enough for the rules and dashboards inferstack renders; not a full parser.

interface Selector {
    metric: string;
    /** Label names of the matchers (`{a="x", b=~"y"}`). */
    matchers: string[];
    /** Token index, to place the selector inside grouping spans. */
    at: number;
}

interface Grouping {
    keyword: string;
    labels: string[];
    /** The metric names this grouping applies to. */
    metrics: string[];
}

const aggregators = new Set(["sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group", "limitk", "limit_ratio"]);
const keywords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"]);

type Token = { kind: "ident" | "string" | "number" | "punct" | "duration"; text: string };

function tokenize(expr: string): Token[] {
    const out: Token[] = [];
    let i = 0;
    while (i < expr.length) {
        const c = expr[i];
        if (/\s/.test(c)) {
            i++;
        } else if (c === '"' || c === "'" || c === "`") {
            let j = i + 1;
            while (j < expr.length && expr[j] !== c) j += expr[j] === "\\" ? 2 : 1;
            out.push({ kind: "string", text: expr.slice(i + 1, j) });
            i = j + 1;
        } else if (c === "[") {
            const j = expr.indexOf("]", i);
            out.push({ kind: "duration", text: expr.slice(i + 1, j) });
            i = j + 1;
        } else if (/[A-Za-z_:]/.test(c)) {
            const m = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(expr.slice(i))!;
            out.push({ kind: "ident", text: m[0] });
            i += m[0].length;
        } else if (/[0-9.]/.test(c)) {
            const m = /^[0-9.]+(e[+-]?[0-9]+)?/i.exec(expr.slice(i))!;
            out.push({ kind: "number", text: m[0] });
            i += m[0].length;
        } else {
            const two = expr.slice(i, i + 2);
            const op = ["=~", "!~", "!=", "==", ">=", "<="].includes(two) ? two : c;
            out.push({ kind: "punct", text: op });
            i += op.length;
        }
    }
    return out;
}

/** Index of the token closing the bracket opened at `open`. */
function closing(tokens: Token[], open: number): number {
    const [o, c] = tokens[open].text === "(" ? ["(", ")"] : ["{", "}"];
    let depth = 0;
    for (let k = open; k < tokens.length; k++) {
        if (tokens[k].kind !== "punct") continue;
        if (tokens[k].text === o) depth++;
        if (tokens[k].text === c && --depth === 0) return k;
    }
    throw new Error(`unbalanced ${o}`);
}

function labelList(tokens: Token[], open: number): string[] {
    const end = closing(tokens, open);
    return tokens.slice(open + 1, end).filter((t) => t.kind === "ident").map((t) => t.text);
}

function analyse(expr: string): { selectors: Selector[]; groupings: Grouping[] } {
    const tokens = tokenize(expr);
    const selectors: Selector[] = [];
    const groupingSpans: { keyword: string; labels: string[]; from: number; to: number }[] = [];
    for (let k = 0; k < tokens.length; k++) {
        const t = tokens[k];
        const next = tokens[k + 1];
        if (t.kind === "punct" && t.text === "{") {
            // A selector without a metric name ({__name__=...}) is not used here.
            const prev = tokens[k - 1];
            if (!prev || prev.kind !== "ident") throw new Error(`selector without a metric name in: ${expr}`);
            k = closing(tokens, k);
            continue;
        }
        if (t.kind !== "ident") continue;
        if (keywords.has(t.text)) {
            if (["by", "without", "on", "ignoring", "group_left", "group_right"].includes(t.text) && next?.text === "(") {
                const labels = labelList(tokens, k + 1);
                const after = closing(tokens, k + 1);
                if (t.text === "by" || t.text === "without") {
                    if (tokens[after + 1]?.text === "(") {
                        // `agg by (l) (expr)`
                        groupingSpans.push({ keyword: t.text, labels, from: after + 1, to: closing(tokens, after + 1) });
                    } else {
                        // `agg (expr) by (l)`: the argument is the bracket group just before the keyword.
                        let open = k - 1;
                        for (let depth = 0; open >= 0; open--) {
                            if (tokens[open].text === ")") depth++;
                            if (tokens[open].text === "(" && --depth === 0) break;
                        }
                        groupingSpans.push({ keyword: t.text, labels, from: open, to: k - 1 });
                    }
                } else {
                    // Vector matching applies to both sides: the whole expression.
                    groupingSpans.push({ keyword: t.text, labels, from: 0, to: tokens.length - 1 });
                }
                k = after;
            }
            continue;
        }
        if (next?.kind === "punct" && next.text === "(" && !aggregators.has(t.text)) continue; // function call
        if (aggregators.has(t.text)) continue;
        const matchers: string[] = [];
        if (next?.kind === "punct" && next.text === "{") {
            const end = closing(tokens, k + 1);
            for (let j = k + 2; j < end; j++) {
                if (tokens[j].kind === "ident" && tokens[j + 1]?.kind === "punct" && ["=", "!=", "=~", "!~"].includes(tokens[j + 1].text)) matchers.push(tokens[j].text);
            }
        }
        selectors.push({ metric: t.text, matchers, at: k });
    }
    const groupings = groupingSpans.map((g) => ({
        keyword: g.keyword,
        labels: g.labels,
        metrics: selectors.filter((s) => s.at > g.from && s.at < g.to).map((s) => s.metric),
    }));
    return { selectors, groupings };
}

/**
 * Strict offline validation of Kubernetes objects against upstream schemas (our own code; the schemas it reads are
 * upstream data, vendored in test/upstream/schemas/ with their sources in SOURCES.md).
 *
 * Each object is checked by every source that knows its apiVersion + kind:
 * - `crd`: ajv against `spec.versions[].schema.openAPIV3Schema` of the vendored CRDs (KServe, Knative Serving,
 *   Eventing and Operator, prometheus-operator), as the API server's structural schema would;
 * - `k8s-v1.35.0`: ajv against the Kubernetes OpenAPI (swagger) definitions, for core kinds;
 * - `model`: the `validate()` of @kubernetes-models/knative and @kubernetes-models/prometheus-operator (they know
 *   required fields the loose Knative Eventing CRDs leave out, e.g. a Trigger's `subscriber`);
 * - `meta`: the API server's syntax rules no schema carries: metadata.name / namespace / generateName, label keys
 *   and values, annotation keys and size, also in pod templates and `matchLabels`.
 *
 * Strict by default, like `kubectl apply --validate=strict`: a field the schema does not declare is an error
 * (the API server would otherwise prune it silently), `x-kubernetes-preserve-unknown-fields` is honoured,
 * `x-kubernetes-int-or-string` accepts both, `x-kubernetes-list-type` map/set lists must not repeat a key.
 * An object whose kind has no schema fails, unless its apiVersion/kind is in SCHEMALESS_KINDS.
 * Not checked: CEL rules (`x-kubernetes-validations`), formats, admission webhooks and defaulting.
 *
 * Schemas are read and compiled once per process, lazily, per kind and mode, and cached.
 *
 * CLI: `npm run validate -- [--lenient] [--partial] [--quiet] FILE_OR_DIR...` (multi-document .yaml/.yml, or
 * .json holding one object, an array or a List; directories are walked). One line per object, then
 * `N passed, N failed`; exit 1 when anything failed, 2 on bad usage. A file named `patches.yaml` (what
 * `npm run render` writes for server-side-apply patches) is validated as partial objects.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import * as yaml from "js-yaml";
import { CommandSpec, EXIT_FAILED, EXIT_OK, EXIT_USAGE, OptionSpec, UsageError, describeError, exitAfterFlush, helpText, parseCommandLine, usageMessage } from "./cli";

/** The vendored upstream schemas (test data, not shipped). */
export const schemasDir = path.resolve(__dirname, "..", "test", "upstream", "schemas");

/**
 * apiVersion + kind ("group/version/Kind", core group empty: "/v1/Kind") that may pass without a schema, each with
 * its justification. Empty: every kind the project renders has a vendored schema.
 */
export const SCHEMALESS_KINDS: Readonly<Record<string, string>> = {};

export interface ValidateOptions {
    /** Unknown fields are errors (default true); false prunes them silently, as the API server does. */
    strict?: boolean;
    /** Partial objects (server-side-apply patches): required fields are not enforced. */
    partial?: boolean;
}

export interface ObjectResult {
    /** "apiVersion Kind namespace/name" */
    ref: string;
    apiVersion: string;
    kind: string;
    name?: string;
    namespace?: string;
    valid: boolean;
    /** The sources that checked it (crd, k8s-v1.35.0, model, meta); empty when no schema knows the kind. */
    sources: string[];
    /** "source: /json/path message", one per problem. */
    errors: string[];
    /** Why an object without a schema passed (SCHEMALESS_KINDS). */
    note?: string;
}

type Json = any;

// ---------------------------------------------------------------------------------------------------------------
// Schema index: which schema knows which group/version/kind (mode-independent, read once).

interface CrdVersion {
    file: string;
    schema: Json;
}

interface SchemaIndex {
    crds: Map<string, CrdVersion>; // group/version/Kind -> schema
    crdVersions: Map<string, string[]>; // group/Kind -> served versions
    k8sDefs: Record<string, Json>; // swagger definitions
    k8sByGvk: Map<string, string>; // group/version/Kind -> definition name
    k8sVersions: Map<string, string[]>; // group/Kind -> versions
    k8sLabel: string;
}

let index: SchemaIndex | undefined;

function walkFiles(dir: string, pattern: RegExp): string[] {
    return readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => a.name.localeCompare(b.name))
        .flatMap((e) => (e.isDirectory() ? walkFiles(path.join(dir, e.name), pattern) : pattern.test(e.name) ? [path.join(dir, e.name)] : []));
}

function push(map: Map<string, string[]>, key: string, value: string): void {
    const list = map.get(key) ?? [];
    if (!list.includes(value)) list.push(value);
    map.set(key, list);
}

function loadIndex(): SchemaIndex {
    if (index) return index;
    if (!existsSync(schemasDir)) throw new Error(`no schemas at ${schemasDir}`);
    const crds = new Map<string, CrdVersion>();
    const crdVersions = new Map<string, string[]>();
    for (const file of walkFiles(schemasDir, /\.ya?ml$/)) {
        for (const doc of yaml.loadAll(readFileSync(file, "utf8")) as Json[]) {
            if (doc?.kind !== "CustomResourceDefinition") continue;
            const { group, names } = doc.spec;
            for (const v of doc.spec.versions ?? []) {
                if (!v.served) continue;
                push(crdVersions, `${group}/${names.kind}`, v.name);
                const schema = v.schema?.openAPIV3Schema ?? doc.spec.validation?.openAPIV3Schema;
                if (schema) crds.set(`${group}/${v.name}/${names.kind}`, { file: path.relative(schemasDir, file), schema });
            }
        }
    }
    const swaggers = walkFiles(path.join(schemasDir, "kubernetes"), /\.json$/);
    if (swaggers.length !== 1) throw new Error(`expected one Kubernetes OpenAPI file in ${schemasDir}/kubernetes, found ${swaggers.length}`);
    const spec = JSON.parse(readFileSync(swaggers[0], "utf8")) as { definitions: Record<string, Json> };
    const k8sByGvk = new Map<string, string>();
    const k8sVersions = new Map<string, string[]>();
    for (const [name, d] of Object.entries(spec.definitions)) {
        for (const g of (d["x-kubernetes-group-version-kind"] ?? []) as { group: string; version: string; kind: string }[]) {
            const key = `${g.group}/${g.version}/${g.kind}`;
            if (!k8sByGvk.has(key)) k8sByGvk.set(key, name);
            push(k8sVersions, `${g.group}/${g.kind}`, g.version);
        }
    }
    const k8sLabel = path.basename(swaggers[0], ".json").replace(/^swagger-?/, "k8s-");
    index = { crds, crdVersions, k8sDefs: spec.definitions, k8sByGvk, k8sVersions, k8sLabel };
    return index;
}

// ---------------------------------------------------------------------------------------------------------------
// Structural schema (Kubernetes OpenAPI) -> ajv JSON Schema.

const DROP = new Set(["description", "example", "externalDocs", "default", "nullable", "format", "title"]);
const JUNCTORS = new Set(["allOf", "anyOf", "oneOf", "not"]);

interface Mode {
    strict: boolean;
    partial: boolean;
}

function toAjv(s: Json, mode: Mode, inJunctor = false): Json {
    if (Array.isArray(s)) return s.map((x) => toAjv(x, mode, inJunctor));
    if (!s || typeof s !== "object") return s;
    const out: Json = {};
    for (const [k, v] of Object.entries(s as Record<string, Json>)) {
        if (DROP.has(k) || k.startsWith("x-")) continue;
        if (k === "required" && mode.partial) continue;
        if (k === "properties" || k === "patternProperties" || k === "definitions") {
            out[k] = Object.fromEntries(Object.entries(v as Record<string, Json>).map(([n, sub]) => [n, toAjv(sub, mode, inJunctor)]));
        } else if (k === "items" || k === "additionalProperties") {
            out[k] = typeof v === "object" ? toAjv(v, mode, inJunctor) : v;
        } else if (JUNCTORS.has(k)) {
            // Junctors only restrict values; fields they mention are declared (or not) by the enclosing schema.
            out[k] = toAjv(v, mode, true);
        } else {
            out[k] = v;
        }
    }
    if (s["x-kubernetes-int-or-string"] || s.format === "int-or-string") {
        delete out.type;
        out.anyOf ??= [{ type: "integer" }, { type: "string" }];
    }
    if (s.nullable && out.type) out.type = [out.type, "null"].flat();
    if (s["x-kubernetes-embedded-resource"]) {
        out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: OBJECT_META, ...out.properties };
        if (!mode.partial) out.required = [...new Set([...(out.required ?? []), "apiVersion", "kind"])];
    }
    if (s["x-kubernetes-list-type"] === "set") out.uniqueItems = true;
    if (s["x-kubernetes-list-type"] === "map" && Array.isArray(s["x-kubernetes-list-map-keys"])) out.k8sListMapKeys = s["x-kubernetes-list-map-keys"];
    // Pruning: a field the schema does not declare is dropped by the API server unless preserve-unknown-fields.
    const isObject = out.type === "object" || (out.type === undefined && out.properties !== undefined);
    if (mode.strict && !inJunctor && isObject && out.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"] && !out.$ref) {
        out.additionalProperties = false;
    }
    return out;
}

// The grammar of k8s.io/apimachinery resource.Quantity (the OpenAPI says only "string"); YAML may give a number.
const QUANTITY = "^[+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";
const OBJECT_META = { $ref: "k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" };

function k8sDefinitions(defs: Record<string, Json>, mode: Mode): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const [name, d] of Object.entries(defs)) {
        if (name === "io.k8s.apimachinery.pkg.api.resource.Quantity") out[name] = { anyOf: [{ type: "string", pattern: QUANTITY }, { type: "number" }] };
        else if (name === "io.k8s.apimachinery.pkg.util.intstr.IntOrString") out[name] = { anyOf: [{ type: "integer" }, { type: "string" }] };
        // RawExtension, JSON, FieldsV1 and the like: free-form.
        else if (!d.properties && (!d.type || d.type === "object") && !d.additionalProperties) out[name] = {};
        else out[name] = toAjv(d, mode);
    }
    return out;
}

// Upstream patterns are Go (RE2) regexps: a leading inline flag group such as "(?i)" becomes a JS flag; a
// pattern JS cannot compile is not enforced and is reported by schemaStats().
const unsupportedPatterns = new Set<string>();
function goRegExp(source: string, flags: string): RegExp {
    let f = flags;
    const src = source.replace(/\(\?([imsU]+)\)/g, (_, fl: string) => {
        for (const c of fl.replace("U", "")) if (!f.includes(c)) f += c;
        return "";
    });
    try {
        return new RegExp(src, f);
    } catch {
        unsupportedPatterns.add(source);
        return /(?:)/;
    }
}
goRegExp.code = "goRegExp";

/** One ajv instance per mode, with the Kubernetes definitions and the compiled validators of that mode. */
interface Catalog {
    ajv: Ajv;
    compiled: Map<string, ValidateFunction>;
}
const catalogs = new Map<string, Catalog>();

function catalog(mode: Mode): Catalog {
    const key = `${mode.strict}/${mode.partial}`;
    let c = catalogs.get(key);
    if (!c) {
        const ajv = new Ajv({
            strict: false,
            allErrors: true,
            validateFormats: false,
            validateSchema: false,
            unicodeRegExp: false,
            code: { regExp: goRegExp, optimize: false },
        });
        ajv.addKeyword({
            keyword: "k8sListMapKeys",
            type: "array",
            schemaType: "array",
            errors: true,
            validate: function listMapKeys(keys: string[], data: Json[]): boolean {
                const seen = new Set<string>();
                const errors: Partial<ErrorObject>[] = [];
                for (const item of data) {
                    if (!item || typeof item !== "object") continue;
                    const k = JSON.stringify(keys.map((name) => item[name]));
                    if (seen.has(k)) errors.push({ keyword: "k8sListMapKeys", message: `has a duplicate entry for key ${keys.map((n) => `${n}=${JSON.stringify(item[n])}`).join(",")}`, params: { keys } });
                    seen.add(k);
                }
                (listMapKeys as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
                return errors.length === 0;
            },
        });
        ajv.addSchema({ $id: "k8s", definitions: k8sDefinitions(loadIndex().k8sDefs, mode) });
        c = { ajv, compiled: new Map() };
        catalogs.set(key, c);
    }
    return c;
}

/**
 * Moves every subschema that occurs more than once (and is not tiny) into `definitions`, referenced by `$ref`,
 * so ajv generates its code once. Generated CRDs repeat whole subtrees (KServe's InferenceService has the PodSpec
 * and Container schemas dozens of times): this makes its compilation several times faster. Same semantics: only
 * schema positions are shared, never a `properties` map or a keyword's data.
 */
function hoistRepeated(root: Json, minWeight = 12): Json {
    const MAPS = new Set(["properties", "patternProperties", "definitions"]);
    const SCHEMA_OR_LIST = new Set(["items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"]);
    const bySignature = new Map<string, number>();
    const nodes: { count: number; weight: number }[] = [];
    const idOf = new Map<object, number>();
    // Post-order: a schema's signature names its subschemas by id, so equal subtrees get equal ids.
    const schemaToken = (s: Json): [string, number] => {
        if (Array.isArray(s)) {
            const parts = s.map(schemaToken);
            return [`[${parts.map((p) => p[0]).join(",")}]`, parts.reduce((n, p) => n + p[1], 0)];
        }
        if (!s || typeof s !== "object") return [JSON.stringify(s), 0];
        let weight = 1;
        const fields = Object.entries(s).map(([k, v]) => {
            let t: string;
            if (MAPS.has(k) && v && typeof v === "object") {
                t = `{${Object.entries(v as Record<string, Json>)
                    .map(([n, sub]) => {
                        const [st, w] = schemaToken(sub);
                        weight += w;
                        return `${JSON.stringify(n)}:${st}`;
                    })
                    .join(",")}}`;
            } else if (SCHEMA_OR_LIST.has(k)) {
                const [st, w] = schemaToken(v);
                weight += w;
                t = st;
            } else t = JSON.stringify(v);
            return `${JSON.stringify(k)}:${t}`;
        });
        const sig = `{${fields.join(",")}}`;
        let id = bySignature.get(sig);
        if (id === undefined) {
            id = nodes.length;
            bySignature.set(sig, id);
            nodes.push({ count: 0, weight });
        }
        nodes[id].count++;
        idOf.set(s, id);
        return [`#${id}`, weight];
    };
    schemaToken(root);
    const definitions: Record<string, Json> = {};
    const rebuild = (s: Json, top = false): Json => {
        if (Array.isArray(s)) return s.map((x) => rebuild(x));
        if (!s || typeof s !== "object") return s;
        const copy = () =>
            Object.fromEntries(
                Object.entries(s).map(([k, v]) => [
                    k,
                    MAPS.has(k) && v && typeof v === "object"
                        ? Object.fromEntries(Object.entries(v as Record<string, Json>).map(([n, sub]) => [n, rebuild(sub)]))
                        : SCHEMA_OR_LIST.has(k)
                          ? rebuild(v)
                          : v,
                ]),
            );
        const id = idOf.get(s)!;
        if (top || nodes[id].count < 2 || nodes[id].weight < minWeight) return copy();
        const name = `shared${id}`;
        if (!(name in definitions)) {
            definitions[name] = true; // placeholder while building: a schema never contains itself
            definitions[name] = copy();
        }
        return { $ref: `#/definitions/${name}` };
    };
    const out = rebuild(root, true);
    if (Object.keys(definitions).length) out.definitions = { ...out.definitions, ...definitions };
    return out;
}

function crdValidator(gvk: string, mode: Mode): ValidateFunction {
    const c = catalog(mode);
    let v = c.compiled.get(`crd:${gvk}`);
    if (!v) {
        const root = toAjv(loadIndex().crds.get(gvk)!.schema, mode);
        root.properties = { ...root.properties, apiVersion: { type: "string" }, kind: { type: "string" }, metadata: OBJECT_META };
        v = c.ajv.compile(hoistRepeated(root));
        c.compiled.set(`crd:${gvk}`, v);
    }
    return v;
}

function k8sValidator(gvk: string, mode: Mode): ValidateFunction {
    const c = catalog(mode);
    let v = c.compiled.get(`k8s:${gvk}`);
    if (!v) {
        v = c.ajv.compile({ $ref: `k8s#/definitions/${loadIndex().k8sByGvk.get(gvk)}` });
        c.compiled.set(`k8s:${gvk}`, v);
    }
    return v;
}

// ---------------------------------------------------------------------------------------------------------------
// kubernetes-models packages (ESM, loaded on demand).

type Model = new (data: unknown) => { validate(): void };
const MODEL_PACKAGES = [
    { pkg: "@kubernetes-models/knative", groups: /\.knative\.dev$/ },
    { pkg: "@kubernetes-models/prometheus-operator", groups: /^monitoring\.coreos\.com$/ },
];
// False positives of the Go-type-derived models (they reuse the core Container type): Knative's webhook names
// unnamed containers and points probes without a port at the serving port
// (knative/serving pkg/apis/serving/v1/revision_defaults.go); Knative's own CRD schema agrees.
const MODEL_IGNORE: ((group: string, e: Partial<ErrorObject>) => boolean)[] = [
    (group, e) => group === "serving.knative.dev" && e.params?.missingProperty === "name" && /\/(containers|initContainers)\/\d+$/.test(e.instancePath ?? ""),
    (group, e) => group === "serving.knative.dev" && e.params?.missingProperty === "port" && /\/(livenessProbe|readinessProbe|startupProbe)\/(httpGet|tcpSocket|grpc)$/.test(e.instancePath ?? ""),
];
const models = new Map<string, Promise<Model | undefined>>();

function modelFor(group: string, version: string, kind: string): Promise<Model | undefined> {
    const key = `${group}/${version}/${kind}`;
    let m = models.get(key);
    if (!m) {
        m = (async () => {
            for (const { pkg } of MODEL_PACKAGES.filter((p) => p.groups.test(group))) {
                try {
                    const mod = (await import(`${pkg}/${group}/${version}/${kind}`)) as Record<string, Model | undefined>;
                    if (mod[kind]) return mod[kind];
                } catch {
                    // no model for this kind
                }
            }
            return undefined;
        })();
        models.set(key, m);
    }
    return m;
}

// ---------------------------------------------------------------------------------------------------------------
// API-server rules no schema carries (k8s.io/apimachinery/pkg/util/validation, apimachinery ValidateObjectMeta).

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

const isDns1123Label = (n: string) => n.length <= 63 && DNS1123_LABEL.test(n);
const isDns1123Subdomain = (n: string) => n.length <= 253 && DNS1123_SUBDOMAIN.test(n);
const isDns1035Label = (n: string) => n.length <= 63 && DNS1035_LABEL.test(n);

/** A label or annotation key: an optional DNS-subdomain prefix (<= 253) and "/", then a name (<= 63). */
function isQualifiedName(key: string): boolean {
    const parts = key.split("/");
    if (parts.length > 2) return false;
    const name = parts[parts.length - 1];
    if (parts.length === 2 && (parts[0].length === 0 || !isDns1123Subdomain(parts[0]))) return false;
    return name.length > 0 && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

function isLabelValue(v: string): boolean {
    return v.length <= 63 && LABEL_VALUE.test(v);
}

/**
 * metadata.name rule per kind: the API server's (core Service: DNS-1035 label; Namespace: DNS-1123 label; RBAC:
 * path segment; Job: <= 63, it becomes a label value), KServe's webhook for InferenceService/InferenceGraph
 * (a DNS-1035 label), Knative Serving Service/Route (fronted by a Kubernetes Service of the same name), otherwise
 * a DNS-1123 subdomain.
 */
function nameRule(group: string, kind: string): [string, (n: string) => boolean] {
    if (group === "" && kind === "Service") return ["a DNS-1035 label", isDns1035Label];
    if (group === "" && kind === "Namespace") return ["a DNS-1123 label", isDns1123Label];
    if (group === "rbac.authorization.k8s.io") return ["a path segment", (n) => !/[/%]/.test(n) && n !== "." && n !== ".."];
    if (group === "batch" && kind === "Job") return ["a DNS-1123 subdomain of at most 63 characters", (n) => n.length <= 63 && isDns1123Subdomain(n)];
    if (group === "serving.kserve.io" && (kind === "InferenceService" || kind === "InferenceGraph")) return ["a DNS-1035 label", isDns1035Label];
    if (group === "serving.knative.dev" && (kind === "Service" || kind === "Route")) return ["a DNS-1035 label", isDns1035Label];
    return ["a DNS-1123 subdomain", isDns1123Subdomain];
}

function labelErrors(labels: unknown, at: string): string[] {
    if (!labels || typeof labels !== "object") return [];
    const errs: string[] = [];
    for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
        if (!isQualifiedName(k)) errs.push(`${at} key '${k}' is not a qualified name`);
        if (typeof v === "string" && !isLabelValue(v)) errs.push(`${at}/${k} value '${v}' is not a valid label value (<= 63 characters, alphanumeric, '-', '_' or '.' inside)`);
    }
    return errs;
}

function annotationErrors(annotations: unknown, at: string): string[] {
    if (!annotations || typeof annotations !== "object") return [];
    const errs: string[] = [];
    let size = 0;
    for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
        if (!isQualifiedName(k.toLowerCase())) errs.push(`${at} key '${k}' is not a qualified name`);
        size += k.length + (typeof v === "string" ? v.length : 0);
    }
    if (size > TOTAL_ANNOTATION_SIZE) errs.push(`${at} total size ${size} is over ${TOTAL_ANNOTATION_SIZE} bytes`);
    return errs;
}

function metaErrors(obj: Json, group: string, partial: boolean): string[] {
    const m = obj.metadata;
    if (!m || typeof m !== "object") return ["/metadata is required"];
    const errs: string[] = [];
    const [what, ok] = nameRule(group, obj.kind);
    if (m.name === undefined) {
        if (m.generateName === undefined && !partial) errs.push("/metadata/name is required");
    } else if (typeof m.name !== "string" || !ok(m.name)) errs.push(`/metadata/name '${m.name}' is not ${what}`);
    if (typeof m.generateName === "string" && !ok(m.generateName.replace(/-$/, "") || "a")) errs.push(`/metadata/generateName '${m.generateName}' is not a prefix of ${what}`);
    if (m.namespace !== undefined && (typeof m.namespace !== "string" || !isDns1123Label(m.namespace))) errs.push(`/metadata/namespace '${m.namespace}' is not a DNS-1123 label`);
    // The object's own metadata, then nested ones (pod and revision templates) and label selectors.
    const walk = (v: Json, at: string, key: string): void => {
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}/${i}`, ""));
        else if (v && typeof v === "object") {
            if (key === "metadata") {
                errs.push(...labelErrors(v.labels, `${at}/labels`), ...annotationErrors(v.annotations, `${at}/annotations`));
            } else if (key === "matchLabels") {
                errs.push(...labelErrors(v, at));
                return;
            }
            for (const [k, x] of Object.entries(v)) walk(x, `${at}/${k}`, k);
        }
    };
    walk(m, "/metadata", "metadata");
    for (const [k, v] of Object.entries(obj)) if (k !== "metadata" && k !== "data" && k !== "stringData" && k !== "binaryData") walk(v, `/${k}`, k);
    return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation.

function describe(errors: Partial<ErrorObject>[]): string[] {
    const branch = /\/(anyOf|oneOf)\/\d+\//;
    const anyOfAt = new Set(errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => e.instancePath));
    return errors
        .filter((e) => !(anyOfAt.has(e.instancePath) && branch.test(e.schemaPath ?? "")))
        .map((e) => {
            let msg = e.message ?? "is invalid";
            if (e.keyword === "anyOf" || e.keyword === "oneOf") {
                const branches = errors.filter((b) => b.instancePath === e.instancePath && branch.test(b.schemaPath ?? ""));
                msg = branches.some((b) => b.params?.pattern === QUANTITY)
                    ? "must be a quantity (a number, or a string such as 500m or 2Gi)"
                    : branches.length && branches.every((b) => b.keyword === "type")
                    ? `must be ${[...new Set(branches.map((b) => b.params?.type))].join(" or ")}`
                    : [...new Set(branches.map((b) => b.message))].join(" or ") || "must match one of the anyOf schemas";
            }
            if (e.params?.additionalProperty) msg = `has unknown field '${e.params.additionalProperty}'`;
            if (e.params?.missingProperty) msg = `must have required property '${e.params.missingProperty}'`;
            if (e.keyword === "enum") msg += ` ${JSON.stringify(e.params?.allowedValues)}`;
            return `${e.instancePath || "/"} ${msg}`;
        });
}

/** Go's decoders treat an explicit null like an absent field (and the API server prunes nulls of CRD fields). */
function dropNulls(v: Json): Json {
    if (Array.isArray(v)) return v.map(dropNulls);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, dropNulls(x)]));
    return v;
}

function splitApiVersion(apiVersion: string): [string, string] {
    const i = apiVersion.lastIndexOf("/");
    return i < 0 ? ["", apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

function refOf(obj: Json): string {
    const m = obj?.metadata ?? {};
    return `${obj?.apiVersion ?? "?"} ${obj?.kind ?? "?"} ${m.namespace ? `${m.namespace}/` : ""}${m.name ?? m.generateName ?? "?"}`;
}

/** Which schema knows this apiVersion + kind: "crd:<file>", "k8s:<definition>", or undefined. */
export function schemaFor(apiVersion: string, kind: string): string | undefined {
    const idx = loadIndex();
    const [group, version] = splitApiVersion(apiVersion);
    const gvk = `${group}/${version}/${kind}`;
    if (idx.crds.has(gvk)) return `crd:${idx.crds.get(gvk)!.file}`;
    if (idx.k8sByGvk.has(gvk)) return `k8s:${idx.k8sByGvk.get(gvk)}`;
    return undefined;
}

/** Validates one object. */
export async function validateObject(input: unknown, options: ValidateOptions = {}): Promise<ObjectResult> {
    const mode: Mode = { strict: options.strict ?? true, partial: options.partial ?? false };
    const idx = loadIndex();
    const obj = dropNulls(input);
    const base = { ref: refOf(obj), apiVersion: obj?.apiVersion, kind: obj?.kind, name: obj?.metadata?.name, namespace: obj?.metadata?.namespace };
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) return { ...base, valid: false, sources: [], errors: ["not an object"] };
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
        return { ...base, valid: false, sources: [], errors: ["/ must have string apiVersion and kind"] };
    }
    const [group, version] = splitApiVersion(obj.apiVersion);
    const gvk = `${group}/${version}/${obj.kind}`;
    const gk = `${group}/${obj.kind}`;
    const sources: string[] = [];
    const found = new Map<string, string[]>(); // "path message" -> sources
    const add = (source: string, messages: string[]) => {
        for (const m of messages) found.set(m, [...new Set([...(found.get(m) ?? []), source])]);
    };
    const served = (versions: string[]) => versions.map((v) => (group ? `${group}/${v}` : v)).join(", ");

    if (idx.crds.has(gvk)) {
        sources.push("crd");
        const v = crdValidator(gvk, mode);
        if (!v(obj)) add("crd", describe(v.errors ?? []));
    } else if (idx.crdVersions.has(gk)) {
        sources.push("crd");
        add("crd", [`/apiVersion ${obj.apiVersion} is not served; the CRD serves ${served(idx.crdVersions.get(gk)!)}`]);
    }
    if (idx.k8sByGvk.has(gvk)) {
        sources.push(idx.k8sLabel);
        const v = k8sValidator(gvk, mode);
        if (!v(obj)) add(idx.k8sLabel, describe(v.errors ?? []));
    } else if (idx.k8sVersions.has(gk) && !idx.crdVersions.has(gk)) {
        sources.push(idx.k8sLabel);
        add(idx.k8sLabel, [`/apiVersion ${obj.apiVersion} is not served; Kubernetes serves ${served(idx.k8sVersions.get(gk)!)}`]);
    }
    if (sources.length === 0) {
        const why = SCHEMALESS_KINDS[gvk];
        return why !== undefined
            ? { ...base, valid: true, sources, errors: [], note: `no schema (allowed: ${why})` }
            : { ...base, valid: false, sources, errors: [`no schema for ${obj.apiVersion} ${obj.kind} (add its CRD to test/upstream/schemas/)`] };
    }
    const Model = mode.partial ? undefined : await modelFor(group, version, obj.kind);
    if (Model) {
        sources.push("model");
        try {
            new Model(obj).validate();
        } catch (err) {
            const e = err as { errors?: Partial<ErrorObject>[]; message: string };
            add("model", describe((e.errors ?? [{ instancePath: "", message: e.message }]).filter((x) => !MODEL_IGNORE.some((f) => f(group, x)))));
        }
    }
    sources.push("meta");
    add("meta", metaErrors(obj, group, mode.partial));
    const errors = [...found].map(([m, srcs]) => `${srcs.join("+")}: ${m}`);
    return { ...base, valid: errors.length === 0, sources, errors };
}

/** Validates objects (strictly unless told otherwise); one result per object, in order. */
export async function validateObjects(objects: readonly unknown[], options: ValidateOptions = {}): Promise<ObjectResult[]> {
    const results: ObjectResult[] = [];
    for (const obj of objects) results.push(await validateObject(obj, options));
    return results;
}

/** What the validator knows: CRD versions, Kubernetes kinds, and Go patterns JS could not compile (not enforced). */
export function schemaStats(): { crdVersions: number; k8sKinds: number; k8s: string; unsupportedPatterns: string[] } {
    const idx = loadIndex();
    return { crdVersions: idx.crds.size, k8sKinds: idx.k8sByGvk.size, k8s: idx.k8sLabel, unsupportedPatterns: [...unsupportedPatterns] };
}

/** One line per result (OK / FAIL), as the CLI prints them. */
export function formatResult(r: ObjectResult, maxErrors = 8): string {
    if (r.valid) return `OK   ${r.ref} (${r.sources.join("+") || "no schema, allowed"})`;
    const shown = r.errors.slice(0, maxErrors).join("; ");
    return `FAIL ${r.ref}: ${shown}${r.errors.length > maxErrors ? `; ... ${r.errors.length - maxErrors} more` : ""}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Files.

function* objectsOf(doc: Json): Generator<Json> {
    if (Array.isArray(doc)) for (const d of doc) yield* objectsOf(d);
    else if (doc && typeof doc === "object") {
        if (typeof doc.kind === "string" && doc.kind.endsWith("List") && Array.isArray(doc.items)) yield* objectsOf(doc.items);
        else yield doc;
    }
}

/** The Kubernetes objects of a .yaml/.yml (multi-document) or .json file; documents without apiVersion, kind and metadata are left out. */
export function readObjects(file: string): { objects: Json[]; skipped: number } {
    const text = readFileSync(file, "utf8");
    const docs = file.endsWith(".json") ? [JSON.parse(text)] : yaml.loadAll(text);
    const objects: Json[] = [];
    let skipped = 0;
    for (const o of objectsOf(docs)) {
        if (o.apiVersion === undefined && o.kind === undefined && o.metadata === undefined) skipped++;
        else objects.push(o);
    }
    return { objects, skipped };
}

function inputFiles(p: string, top = true): string[] {
    if (!existsSync(p)) {
        if (top) throw new UsageError(`no such file or directory: ${p}`);
        return [];
    }
    if (statSync(p).isDirectory()) {
        return readdirSync(p)
            .sort()
            .flatMap((f) => inputFiles(path.join(p, f), false));
    }
    return top || /\.(ya?ml|json)$/.test(p) ? [p] : [];
}

const cliSpec = {
    command: "npm run validate --",
    summary:
        "Validates Kubernetes objects strictly (unknown fields are errors) against the upstream schemas vendored in\n" +
        "test/upstream/schemas/. Prints one line per object, then `N passed, N failed`.",
    options: {
        lenient: { type: "boolean", description: "allow fields the schema does not declare (the API server would prune them)" },
        partial: { type: "boolean", description: "validate partial objects (patches): fields are checked, required ones are not" },
        quiet: { type: "boolean", description: "print failures and the summary only" },
    },
    positionals: { name: "FILE_OR_DIR...", description: "multi-document .yaml/.yml, or .json (an object, an array or a List); directories are walked" },
    notes: ["A file named patches.yaml (what `npm run render` writes) is validated as partial objects."],
} satisfies CommandSpec<Record<string, OptionSpec>>;

/** The command line (arguments, --help and errors as tools/cli.ts): returns the exit code. */
export async function main(argv: string[], log: (line: string) => void = console.log, logError: (line: string) => void = console.error): Promise<number> {
    let files: string[];
    let strict: boolean;
    let partial: boolean;
    let quiet: boolean;
    try {
        const parsed = parseCommandLine(cliSpec, argv);
        if (parsed.help) {
            log(helpText(cliSpec));
            return EXIT_OK;
        }
        if (parsed.positionals.length === 0) throw new UsageError("give at least one file or directory to validate");
        ({ partial, quiet } = parsed.values);
        strict = !parsed.values.lenient;
        files = parsed.positionals.flatMap((p) => inputFiles(p));
    } catch (err) {
        if (err instanceof UsageError) {
            logError(`error: ${usageMessage(cliSpec, err.message, EXIT_USAGE)}`);
            return EXIT_USAGE;
        }
        throw err;
    }
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const file of files) {
        let read: { objects: Json[]; skipped: number };
        try {
            read = readObjects(file);
        } catch (err) {
            failed++;
            const mark = (err as { mark?: { line: number; column: number } }).mark;
            const reason = (err as { reason?: string }).reason;
            log(`FAIL ${file}${mark ? `:${mark.line + 1}:${mark.column + 1}` : ""}: cannot parse: ${reason ?? (err as Error).message.split("\n")[0]}`);
            continue;
        }
        skipped += read.skipped;
        const filePartial = partial || path.basename(file) === "patches.yaml";
        for (const r of await validateObjects(read.objects, { strict, partial: filePartial })) {
            if (r.valid) passed++;
            else failed++;
            if (!r.valid || !quiet) log(formatResult(r));
        }
    }
    const stats = schemaStats();
    if (stats.unsupportedPatterns.length) log(`note: patterns not enforced (not valid in JS): ${stats.unsupportedPatterns.join("  ")}`);
    if (!quiet) {
        log(`schemas: ${stats.crdVersions} CRD versions, ${stats.k8sKinds} Kubernetes kinds (${stats.k8s}); ${strict ? "strict" : "lenient"}${partial ? ", partial" : ""}${skipped ? `; ${skipped} documents skipped (not Kubernetes objects)` : ""}`);
    }
    log(`${passed} passed, ${failed} failed`);
    return failed ? EXIT_FAILED : EXIT_OK;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(exitAfterFlush, (err: unknown) => {
        const { code, message, stack } = describeError(err);
        console.error(`error: ${message}`);
        if (stack) console.error(stack);
        exitAfterFlush(code);
    });
}

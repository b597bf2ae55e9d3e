/**
 * Configuration of both modes: KServe's explainer arguments (`--model_name`, `--predictor_host`, `--http_port`,
 * `--workers`, as KServe v0.20 appends them to a custom explainer's container, pkg/apis/serving/v1beta1/
 * explainer_custom.go GetContainer) plus `--predictor_protocol` / `--predictor_use_ssl` (named like KServe's
 * Python model server's), and a JSON document from `EXPLAINER_CONFIG` / `DETECTOR_CONFIG` (inline) or
 * `..._FILE` (path). Every key is validated; an error names the key.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { MAX_EXACT_FEATURES } from "./kernelShap";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Where rows come from: inline, a JSON/CSV file, or an S3 object (JSON rows or CSV with a header). */
export const dataSource = z.union([
  z.object({ inline: z.array(z.array(z.number().finite())).min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ s3: z.object({ bucket: z.string().min(1), key: z.string().min(1) }).strict() }).strict(),
]);
export type DataSource = z.infer<typeof dataSource>;

const featureNames = z
  .array(z.union([z.string().min(1), z.object({ name: z.string().min(1) }).loose().transform((f) => f.name)]))
  .min(1, "must list at least one feature")
  .max(256, "must list at most 256 features")
  .refine((names) => new Set(names).size === names.length, "must not repeat a feature name");

const v2Settings = z
  .object({
    inputName: z.string().min(1).default("input-0"),
    datatype: z.enum(["FP32", "FP64"]).default("FP64"),
    output: z.string().min(1).optional(),
  })
  .strict()
  .default({ inputName: "input-0", datatype: "FP64" });

export const explainerConfigSchema = z
  .object({
    features: featureNames,
    background: dataSource,
    /** At most this many background rows are used (a seeded subsample of a larger source). */
    backgroundSize: z.number().int().min(1).max(1000).default(50),
    maxExactFeatures: z.number().int().min(1).max(MAX_EXACT_FEATURES).default(10),
    samples: z.number().int().min(2).max(100_000).default(512),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
    batchSize: z.number().int().min(1).max(100_000).default(2000),
    parallelCalls: z.number().int().min(1).max(64).default(2),
    /** Predictor calls one explain request may make (all its instances together); more is refused with 422. */
    maxPredictorCalls: z.number().int().min(1).default(200),
    /** Time one explain request may take; past it the answer is 503 `timeout`. */
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    maxInstances: z.number().int().min(1).max(1000).default(16),
    v2: v2Settings,
  })
  .strict()
  .superRefine((c, ctx) => {
    const d = c.features.length;
    if (d > c.maxExactFeatures && c.samples < 2 * d) {
      ctx.addIssue({ code: "custom", path: ["samples"], message: `must be at least 2 x the feature count (${2 * d}) to determine ${d} attributions by sampling` });
    }
    if ("inline" in c.background) {
      const bad = c.background.inline.findIndex((r) => r.length !== d);
      if (bad >= 0) ctx.addIssue({ code: "custom", path: ["background", "inline", bad], message: `has ${c.background.inline[bad].length} values, expected ${d} (one per feature)` });
    }
  });
export type ExplainerConfig = z.infer<typeof explainerConfigSchema>;

export const squeezerSchema = z.object({ bitDepth: z.number().int().min(1).max(16) }).strict();

export const detectorModelSchema = z
  .object({
    /** The predictor to ask, e.g. `iris-predictor.inferstack-models` (a host, or a URL). */
    predictorHost: z.string().min(1),
    protocol: z.enum(["v1", "v2"]).default("v1"),
    features: featureNames,
    /** Per-feature [min, max] the squeezers quantise over; without it, the range of the `reference` rows. */
    ranges: z.array(z.tuple([z.number().finite(), z.number().finite()])).optional(),
    reference: dataSource.optional(),
    squeezers: z.array(squeezerSchema).min(1).max(4).default([{ bitDepth: 4 }]),
    /** Score (L1 distance of the predictions) above which an instance is flagged (unless calibrated). */
    threshold: z.number().gt(0).default(0.5),
    /**
     * Calibrate the threshold on the reference rows at start (Xu et al. pick it from legitimate inputs at a target
     * false-positive rate): the threshold becomes the ceil((n + 1)(1 - rate))-th smallest of the n reference scores,
     * so a clean input exchangeable with the reference is flagged with probability at most `falsePositiveRate`.
     */
    calibration: z
      .object({
        falsePositiveRate: z.number().gt(0).lt(1),
        /** Reference rows scored (the first ones of a seeded shuffle); at least ceil(1 / rate) - 1 are needed. */
        rows: z.number().int().min(1).max(10_000).default(500),
      })
      .strict()
      .optional(),
    /** Fraction of request events scored (each costs one predictor call). */
    sampleRate: z.number().gt(0).max(1).default(0.1),
    /** At most this many instances of one event are scored (the first ones). */
    maxInstances: z.number().int().min(1).max(1000).default(32),
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    v2: v2Settings,
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.ranges === undefined && m.reference === undefined) ctx.addIssue({ code: "custom", path: ["ranges"], message: "set ranges or reference (or both: ranges to squeeze over, reference rows to calibrate on)" });
    if (m.calibration && !m.reference) ctx.addIssue({ code: "custom", path: ["calibration"], message: "needs reference rows to calibrate on (set reference)" });
    if (m.calibration && m.calibration.rows < calibrationMinimumRows(m.calibration.falsePositiveRate)) {
      ctx.addIssue({ code: "custom", path: ["calibration", "rows"], message: `must be at least ${calibrationMinimumRows(m.calibration.falsePositiveRate)} for falsePositiveRate ${m.calibration.falsePositiveRate} (the threshold is the ceil((n + 1)(1 - rate))-th of n scores)` });
    }
    if (m.ranges && m.ranges.length !== m.features.length) ctx.addIssue({ code: "custom", path: ["ranges"], message: `has ${m.ranges.length} entries, expected ${m.features.length} (one per feature)` });
    m.ranges?.forEach(([lo, hi], i) => {
      if (!(lo < hi)) ctx.addIssue({ code: "custom", path: ["ranges", i], message: `must be [min, max] with min < max, got [${lo}, ${hi}]` });
    });
  });
export type DetectorModelConfig = z.infer<typeof detectorModelSchema>;

/** Fewest calibration scores for which the ceil((n + 1)(1 - rate))-th smallest exists (it must be <= n). */
export function calibrationMinimumRows(rate: number): number {
  return Math.ceil(1 / rate - 1 - 1e-9);
}

export const detectorConfigSchema = z
  .object({
    models: z.record(z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be an InferenceService name"), detectorModelSchema).refine((m) => Object.keys(m).length > 0, "must configure at least one model"),
    /** `flagged`: reply with a CloudEvent when an instance is flagged; `never`: always 202. */
    reply: z.enum(["flagged", "never"]).default("flagged"),
  })
  .strict();
export type DetectorConfig = z.infer<typeof detectorConfigSchema>;

function describe(err: z.ZodError, what: string): string {
  return `invalid ${what}: ${err.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`;
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ConfigError(describe(r.error, what));
  return r.data;
}

/** The JSON document from `<PREFIX>_CONFIG` (inline, wins) or `<PREFIX>_CONFIG_FILE`. */
export function configJson(env: NodeJS.ProcessEnv, prefix: "EXPLAINER" | "DETECTOR"): unknown {
  const inline = env[`${prefix}_CONFIG`];
  const file = env[`${prefix}_CONFIG_FILE`];
  let text: string;
  if (inline) text = inline;
  else if (file) {
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read ${prefix}_CONFIG_FILE ${file}: ${(err as Error).message}`);
    }
  } else throw new ConfigError(`set ${prefix}_CONFIG (JSON) or ${prefix}_CONFIG_FILE (path)`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${prefix}_CONFIG${inline ? "" : "_FILE"} is not valid JSON (${(err as Error).message})`);
  }
}

/** KServe's explainer arguments (and the Python model server's names for the predictor's protocol). */
export interface KServeArgs {
  modelName: string;
  predictorHost: string;
  predictorProtocol: "v1" | "v2";
  predictorUseSsl: boolean;
  httpPort: number;
  workers?: number;
  /** Flags we do not know (KServe may add some in later versions): logged, not fatal. */
  ignored: string[];
}

/** Parses `--flag value` and `--flag=value`; repeated flags: the last wins (KServe appends --http_port). */
export function parseKServeArgs(argv: string[], env: NodeJS.ProcessEnv = {}): KServeArgs {
  const values = new Map<string, string>();
  const ignored: string[] = [];
  const known = new Set(["model_name", "predictor_host", "predictor_protocol", "protocol", "predictor_use_ssl", "http_port", "workers"]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z_-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      ignored.push(a);
      continue;
    }
    const key = m[1].replace(/-/g, "_");
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new ConfigError(`argument --${m[1]} needs a value`);
      value = next;
      i++;
    }
    if (known.has(key)) values.set(key === "protocol" ? "predictor_protocol" : key, value);
    else ignored.push(`--${m[1]}`);
  }
  const modelName = values.get("model_name") ?? env.MODEL_NAME;
  const predictorHost = values.get("predictor_host") ?? env.PREDICTOR_HOST;
  if (!modelName) throw new ConfigError("missing --model_name (KServe passes the InferenceService name)");
  if (!predictorHost) throw new ConfigError("missing --predictor_host (KServe passes <name>-predictor.<namespace>)");
  const protocol = values.get("predictor_protocol") ?? env.PREDICTOR_PROTOCOL ?? "v1";
  if (protocol !== "v1" && protocol !== "v2") throw new ConfigError(`--predictor_protocol ${protocol} is not supported (v1 or v2; grpc-v2 is not)`);
  const port = Number(values.get("http_port") ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--http_port ${values.get("http_port")} is not a port`);
  const workersRaw = values.get("workers");
  const workers = workersRaw === undefined ? undefined : Number(workersRaw);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) throw new ConfigError(`--workers ${workersRaw} is not a whole number`);
  const ssl = (values.get("predictor_use_ssl") ?? "false").toLowerCase();
  return { modelName, predictorHost, predictorProtocol: protocol, predictorUseSsl: ssl === "true" || ssl === "1", httpPort: port, workers, ignored };
}

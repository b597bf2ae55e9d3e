import { readFileSync } from "node:fs";
import { z } from "zod";
import { outlierMinimumRows, outlierTooSmallMessage } from "./outlier";

/**
 * Monitor configuration: one entry per InferenceService name (the value KServe
 * puts in the `inferenceservicename` CloudEvent extension).
 */

const featureSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(["numeric", "categorical"]),
});

const cell = z.union([z.number().finite(), z.string()]);

const referenceSchema = z
  .strictObject({
    inline: z.array(z.array(cell)).min(2).optional(),
    file: z.string().min(1).optional(),
    s3: z
      .strictObject({
        bucket: z.string().min(1),
        key: z.string().min(1),
      })
      .optional(),
  })
  .refine((r) => [r.inline, r.file, r.s3].filter((v) => v !== undefined).length === 1, {
    message: 'exactly one of "inline", "file" or "s3" must be set',
  });

const driftSchema = z
  .strictObject({
    windowSize: z.number().int().min(2).max(1_000_000).default(1000),
    pValue: z.number().gt(0).lt(1).default(0.05),
    correction: z.enum(["bonferroni", "fdr"]).default("bonferroni"),
    minSamples: z.number().int().min(2).default(50),
    /** Drift is tested at most this often (ms) while requests arrive, plus once after the last one; 0 = after every request event. */
    checkIntervalMs: z.number().int().min(0).max(3_600_000).default(1000),
  })
  .refine((d) => d.minSamples <= d.windowSize, {
    message: "minSamples must not exceed windowSize",
    path: ["minSamples"],
  });

const outlierSchema = z.strictObject({
  quantile: z.number().gt(0).lt(1).default(0.99),
  /** false turns outlier scoring off (e.g. a reference too small for any useful quantile). */
  enabled: z.boolean().default(true),
});

const feedbackConfigSchema = z.strictObject({
  /** Windowed metrics cover the last windowSize labelled predictions. */
  windowSize: z.number().int().min(1).max(1_000_000).default(500),
});

const modelSchema = z
  .strictObject({
    features: z.array(featureSchema).min(1),
    task: z.enum(["classification", "regression"]),
    reference: referenceSchema,
    drift: driftSchema.default({ windowSize: 1000, pValue: 0.05, correction: "bonferroni", minSamples: 50, checkIntervalMs: 1000 }),
    outlier: outlierSchema.default({ quantile: 0.99, enabled: true }),
    feedback: feedbackConfigSchema.default({ windowSize: 500 }),
    positiveLabel: z.union([z.string(), z.number(), z.boolean()]).optional(),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.features.forEach((f, i) => {
      if (seen.has(f.name)) {
        ctx.addIssue({ code: "custom", message: `duplicate feature name "${f.name}"`, path: ["features", i, "name"] });
      }
      seen.add(f.name);
    });
    // Inline references are checked here so the process exits naming the key; file/S3 ones when loaded.
    const numeric = m.features.some((f) => f.type === "numeric");
    if (m.outlier.enabled && numeric && m.reference.inline !== undefined) {
      const need = outlierMinimumRows(m.outlier.quantile);
      if (m.reference.inline.length < need) {
        ctx.addIssue({
          code: "custom",
          path: ["reference", "inline"],
          message: outlierTooSmallMessage(m.reference.inline.length, m.outlier.quantile, need),
        });
      }
    }
    if (m.positiveLabel !== undefined && m.task !== "classification") {
      ctx.addIssue({ code: "custom", message: "positiveLabel only applies to task classification", path: ["positiveLabel"] });
    }
  });

// The top level is not strict so the platform can add keys (e.g. "$schema") later.
const configSchema = z.object({
  models: z.record(z.string().min(1), modelSchema).refine((m) => Object.keys(m).length > 0, {
    message: "at least one model must be configured",
  }),
});

export type MonitorConfig = z.infer<typeof configSchema>;
export type ModelConfig = MonitorConfig["models"][string];
export type FeatureSpec = ModelConfig["features"][number];
export type ReferenceSource = ModelConfig["reference"];
export type FeatureValue = number | string;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** "models.iris.drift.pValue: Too big…" — one line per issue, naming the key. */
function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[");
      return `${path || "(root)"}: ${issue.message}`;
    })
    .join("; ");
}

/** Validates an already-parsed object (or a JSON string) into a MonitorConfig. */
export function parseConfig(input: unknown): MonitorConfig {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new ConfigError(`monitor config is not valid JSON: ${(err as Error).message}`);
    }
  }
  const result = configSchema.safeParse(value);
  if (!result.success) throw new ConfigError(`invalid monitor config: ${formatIssues(result.error)}`);
  return result.data;
}

/** Reads MONITOR_CONFIG (inline JSON) or MONITOR_CONFIG_FILE (path); inline wins. */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  if (env.MONITOR_CONFIG && env.MONITOR_CONFIG.trim() !== "") return parseConfig(env.MONITOR_CONFIG);
  if (env.MONITOR_CONFIG_FILE) {
    let text: string;
    try {
      text = readFileSync(env.MONITOR_CONFIG_FILE, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read MONITOR_CONFIG_FILE ${env.MONITOR_CONFIG_FILE}: ${(err as Error).message}`);
    }
    return parseConfig(text);
  }
  throw new ConfigError("no configuration: set MONITOR_CONFIG (inline JSON) or MONITOR_CONFIG_FILE (path)");
}

/** Runtime settings that are not part of the model config. */
export interface RuntimeOptions {
  /** Reply policy for request events: only detections, every checked request, or never. */
  replyMode: "detections" | "always" | "never";
  maxBodyBytes: number;
  responseCacheSize: number;
  /** Deeper JSON nesting is rejected (400) before any parsing work. */
  maxJsonDepth: number;
}

export function runtimeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeOptions {
  const replyMode = (env.MONITOR_REPLY ?? "detections").trim();
  if (replyMode !== "detections" && replyMode !== "always" && replyMode !== "never") {
    throw new ConfigError(`MONITOR_REPLY must be "detections", "always" or "never", got "${replyMode}"`);
  }
  return {
    replyMode,
    maxBodyBytes: positiveInt(env, "MONITOR_MAX_BODY_BYTES", 5 * 1024 * 1024),
    responseCacheSize: positiveInt(env, "MONITOR_RESPONSE_CACHE_SIZE", 10_000),
    maxJsonDepth: positiveInt(env, "MONITOR_MAX_JSON_DEPTH", 64),
  };
}

function positiveInt(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === "") return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${key} must be a positive integer, got "${raw}"`);
  return v;
}

import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { Client } from "minio";
import type { FeatureSpec, FeatureValue, ModelConfig } from "./config";

/**
 * Reference (training-like) data for a model: JSON `rows × features` or CSV
 * with a header, loaded inline, from a file or from S3/Minio. Values are
 * normalised once here — numbers for numeric features, strings for categorical
 * ones — so the detectors never re-check types.
 */

export class ReferenceDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReferenceDataError";
  }
}

export interface S3Settings {
  endPoint: string;
  port?: number;
  useSSL: boolean;
  accessKey?: string;
  secretKey?: string;
  region: string;
}

/** S3_ENDPOINT may be a URL (http://host:9000) or a bare host[:port]. */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const raw = env.S3_ENDPOINT?.trim();
  if (!raw) throw new ReferenceDataError("S3_ENDPOINT is not set but a model uses an s3 reference");
  const url = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
  let useSSL = url.protocol === "https:";
  const flag = env.S3_USE_HTTPS?.trim().toLowerCase();
  if (flag !== undefined && flag !== "") useSSL = flag === "1" || flag === "true" || flag === "yes";
  return {
    endPoint: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : undefined,
    useSSL,
    accessKey: env.AWS_ACCESS_KEY_ID,
    secretKey: env.AWS_SECRET_ACCESS_KEY,
    // A fixed region stops the client from asking the server for the bucket location first.
    region: env.AWS_REGION?.trim() || "us-east-1",
  };
}

const MAX_REFERENCE_BYTES = 512 * 1024 * 1024;

async function readStream(stream: Readable, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > MAX_REFERENCE_BYTES) {
      stream.destroy();
      throw new ReferenceDataError(`${what} is larger than ${MAX_REFERENCE_BYTES} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function fetchS3Object(settings: S3Settings, bucket: string, key: string): Promise<string> {
  const client = new Client({
    endPoint: settings.endPoint,
    port: settings.port,
    useSSL: settings.useSSL,
    accessKey: settings.accessKey ?? "",
    secretKey: settings.secretKey ?? "",
    region: settings.region,
    pathStyle: true,
  });
  const stream = await client.getObject(bucket, key);
  return readStream(stream, `s3://${bucket}/${key}`);
}

/** Minimal RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      if (!(row.length === 1 && row[0] === "")) rows.push(row);
      row = [];
    } else field += ch;
  }
  if (quoted) throw new ReferenceDataError("CSV has an unterminated quoted field");
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Parses reference text (JSON array of rows, or CSV with header) into raw rows. */
export function parseReferenceText(text: string, what: string, features: readonly FeatureSpec[]): unknown[][] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new ReferenceDataError(`${what}: invalid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed) || !parsed.every(Array.isArray)) {
      throw new ReferenceDataError(`${what}: JSON reference must be an array of rows (number[][])`);
    }
    return parsed as unknown[][];
  }
  const table = parseCsv(text);
  if (table.length < 2) throw new ReferenceDataError(`${what}: CSV needs a header and at least one row`);
  const header = table[0].map((h) => h.trim());
  const names = features.map((f) => f.name);
  let columns: number[];
  if (names.every((n) => header.includes(n))) {
    // Select by name, so extra columns (ids, labels) are allowed.
    columns = names.map((n) => header.indexOf(n));
  } else if (header.length === names.length) {
    columns = names.map((_, i) => i);
  } else {
    throw new ReferenceDataError(
      `${what}: CSV header [${header.join(", ")}] neither contains all features [${names.join(", ")}] nor has ${names.length} columns`,
    );
  }
  return table.slice(1).map((r, i) => {
    if (r.length !== header.length) {
      throw new ReferenceDataError(`${what}: CSV row ${i + 2} has ${r.length} fields, header has ${header.length}`);
    }
    return columns.map((c) => r[c]);
  });
}

/** Checks shape and types and returns rows of numbers/strings per feature type. */
export function normaliseReference(raw: unknown[][], what: string, features: readonly FeatureSpec[]): FeatureValue[][] {
  if (raw.length < 2) throw new ReferenceDataError(`${what}: reference needs at least 2 rows, got ${raw.length}`);
  return raw.map((row, r) => {
    if (row.length !== features.length) {
      throw new ReferenceDataError(`${what}: row ${r} has ${row.length} values, expected ${features.length} (${features.map((f) => f.name).join(", ")})`);
    }
    return row.map((v, j) => {
      const f = features[j];
      if (f.type === "numeric") {
        const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
        if (!Number.isFinite(n)) throw new ReferenceDataError(`${what}: row ${r} feature "${f.name}" is not a finite number: ${JSON.stringify(v)}`);
        return n;
      }
      if (typeof v === "string") return v.trim();
      if (typeof v === "number" || typeof v === "boolean") return String(v);
      throw new ReferenceDataError(`${what}: row ${r} feature "${f.name}" must be a string or number`);
    });
  });
}

export interface ReferenceLoaderOptions {
  env?: NodeJS.ProcessEnv;
}

export async function loadReference(
  model: string,
  cfg: ModelConfig,
  options: ReferenceLoaderOptions = {},
): Promise<FeatureValue[][]> {
  const src = cfg.reference;
  if (src.inline) return normaliseReference(src.inline, `models.${model}.reference.inline`, cfg.features);
  let what: string;
  let text: string;
  if (src.file) {
    what = `models.${model}.reference.file ${src.file}`;
    try {
      text = await readFile(src.file, "utf8");
    } catch (err) {
      throw new ReferenceDataError(`${what}: ${(err as Error).message}`);
    }
  } else if (src.s3) {
    what = `models.${model}.reference s3://${src.s3.bucket}/${src.s3.key}`;
    try {
      text = await fetchS3Object(s3SettingsFromEnv(options.env ?? process.env), src.s3.bucket, src.s3.key);
    } catch (err) {
      if (err instanceof ReferenceDataError) throw err;
      throw new ReferenceDataError(`${what}: ${(err as Error).message}`);
    }
  } else {
    throw new ReferenceDataError(`models.${model}.reference: no source`);
  }
  return normaliseReference(parseReferenceText(text, what, cfg.features), what, cfg.features);
}

/**
 * Rows for the explainer's background and the detector's squeeze ranges: inline, a file, or an S3 object (the
 * model monitor's reference sample, e.g. `s3://references/iris/reference.csv` in Minio). JSON `rows x features`
 * or CSV with a header (columns picked by feature name when the header has them all, else by position).
 */
import { readFile } from "node:fs/promises";
import * as Minio from "minio";
import type { DataSource } from "./config";
import { seededRandom } from "../../shared/random";

/** Largest source read (bytes): a reference sample, not a data lake. */
const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

export function parseRows(text: string, features: string[], where: string): number[][] {
  const t = text.trim();
  if (t.startsWith("[")) {
    const rows = JSON.parse(t) as unknown;
    if (!Array.isArray(rows)) throw new Error(`${where}: expected a JSON array of rows`);
    return rows.map((r, i) => checkRow(r, features.length, `${where} row ${i}`));
  }
  const lines = t.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new Error(`${where}: a CSV needs a header and at least one row`);
  const header = lines[0].split(",").map((h) => h.trim().replace(/^"|"$/g, ""));
  let columns: number[];
  if (features.every((f) => header.includes(f))) columns = features.map((f) => header.indexOf(f));
  else if (header.length === features.length) columns = features.map((_, i) => i);
  else throw new Error(`${where}: the CSV header (${header.join(", ")}) names neither all features (${features.join(", ")}) nor ${features.length} columns`);
  return lines.slice(1).map((line, i) => {
    const cells = line.split(",");
    return checkRow(columns.map((c) => Number(cells[c])), features.length, `${where} row ${i + 1}`);
  });
}

function checkRow(r: unknown, d: number, where: string): number[] {
  if (!Array.isArray(r) || r.length !== d) throw new Error(`${where}: expected ${d} values`);
  if (!r.every((v) => typeof v === "number" && Number.isFinite(v))) throw new Error(`${where}: every value must be a finite number`);
  return r as number[];
}

async function readS3(bucket: string, key: string, env: NodeJS.ProcessEnv): Promise<string> {
  const endpoint = env.S3_ENDPOINT;
  if (!endpoint) throw new Error("S3_ENDPOINT is not set (e.g. http://minio.inferstack-storage.svc:9000)");
  const url = new URL(/^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`);
  const useSSL = env.S3_USE_HTTPS !== undefined ? env.S3_USE_HTTPS === "1" || env.S3_USE_HTTPS === "true" : url.protocol === "https:";
  const client = new Minio.Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: env.AWS_ACCESS_KEY_ID ?? "",
    secretKey: env.AWS_SECRET_ACCESS_KEY ?? "",
    region: env.AWS_REGION ?? "us-east-1",
  });
  const stream = await client.getObject(bucket, key);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SOURCE_BYTES) throw new Error(`s3://${bucket}/${key} is larger than ${MAX_SOURCE_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Loads the rows of a source (validated: one finite number per feature). */
export async function loadRows(src: DataSource, features: string[], env: NodeJS.ProcessEnv = process.env): Promise<number[][]> {
  if ("inline" in src) return src.inline.map((r, i) => checkRow(r, features.length, `inline row ${i}`));
  if ("file" in src) return parseRows(await readFile(src.file, "utf8"), features, src.file);
  return parseRows(await readS3(src.s3.bucket, src.s3.key, env), features, `s3://${src.s3.bucket}/${src.s3.key}`);
}

/** At most `size` rows, a seeded uniform subsample (order kept) when there are more. */
export function subsample(rows: number[][], size: number, seed: number): number[][] {
  if (rows.length <= size) return rows;
  const rand = seededRandom(seed ^ 0x9e3779b9);
  const idx = rows.map((_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx
    .slice(0, size)
    .sort((a, b) => a - b)
    .map((i) => rows[i]);
}

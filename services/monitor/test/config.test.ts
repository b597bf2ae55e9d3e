import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfigFromEnv, parseConfig, runtimeOptionsFromEnv } from "../src/config";
import { loadReference, parseCsv, s3SettingsFromEnv } from "../src/reference";

const base = () => ({
  features: [{ name: "a", type: "numeric" }, { name: "b", type: "categorical" }],
  task: "classification",
  // 198 rows: the least a 0.99 outlier quantile accepts (split-conformal threshold).
  reference: { inline: Array.from({ length: 198 }, (_, i) => [i, i % 2 ? "x" : "y"]) },
});

test("defaults are applied", () => {
  const cfg = parseConfig({ models: { m: base() } });
  assert.deepEqual(cfg.models.m.drift, { windowSize: 1000, pValue: 0.05, correction: "bonferroni", minSamples: 50, checkIntervalMs: 1000 });
  assert.deepEqual(cfg.models.m.outlier, { quantile: 0.99, enabled: true });
  assert.deepEqual(cfg.models.m.feedback, { windowSize: 500 });
});

test("validation errors name the offending key", () => {
  const cases: [unknown, RegExp][] = [
    [{ models: { m: { ...base(), drift: { pValue: 2 } } } }, /models\.m\.drift\.pValue/],
    [{ models: { m: { ...base(), drift: { correction: "holm" } } } }, /models\.m\.drift\.correction/],
    [{ models: { m: { ...base(), drift: { windowSize: 10, minSamples: 20 } } } }, /models\.m\.drift\.minSamples: minSamples must not exceed windowSize/],
    [{ models: { m: { ...base(), task: "ranking" } } }, /models\.m\.task/],
    [{ models: { m: { ...base(), features: [{ name: "a", type: "float" }] } } }, /models\.m\.features\[0\]\.type/],
    [{ models: { m: { ...base(), reference: {} } } }, /models\.m\.reference: exactly one of "inline", "file" or "s3"/],
    [{ models: { m: { ...base(), reference: { file: "/x", s3: { bucket: "b", key: "k" } } } } }, /exactly one/],
    [{ models: { m: { ...base(), reference: { s3: { bucket: "b" } } } } }, /models\.m\.reference\.s3\.key/],
    [{ models: { m: { ...base(), outlier: { quantile: 1 } } } }, /models\.m\.outlier\.quantile/],
    [{ models: { m: { ...base(), windowsize: 5 } } }, /models\.m: Unrecognized key.*windowsize/],
    [{ models: { m: { ...base(), features: [{ name: "a", type: "numeric" }, { name: "a", type: "numeric" }] } } }, /duplicate feature name "a"/],
    [{ models: { m: { ...base(), task: "regression", positiveLabel: 1 } } }, /models\.m\.positiveLabel/],
    [{ models: {} }, /models: at least one model/],
    [{}, /models: /],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseConfig(input), (err: Error) => err instanceof ConfigError && re.test(err.message), `expected ${re}`);
  }
  assert.throws(() => parseConfig("{nope"), /not valid JSON/);
});

test("config comes from MONITOR_CONFIG or MONITOR_CONFIG_FILE", () => {
  const json = JSON.stringify({ models: { fromenv: base() } });
  assert.deepEqual(Object.keys(loadConfigFromEnv({ MONITOR_CONFIG: json }).models), ["fromenv"]);
  const dir = mkdtempSync(join(tmpdir(), "monitor-cfg-"));
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify({ models: { fromfile: base() } }));
  assert.deepEqual(Object.keys(loadConfigFromEnv({ MONITOR_CONFIG_FILE: file }).models), ["fromfile"]);
  assert.throws(() => loadConfigFromEnv({}), /MONITOR_CONFIG/);
  assert.throws(() => loadConfigFromEnv({ MONITOR_CONFIG_FILE: join(dir, "missing.json") }), /cannot read MONITOR_CONFIG_FILE/);
});

test("runtime options from env", () => {
  assert.deepEqual(runtimeOptionsFromEnv({}), { replyMode: "detections", maxBodyBytes: 5 * 1024 * 1024, responseCacheSize: 10_000, maxJsonDepth: 64 });
  assert.equal(runtimeOptionsFromEnv({ MONITOR_MAX_JSON_DEPTH: "16" }).maxJsonDepth, 16);
  assert.equal(runtimeOptionsFromEnv({ MONITOR_REPLY: "always" }).replyMode, "always");
  assert.throws(() => runtimeOptionsFromEnv({ MONITOR_REPLY: "loud" }), /MONITOR_REPLY/);
  assert.throws(() => runtimeOptionsFromEnv({ MONITOR_MAX_BODY_BYTES: "-3" }), /MONITOR_MAX_BODY_BYTES/);
});

test("CSV parsing handles quotes, CRLF and blank lines", () => {
  assert.deepEqual(parseCsv('a,b\r\n1,"x, ""y"""\r\n\n2,z'), [["a", "b"], ["1", 'x, "y"'], ["2", "z"]]);
});

test("reference from a JSON file and from a CSV file (columns by name)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "monitor-ref-"));
  writeFileSync(join(dir, "ref.json"), JSON.stringify([[1, "x"], [2.5, 3]]));
  writeFileSync(join(dir, "ref.csv"), "id,b,a,label\n7,x,1.5,0\n8,y,-2,1\n");
  const cfg = parseConfig({ models: { m: { ...base(), reference: { file: join(dir, "ref.json") } } } }).models.m;
  assert.deepEqual(await loadReference("m", cfg), [[1, "x"], [2.5, "3"]]);
  const csv = parseConfig({ models: { m: { ...base(), reference: { file: join(dir, "ref.csv") } } } }).models.m;
  assert.deepEqual(await loadReference("m", csv), [[1.5, "x"], [-2, "y"]]);
});

test("bad reference data is reported with row and feature", async () => {
  const dir = mkdtempSync(join(tmpdir(), "monitor-bad-"));
  writeFileSync(join(dir, "short.json"), JSON.stringify([[1, "x"], [2]]));
  writeFileSync(join(dir, "nan.csv"), "a,b\n1,x\nfoo,y\n");
  const load = (file: string) => loadReference("m", parseConfig({ models: { m: { ...base(), reference: { file } } } }).models.m);
  await assert.rejects(load(join(dir, "short.json")), /row 1 has 1 values, expected 2/);
  await assert.rejects(load(join(dir, "nan.csv")), /row 1 feature "a" is not a finite number/);
  await assert.rejects(load(join(dir, "absent.csv")), /ENOENT/);
});

test("S3 settings from env", () => {
  assert.deepEqual(
    s3SettingsFromEnv({ S3_ENDPOINT: "http://minio.inferstack-storage.svc:9000", AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s" }),
    { endPoint: "minio.inferstack-storage.svc", port: 9000, useSSL: false, accessKey: "k", secretKey: "s", region: "us-east-1" },
  );
  const tls = s3SettingsFromEnv({ S3_ENDPOINT: "minio:9000", S3_USE_HTTPS: "1", AWS_REGION: "eu-west-1" });
  assert.equal(tls.useSSL, true);
  assert.equal(tls.region, "eu-west-1");
  assert.equal(s3SettingsFromEnv({ S3_ENDPOINT: "https://s3.example:443", S3_USE_HTTPS: "0" }).useSSL, false);
  assert.throws(() => s3SettingsFromEnv({}), /S3_ENDPOINT/);
});

test("reference from S3 (a local fake S3 endpoint checks the signed GET)", async () => {
  const seen: { method?: string; url?: string; auth?: string }[] = [];
  const fake = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization });
    if (req.method === "GET" && req.url === "/refs/iris/reference.csv") {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end("a,b\n1,x\n2,y\n3,x\n");
    } else {
      res.writeHead(404, { "content-type": "application/xml" });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>missing</Message></Error>');
    }
  });
  await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
  const port = (fake.address() as AddressInfo).port;
  const env = { S3_ENDPOINT: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: "minioadmin", AWS_SECRET_ACCESS_KEY: "secret", S3_USE_HTTPS: "0" };
  try {
    const cfg = parseConfig({ models: { m: { ...base(), reference: { s3: { bucket: "refs", key: "iris/reference.csv" } } } } }).models.m;
    assert.deepEqual(await loadReference("m", cfg, { env }), [[1, "x"], [2, "y"], [3, "x"]]);
    const get = seen.find((s) => s.url === "/refs/iris/reference.csv");
    assert.ok(get, "path-style GET of the object");
    assert.match(get.auth ?? "", /^AWS4-HMAC-SHA256 Credential=minioadmin\/\d{8}\/us-east-1\/s3\/aws4_request/);
    const missing = parseConfig({ models: { m: { ...base(), reference: { s3: { bucket: "refs", key: "nope.json" } } } } }).models.m;
    await assert.rejects(loadReference("m", missing, { env }), /s3:\/\/refs\/nope\.json/);
  } finally {
    fake.close();
  }
});

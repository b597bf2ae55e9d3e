/** KServe's explainer arguments and the JSON configs: what KServe passes is understood, bad keys are named. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, detectorConfigSchema, explainerConfigSchema, parseKServeArgs, parseWith } from "../src/config";
import { parseRows, subsample } from "../src/data";

describe("KServe's explainer arguments", () => {
  it("reads what KServe v0.20 appends (--model_name, --predictor_host, --http_port, --workers), the last --http_port winning", () => {
    const a = parseKServeArgs(["--predictor_protocol", "v2", "--model_name", "iris", "--predictor_host", "iris-predictor.models", "--http_port", "8080", "--workers", "4", "--http_port=9000"]);
    assert.deepEqual(a, { modelName: "iris", predictorHost: "iris-predictor.models", predictorProtocol: "v2", predictorUseSsl: false, httpPort: 9000, workers: 4, ignored: [] });
  });

  it("keeps unknown flags aside and refuses missing or bad values with a clear message", () => {
    assert.deepEqual(parseKServeArgs(["--model_name", "m", "--predictor_host", "h", "--enable_docs_url", "true"]).ignored, ["--enable_docs_url"]);
    assert.throws(() => parseKServeArgs(["--predictor_host", "h"]), /missing --model_name/);
    assert.throws(() => parseKServeArgs(["--model_name", "m"]), /missing --predictor_host/);
    assert.throws(() => parseKServeArgs(["--model_name", "m", "--predictor_host", "h", "--predictor_protocol", "grpc-v2"]), /grpc-v2 is not/);
    assert.throws(() => parseKServeArgs(["--model_name"]), /--model_name needs a value/);
  });
});

describe("configs", () => {
  const good = { features: ["a", "b"], background: { inline: [[1, 2]] } };

  it("fills defaults and names the bad key", () => {
    const c = parseWith(explainerConfigSchema, good, "explainer config");
    assert.equal(c.maxExactFeatures, 10);
    assert.equal(c.backgroundSize, 50);
    assert.throws(() => parseWith(explainerConfigSchema, { ...good, background: { inline: [[1]] } }, "explainer config"), /background\.inline\.0: has 1 values, expected 2/);
    assert.throws(() => parseWith(explainerConfigSchema, { ...good, maxExactFeatures: 17 }, "explainer config"), /maxExactFeatures: Too big/);
    assert.throws(() => parseWith(explainerConfigSchema, { ...good, samples: 4, maxExactFeatures: 1, features: ["a", "b", "c"], background: { inline: [[1, 2, 3]] } }, "explainer config"), /samples: must be at least 2 x the feature count \(6\)/);
    assert.throws(() => parseWith(explainerConfigSchema, { ...good, colour: 1 }, "explainer config"), ConfigError);
    const det = { predictorHost: "h", features: ["a"], ranges: [[0, 1]] };
    assert.equal(parseWith(detectorConfigSchema, { models: { m: det } }, "detector config").models.m.sampleRate, 0.1);
    assert.throws(() => parseWith(detectorConfigSchema, { models: { m: { ...det, ranges: [[1, 0]] } } }, "d"), /models\.m\.ranges\.0: must be \[min, max\] with min < max/);
    assert.throws(() => parseWith(detectorConfigSchema, { models: { m: { predictorHost: "h", features: ["a"] } } }, "d"), /models\.m\.ranges: set ranges or reference/);
    assert.equal(parseWith(detectorConfigSchema, { models: { m: { ...det, reference: { inline: [[1]] } } } }, "d").models.m.ranges?.length, 1);
    assert.throws(() => parseWith(detectorConfigSchema, { models: { m: { ...det, sampleRate: 0 } } }, "d"), /sampleRate/);
    assert.throws(() => parseWith(detectorConfigSchema, { models: { m: { ...det, calibration: { falsePositiveRate: 0.05 } } } }, "d"), /calibration: needs reference rows to calibrate on/);
    const calibrated = { predictorHost: "h", features: ["a"], reference: { inline: [[1]] } };
    assert.throws(() => parseWith(detectorConfigSchema, { models: { m: { ...calibrated, calibration: { falsePositiveRate: 0.05, rows: 18 } } } }, "d"), /calibration\.rows: must be at least 19 for falsePositiveRate 0\.05/);
    assert.equal(parseWith(detectorConfigSchema, { models: { m: { ...calibrated, calibration: { falsePositiveRate: 0.05, rows: 19 } } } }, "d").models.m.calibration?.rows, 19);
  });

  it("reads JSON rows and CSV by header name or position; subsamples reproducibly", () => {
    assert.deepEqual(parseRows("[[1,2],[3,4]]", ["a", "b"], "x"), [[1, 2], [3, 4]]);
    assert.deepEqual(parseRows("b,z,a\n2,9,1\n4,9,3\n", ["a", "b"], "x"), [[1, 2], [3, 4]]);
    assert.deepEqual(parseRows("p,q\n1,2\n", ["a", "b"], "x"), [[1, 2]]);
    assert.throws(() => parseRows("a,b\n1,x\n", ["a", "b"], "ref.csv"), /ref\.csv row 1: every value must be a finite number/);
    const rows = Array.from({ length: 100 }, (_, i) => [i]);
    const a = subsample(rows, 10, 3);
    assert.equal(a.length, 10);
    assert.deepEqual(a, subsample(rows, 10, 3));
    assert.notDeepEqual(a, subsample(rows, 10, 4));
    assert.equal(subsample(rows, 200, 1), rows);
  });
});

describe("the process", () => {
  const run = (env: Record<string, string>, args: string[] = []) =>
    spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "..", "src", "main.ts"), ...args], { env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "error", ...env }, encoding: "utf8", timeout: 20_000 });

  it("exits 1 with the reason on a bad mode or config", () => {
    const mode = run({ INFERSTACK_MODE: "both" });
    assert.equal(mode.status, 1);
    assert.match(mode.stderr, /INFERSTACK_MODE \\"both\\" is not one of explainer, adversarial-detector/);
    const cfg = run({ EXPLAINER_CONFIG: JSON.stringify({ features: [], background: { inline: [[1]] } }) }, ["--model_name", "m", "--predictor_host", "h"]);
    assert.equal(cfg.status, 1);
    assert.match(cfg.stderr, /invalid explainer config: features: must list at least one feature/);
  });
});

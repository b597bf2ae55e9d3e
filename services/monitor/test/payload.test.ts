import { test } from "node:test";
import assert from "node:assert/strict";
import type { FeatureSpec } from "../src/config";
import { MonitorError } from "../src/errors";
import { extractInstances, extractPredictions, toLabel, toNumber } from "../src/payload";

const features: FeatureSpec[] = [
  { name: "x", type: "numeric" },
  { name: "y", type: "numeric" },
  { name: "city", type: "categorical" },
];

const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MonitorError);
    return `${err.status} ${err.reason}: ${err.message}`;
  }
  throw new Error("expected a MonitorError");
};

test("v1 instances: arrays, named objects, coerced categories", () => {
  assert.deepEqual(extractInstances({ instances: [[1, 2, "paris"], [3, 4, 7]] }, features, "m"), [[1, 2, "paris"], [3, 4, "7"]]);
  assert.deepEqual(extractInstances({ instances: [{ city: "rome", y: 2, x: 1 }] }, features, "m"), [[1, 2, "rome"]]);
  assert.deepEqual(extractInstances({ instances: [5, 6] }, [{ name: "only", type: "numeric" }], "m"), [[5], [6]]);
});

test("v2 inputs: one [n, d] tensor, or one column per feature by name", () => {
  const num: FeatureSpec[] = [{ name: "a", type: "numeric" }, { name: "b", type: "numeric" }];
  const flat = { inputs: [{ name: "input-0", shape: [2, 2], datatype: "FP32", data: [1, 2, 3, 4] }] };
  assert.deepEqual(extractInstances(flat, num, "m"), [[1, 2], [3, 4]]);
  const nested = { inputs: [{ name: "input-0", shape: [2, 2], datatype: "FP32", data: [[1, 2], [3, 4]] }] };
  assert.deepEqual(extractInstances(nested, num, "m"), [[1, 2], [3, 4]]);
  const columns = {
    inputs: [
      { name: "b", shape: [2], datatype: "FP32", data: [10, 20] },
      { name: "a", shape: [2], datatype: "FP32", data: [1, 2] },
    ],
  };
  assert.deepEqual(extractInstances(columns, num, "m"), [[1, 10], [2, 20]]);
});

test("payload errors are 400s with a reason and a clear message", () => {
  assert.match(reason(() => extractInstances({ instances: [[1, 2]] }, features, "m")), /^400 feature_count: instance 0 has 2 values, model "m" expects 3 features \(x, y, city\)/);
  assert.match(reason(() => extractInstances({ instances: [{ x: 1 }] }, features, "m")), /^400 feature_count: instance 0 lacks feature\(s\) y, city/);
  assert.match(reason(() => extractInstances({ instances: [[1, "two", "a"]] }, features, "m")), /^400 malformed: instance 0 feature "y" must be a finite number/);
  assert.match(reason(() => extractInstances({ instances: [] }, features, "m")), /^400 malformed: request has no instances/);
  assert.match(reason(() => extractInstances({ foo: 1 }, features, "m")), /^400 malformed: .*neither an 'instances' array/);
  assert.match(reason(() => extractInstances([1, 2], features, "m")), /^400 malformed/);
  assert.match(
    reason(() => extractInstances({ inputs: [{ name: "i", shape: [2, 3], data: [1, 2, 3] }] }, features, "m")),
    /^400 malformed: inputs\[0\] has 3 values but shape \[2, 3\] needs 6/,
  );
  assert.match(
    reason(() => extractInstances({ inputs: [{ name: "i", shape: [1, 4], data: [1, 2, 3, 4] }] }, features, "m")),
    /^400 feature_count: inputs carry 4 values per instance/,
  );
});

test("predictions from v1 and v2 responses", () => {
  assert.deepEqual(extractPredictions({ predictions: [1, 0, 2] }, "m"), [1, 0, 2]);
  assert.deepEqual(extractPredictions({ outputs: [{ name: "p", shape: [3], datatype: "INT64", data: [1, 0, 2] }] }, "m"), [1, 0, 2]);
  assert.deepEqual(extractPredictions({ outputs: [{ name: "p", shape: [2, 1], datatype: "FP32", data: [0.5, 1.5] }] }, "m"), [0.5, 1.5]);
  assert.deepEqual(
    extractPredictions({ outputs: [{ name: "proba", shape: [2, 3], datatype: "FP32", data: [0.1, 0.7, 0.2, 0.6, 0.3, 0.1] }] }, "m"),
    [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]],
  );
  assert.match(reason(() => extractPredictions({ nope: [] }, "m")), /^400 malformed/);
});

test("labels and numbers", () => {
  assert.equal(toLabel(1), "1");
  assert.equal(toLabel(1.0), toLabel("1"));
  assert.equal(toLabel([0.1, 0.7, 0.2]), "1");
  assert.equal(toLabel(["cat"]), "cat");
  assert.equal(toLabel({}), undefined);
  assert.equal(toNumber([2.5]), 2.5);
  assert.equal(toNumber("2.5"), undefined);
});

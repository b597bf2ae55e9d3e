import { test } from "node:test";
import assert from "node:assert/strict";
import { kserveEvent, metric, postEvent, postRaw, RESPONSE, numericModel, withServer } from "./helpers";

const features = ["a", "b", "c", "d"];
const twoModels = {
  models: {
    iris: numericModel(features, "classification", 820, 200, { feedback: { windowSize: 100 } }),
    house: numericModel(features, "regression", 821, 200),
  },
};
const post = (base: string, path: string, body: unknown) => postRaw(base, path, JSON.stringify(body), { "content-type": "application/json" });

test("Seldon /api/v1.0/feedback: ndarray request/response/truth, reward counters, SeldonMessage answer", async () => {
  await withServer(twoModels, async (s) => {
    const body = {
      request: { data: { names: ["a", "b", "c", "d"], ndarray: [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3]] } },
      // predict_proba rows: argmax is the class.
      response: { meta: { puid: "p1" }, data: { names: ["t:0", "t:1", "t:2"], ndarray: [[0.9, 0.05, 0.05], [0.1, 0.2, 0.7]] } },
      reward: 0.5,
      truth: { data: { ndarray: [[0], [1]] } },
    };
    const r = await post(s.base, "/seldon/models/iris/api/v1.0/feedback", body);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data, { names: [], ndarray: [] });
    assert.equal(r.json.meta.tags.model, "iris");
    assert.equal(r.json.meta.tags.labelled, 2);
    assert.equal(r.json.meta.tags.reward, 0.5);
    assert.equal(r.json.meta.tags.metrics.accuracy, 0.5);
    assert.equal(await metric(s.base, "inferstack_feedback_reward_total", { model: "iris" }), 0.5);
    assert.equal(await metric(s.base, "inferstack_feedback_reward_messages_total", { model: "iris" }), 1);
    assert.equal(await metric(s.base, "inferstack_feedback_window_accuracy", { model: "iris" }), 0.5);

    // Reward only (no truth), model from ?model=, tensor-encoded request.
    const rewardOnly = await post(s.base, "/api/v1.0/feedback?model=iris", {
      request: { data: { tensor: { shape: [1, 4], values: [5, 3, 1, 0] } } },
      reward: 1,
    });
    assert.equal(rewardOnly.status, 200, rewardOnly.text);
    assert.equal(rewardOnly.json.meta.tags.labelled, 0);
    assert.equal(await metric(s.base, "inferstack_feedback_reward_total", { model: "iris" }), 1.5);
    assert.equal(await metric(s.base, "inferstack_feedback_reward_messages_total", { model: "iris" }), 2);
    assert.equal(await metric(s.base, "inferstack_monitor_events_total", { model: "iris", type: "feedback" }), 2);

    // Regression with tensors everywhere (one-column response and truth).
    const reg = await post(s.base, "/seldon/ns/house/api/v1.0/feedback", {
      request: { data: { tensor: { shape: [2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8] } } },
      response: { data: { tensor: { shape: [2, 1], values: [10, 20] } } },
      truth: { data: { tensor: { shape: [2], values: [12, 20] } } },
      reward: 0,
    });
    assert.equal(reg.status, 200, reg.text);
    assert.equal(reg.json.meta.tags.metrics.mae, 1);
    assert.equal(await metric(s.base, "inferstack_feedback_window_mae", { model: "house" }), 1);
  });
});

test("Seldon feedback without a response joins the logged prediction by the request's instances", async () => {
  await withServer(twoModels, async (s) => {
    const row = [5.1, 3.5, 1.4, 0.2];
    await postEvent(s.base, kserveEvent({ id: "k1", model: "iris", data: { instances: [row] } }));
    await postEvent(s.base, kserveEvent({ id: "k1", model: "iris", type: RESPONSE, data: { predictions: [2] } }));
    const r = await post(s.base, "/seldon/models/iris/api/v1.0/feedback", { request: { data: { ndarray: [row] } }, truth: { data: { ndarray: [2] } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.meta.tags.metrics.accuracy, 1);
    // Redelivery is not counted twice.
    const again = await post(s.base, "/seldon/models/iris/api/v1.0/feedback", { request: { data: { ndarray: [row] } }, truth: { data: { ndarray: [2] } } });
    assert.equal(again.json.meta.tags.duplicates, 1);
    assert.equal(await metric(s.base, "inferstack_feedback_total", { model: "iris" }), 1);
  });
});

test("bad Seldon feedback gets a 4xx that says what is wrong", async () => {
  await withServer(twoModels, async (s) => {
    const cases: [string, unknown, number, RegExp][] = [
      ["/api/v1.0/feedback", { reward: 1 }, 400, /needs the model/],
      ["/api/v1.0/feedback?model=nope", { reward: 1 }, 400, /"nope" is not configured/],
      ["/seldon/ns/iris/api/v1.0/feedback", {}, 400, /needs "truth" or "reward"/],
      ["/seldon/ns/iris/api/v1.0/feedback", { reward: "high" }, 400, /reward.*finite number/],
      ["/seldon/ns/iris/api/v1.0/feedback", { truth: { data: { strData: "x" } } }, 400, /ndarray.*tensor/],
      ["/seldon/ns/iris/api/v1.0/feedback", { truth: { data: { ndarray: [1] } } }, 400, /needs the response/],
      ["/seldon/ns/iris/api/v1.0/feedback", { response: { data: { tensor: { shape: [2, 2], values: [1] } } }, truth: { data: { ndarray: [1, 1] } } }, 400, /shape \[2, 2\] needs 4/],
      ["/seldon/ns/iris/api/v1.0/feedback", { response: { data: { ndarray: [1, 2] } }, truth: { data: { ndarray: [1] } } }, 400, /truth has 1 values but the response has 2/],
      ["/seldon/ns/iris/api/v1.0/feedback", { request: { data: { ndarray: [[9, 9, 9, 9]] } }, truth: { data: { ndarray: [1] } } }, 404, /no logged prediction/],
    ];
    for (const [path, body, status, re] of cases) {
      const r = await post(s.base, path, body);
      assert.equal(r.status, status, `${path} ${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json.error, re);
    }
    // Not JSON at all.
    const r = await postRaw(s.base, "/api/v1.0/feedback", "nope", { "content-type": "application/json" });
    assert.equal(r.status, 400);
  });
});

test("with a single configured model, Seldon feedback needs no model name", async () => {
  await withServer({ models: { iris: twoModels.models.iris } }, async (s) => {
    const r = await post(s.base, "/api/v1.0/feedback", { response: { data: { ndarray: [[0.2, 0.8]] } }, truth: { data: { ndarray: [[0, 1]] } }, reward: 1 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.meta.tags.metrics.accuracy, 1);
  });
});

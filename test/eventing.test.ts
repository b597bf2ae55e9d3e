import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { versions } from "../components/versions";
import { manifest, renderDevWith } from "./helpers";

describe("Knative Eventing with the Kafka broker class (durable environments)", () => {
    it("installs the Kafka broker through the operator and points Brokers and the logger at it", async () => {
        const render = await renderDevWith({ eventing: { brokerClass: "Kafka", kafkaBootstrapServers: "kafka-0.kafka:9092,kafka-1.kafka:9092", kafkaReplicationFactor: 2, retry: 5 } });
        const ke = manifest(render, "KnativeEventing", "knative-eventing") as any;
        assert.equal(ke.spec.defaultBrokerClass, "Kafka");
        assert.deepEqual(ke.spec.additionalManifests, [{ URL: versions.kafkaBroker.controller }, { URL: versions.kafkaBroker.broker }]);
        // The Kafka broker manifests ship kafka-broker-config; the operator's override sets its data (one owner).
        assert.deepEqual(ke.spec.config["kafka-broker-config"], { "bootstrap.servers": "kafka-0.kafka:9092,kafka-1.kafka:9092", "default.topic.partitions": "10", "default.topic.replication.factor": "2" });
        assert.equal(render.manifests.some((m) => m.kind === "ConfigMap" && m.metadata.name === "kafka-broker-config"), false);
        const broker = manifest(render, "Broker", "default") as any;
        assert.equal(broker.metadata.annotations["eventing.knative.dev/broker.class"], "Kafka");
        assert.deepEqual(broker.spec.config, { apiVersion: "v1", kind: "ConfigMap", name: "kafka-broker-config", namespace: "knative-eventing" });
        assert.equal(broker.spec.delivery.retry, 5);
        assert.equal(render.outputs["brokerUrl"], "http://kafka-broker-ingress.knative-eventing.svc.cluster.local/inferstack-models/default");
        const iris = manifest(render, "InferenceService", "sklearn-iris") as any;
        assert.equal(iris.spec.predictor.logger.url, render.outputs["brokerUrl"]);
    });

    it("scales the control planes for HA from one key", async () => {
        const render = await renderDevWith({ serving: { controlPlaneReplicas: 3 } });
        assert.equal((manifest(render, "KnativeServing", "knative-serving") as any).spec["high-availability"].replicas, 3);
        assert.equal((manifest(render, "KnativeEventing", "knative-eventing") as any).spec["high-availability"].replicas, 3);
        const charts = render.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");
        // The KServe chart has no replicas value: a transform sets them in the chart's own Deployment (no patch).
        const kserve = charts.find((c) => c.inputs["chart"] === "oci://ghcr.io/kserve/charts/kserve-resources")!;
        let controller: Record<string, any> = { metadata: { name: "kserve-controller-manager" }, spec: { replicas: 1 } };
        for (const transform of render.transforms.get(kserve.urn) ?? []) {
            controller = (await transform({ custom: true, type: "kubernetes:apps/v1:Deployment", name: "controller", props: controller, opts: {} }))?.props ?? controller;
        }
        assert.equal(controller.spec.replicas, 3);
        assert.deepEqual(render.patches, []);
        const cm = charts.find((c) => c.inputs["chart"] === "cert-manager") as any;
        assert.equal(cm.inputs.values.replicaCount, 3);
    });

    it("without monitoring, no monitors, rules or dashboards are declared", async () => {
        const models = (await import("./helpers")).devModelsWithoutMonitoring();
        const render = await renderDevWith({ monitoring: { enabled: false }, models });
        for (const kind of ["PodMonitor", "PrometheusRule", "Trigger"]) assert.equal(render.manifests.filter((m) => m.kind === kind).length, 0, kind);
        assert.equal(render.resources.filter((r) => String(r.inputs["chart"]) === "kube-prometheus-stack").length, 0);
        assert.equal(render.outputs["prometheusUrl"], "");
    });
});

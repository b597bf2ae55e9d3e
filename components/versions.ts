/**
 * Every upstream version inferstack installs, in one place.
 *
 * Each entry names the upstream release it pins. Bumping a version is a one-line change here, followed by
 * `npm test` (the tests read these pins, so a chart or image left on an old version shows up in one diff).
 * No entry may be `latest` or untagged: the policy pack and the tests both refuse it.
 */
export const versions = {
    /** cert-manager Helm chart (jetstack/cert-manager), release v1.19.1. KServe's webhooks need its CRDs. */
    certManager: {
        chart: "cert-manager",
        repo: "https://charts.jetstack.io",
        version: "v1.19.1",
    },
    /**
     * Knative Operator Helm chart (knative/operator), release knative-v1.20.0.
     * The operator then installs Knative Serving and Eventing at `knative.serving` / `knative.eventing`.
     */
    knativeOperator: {
        chart: "knative-operator",
        repo: "https://knative.github.io/operator",
        version: "v1.20.0",
    },
    /** Knative Serving as installed by the operator (knative/serving release knative-v1.20.0; KServe 0.16 tests 1.19+). */
    knativeServing: "1.20",
    /** Knative Eventing as installed by the operator (knative/eventing release knative-v1.20.0). */
    knativeEventing: "1.20",
    /** Kafka broker data plane and controller (knative-extensions/eventing-kafka-broker, release knative-v1.20.0). */
    kafkaBroker: {
        controller:
            "https://github.com/knative-extensions/eventing-kafka-broker/releases/download/knative-v1.20.0/eventing-kafka-controller.yaml",
        broker:
            "https://github.com/knative-extensions/eventing-kafka-broker/releases/download/knative-v1.20.0/eventing-kafka-broker.yaml",
    },
    /** KServe Helm charts (kserve/kserve), release v0.16.0: CRDs first, then the controller and runtimes. */
    kserve: {
        crds: { chart: "oci://ghcr.io/kserve/charts/kserve-crd", version: "v0.16.0" },
        controller: { chart: "oci://ghcr.io/kserve/charts/kserve", version: "v0.16.0" },
    },
    /** kube-prometheus-stack Helm chart (prometheus-community/helm-charts), release kube-prometheus-stack-79.0.0. */
    kubePrometheusStack: {
        chart: "kube-prometheus-stack",
        repo: "https://prometheus-community.github.io/helm-charts",
        version: "79.0.0",
    },
    /** Container images the platform runs itself. */
    images: {
        /** MinIO server, release RELEASE.2025-09-07T16-13-09Z. */
        minio: "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
        /** MinIO client (bucket creation Job), release RELEASE.2025-08-13T08-35-41Z. */
        minioClient: "quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z",
        /** curl, to download seed objects (sample models) for the Minio setup Job; curl release 8.16.0. */
        curl: "docker.io/curlimages/curl:8.16.0",
        /** Dead-letter sink: Knative's event_display sample, release knative-v1.20.0. */
        eventDisplay: "gcr.io/knative-releases/knative.dev/eventing/cmd/event_display:v1.20.0",
        /** inferstack's own model monitor (services/monitor), built and pushed by the platform team. */
        monitor: "ghcr.io/inferstack/monitor:0.1.0",
    },
} as const;

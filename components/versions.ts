/**
 * Every upstream version inferstack installs, in one place.
 *
 * Each entry names the upstream release it pins. Bumping a version is a one-line change here, followed by
 * `npm test` (the tests read these pins, so a chart or image left on an old version shows up in one diff).
 * No entry may be `latest` or untagged: the policy pack and the tests both refuse it.
 */
export const versions = {
    /** cert-manager Helm chart (jetstack/cert-manager), release v1.21.1. KServe's webhooks need its CRDs. */
    certManager: {
        chart: "cert-manager",
        repo: "https://charts.jetstack.io",
        version: "v1.21.1",
    },
    /**
     * Knative Operator Helm chart (knative/operator), release knative-v1.23.0, which bundles Serving and
     * Eventing 1.23.0. The packaged chart's version has no leading "v" (the release script strips it).
     * The operator then installs Knative Serving and Eventing at `knative.serving` / `knative.eventing`.
     */
    knativeOperator: {
        chart: "knative-operator",
        repo: "https://knative.github.io/operator",
        version: "1.23.0",
    },
    /**
     * Knative Serving as installed by the operator (knative/serving release knative-v1.23.0). KServe 0.20's docs
     * name 1.19 to 1.21 as tested; 1.23 keeps the same v1 APIs (see README, limitations).
     */
    knativeServing: "1.23",
    /** Knative Eventing as installed by the operator (knative/eventing release knative-v1.23.0). */
    knativeEventing: "1.23",
    /** Kafka broker data plane and controller (knative-extensions/eventing-kafka-broker, release knative-v1.23.0). */
    kafkaBroker: {
        controller:
            "https://github.com/knative-extensions/eventing-kafka-broker/releases/download/knative-v1.23.0/eventing-kafka-controller.yaml",
        broker:
            "https://github.com/knative-extensions/eventing-kafka-broker/releases/download/knative-v1.23.0/eventing-kafka-broker.yaml",
    },
    /**
     * KServe Helm charts (kserve/kserve), release v0.20.0: the CRDs, then the controller and its shared
     * configuration (`kserve-resources`), then the ClusterServingRuntimes (`kserve-runtime-configs`).
     */
    kserve: {
        crds: { chart: "oci://ghcr.io/kserve/charts/kserve-crd", version: "v0.20.0" },
        resources: { chart: "oci://ghcr.io/kserve/charts/kserve-resources", version: "v0.20.0" },
        runtimeConfigs: { chart: "oci://ghcr.io/kserve/charts/kserve-runtime-configs", version: "v0.20.0" },
    },
    /** kube-prometheus-stack Helm chart (prometheus-community/helm-charts), release kube-prometheus-stack-88.5.3. */
    kubePrometheusStack: {
        chart: "kube-prometheus-stack",
        repo: "https://prometheus-community.github.io/helm-charts",
        version: "88.5.3",
    },
    /** Container images the platform runs itself. */
    images: {
        /** MinIO server, release RELEASE.2025-09-07T16-13-09Z. */
        minio: "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
        /** MinIO client (bucket creation Job), release RELEASE.2025-08-13T08-35-41Z. */
        minioClient: "quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z",
        /** curl, to download seed objects (sample models) for the Minio setup Job; curl release 8.16.0. */
        curl: "docker.io/curlimages/curl:8.16.0",
        /** Dead-letter sink: Knative's event_display sample, release knative-v1.23.0. */
        eventDisplay: "gcr.io/knative-releases/knative.dev/eventing/cmd/event_display:v1.23.0",
        /** inferstack's own model monitor (services/monitor), built and pushed by the platform team. */
        monitor: "ghcr.io/inferstack/monitor:0.1.0",
        /**
         * inferstack's own explainer and adversarial-input detector (services/explainer, one image, two modes), built
         * from services/ (`docker build -f services/explainer/Dockerfile services`) and pushed by the platform team.
         */
        explainer: "ghcr.io/inferstack/explainer:0.1.0",
    },
    /**
     * What the cloud clusters add on top of what the cloud installs itself (components/cluster/*).
     * The EKS add-on `aws-ebs-csi-driver` is not pinned here: EKS installs the add-on's default version for the
     * cluster's Kubernetes version (list them with `aws eks describe-addon-versions --addon-name aws-ebs-csi-driver`).
     */
    cloudAddons: {
        /**
         * NVIDIA device plugin Helm chart (NVIDIA/k8s-device-plugin), release v0.20.0; the packaged chart's version
         * has no leading "v". It advertises `nvidia.com/gpu` on the EKS and AKS GPU pools (GKE runs its own).
         */
        nvidiaDevicePlugin: {
            chart: "nvidia-device-plugin",
            repo: "https://nvidia.github.io/k8s-device-plugin",
            version: "0.20.0",
        },
    },
} as const;

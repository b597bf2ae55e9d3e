import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { restrictedSecurityContext } from "../../podSecurity";
import { partOfLabel, platformNamespace } from "../../kubernetes";
import { versions } from "../../versions";
import { defaultModelServiceAccount } from "../modelServiceAccount";
import { ObjectStore } from "../objectStore";

/** An object to copy into a bucket once, e.g. a public sample model. */
export interface SeedObject {
    /** Public HTTPS URL to download. */
    url: string;
    /** Target as `<bucket>/<key>`. */
    target: string;
}

export interface MinioObjectStoreArgs {
    /** Namespace Minio runs in. Default: inferstack-storage. */
    namespace?: string;
    /** Namespace of the InferenceServices: the KServe credentials and ServiceAccount go there. */
    modelNamespace: pulumi.Input<string>;
    /** Bucket for model artifacts. */
    modelBucket: string;
    /** Further buckets to create. */
    extraBuckets?: string[];
    /** Size of the data volume, e.g. 10Gi. */
    volumeSize: string;
    /** StorageClass of the data volume; the cluster default when unset. */
    storageClass?: string;
    /** What the data volume waits for: the cluster's default StorageClass and its CSI driver (EKS). */
    storageReady?: pulumi.Resource[];
    /** Objects to download into the buckets (sample models, reference data). */
    seed?: SeedObject[];
}

const apiPort = 9000;

/** Name of the Minio policy of the read-only user the storage initializer and the monitor use. */
export const readerPolicyName = "inferstack-model-reader";

/**
 * What the read-only user may do: list the buckets and read their objects. Minio's built-in `readonly` policy
 * grants GetObject but not ListBucket, and KServe's storage initializer lists the prefix before downloading.
 */
export function readerPolicy(buckets: string[]) {
    return {
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: buckets.map((b) => `arn:aws:s3:::${b}`) },
            { Effect: "Allow", Action: ["s3:GetObject"], Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`) },
        ],
    };
}

/**
 * Shell that downloads each seed object to /seed/<i>. A URL that fails (moved sample, no egress) is reported and
 * skipped, never fatal: the platform must deploy without its samples, and the model that needs the object then
 * reports the missing artifact in its own status.
 */
export function seedDownloadScript(seed: SeedObject[]): string {
    return seed
        // Bounded so that even silently dropped traffic ends well inside the provider's 10-minute wait for the Job.
        .map((s, i) => `curl -fsSL --connect-timeout 10 --max-time 120 --retry 2 -o /seed/${i} '${s.url}' || { rm -f /seed/${i}; echo "seed ${i} not downloaded: ${s.url} (${s.target} stays empty)"; }`)
        .join("\n");
}
const consolePort = 9001;

/**
 * Minio in the cluster, for dev and for clusters without a cloud store: one server on a protected volume,
 * generated root credentials, buckets created by a setup Job, and a read-only user whose keys KServe's storage
 * initializer (and the monitors) use, so no model pod ever holds the root credentials.
 */
export class MinioObjectStore extends pulumi.ComponentResource implements ObjectStore {
    public readonly kind = "minio" as const;
    public readonly modelBucket: pulumi.Output<string>;
    public readonly modelUriPrefix: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;
    public readonly s3Endpoint: pulumi.Output<string>;
    public readonly s3CredentialsSecretName: pulumi.Output<string>;
    /** Minio namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** The setup Job (buckets, read-only user, seeded samples): InferenceServices wait for it to complete. */
    public readonly ready: pulumi.Resource[];
    /** Root user's password (a Pulumi secret), for `mc alias set` by operators. */
    public readonly rootPassword: pulumi.Output<string>;

    constructor(name: string, args: MinioObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:storage:MinioObjectStore", name, {}, opts);
        const child = { parent: this };
        const nsName = args.namespace ?? "inferstack-storage";
        const labels = { "app.kubernetes.io/name": "minio", ...partOfLabel };
        const buckets = [args.modelBucket, ...(args.extraBuckets ?? [])];

        this.namespace = platformNamespace(name, nsName, child).metadata.name;

        const rootPassword = new random.RandomPassword(`${name}-root`, { length: 32, special: false }, { parent: this });
        const readerPassword = new random.RandomPassword(`${name}-reader`, { length: 32, special: false }, { parent: this });
        this.rootPassword = rootPassword.result;
        const rootUser = "inferstack-root";
        const readerUser = "inferstack-reader";

        const rootSecret = new k8s.core.v1.Secret(
            `${name}-root`,
            {
                metadata: { name: "minio-root", namespace: this.namespace, labels },
                stringData: { MINIO_ROOT_USER: rootUser, MINIO_ROOT_PASSWORD: rootPassword.result },
            },
            child,
        );
        const readerSecret = new k8s.core.v1.Secret(
            `${name}-reader`,
            {
                metadata: { name: "minio-reader", namespace: this.namespace, labels },
                stringData: { READER_USER: readerUser, READER_PASSWORD: readerPassword.result },
            },
            child,
        );

        // The data volume outlives the stack: deleting it would delete every model artifact.
        const data = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            {
                metadata: { name: "minio-data", namespace: this.namespace, labels },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: args.storageClass,
                    resources: { requests: { storage: args.volumeSize } },
                },
            },
            { ...child, protect: true, retainOnDelete: true, dependsOn: args.storageReady },
        );

        const deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name: "minio", namespace: this.namespace, labels },
                spec: {
                    replicas: 1,
                    // One writer on a ReadWriteOnce volume: never run two pods at once.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            // Minio serves S3 from its volume and never calls the Kubernetes API: no ServiceAccount token.
                            automountServiceAccountToken: false,
                            securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true },
                            containers: [
                                {
                                    name: "minio",
                                    image: versions.images.minio,
                                    args: ["server", "/data", "--console-address", `:${consolePort}`],
                                    envFrom: [{ secretRef: { name: rootSecret.metadata.name } }],
                                    env: [{ name: "MINIO_PROMETHEUS_AUTH_TYPE", value: "public" }],
                                    ports: [
                                        { name: "api", containerPort: apiPort },
                                        { name: "console", containerPort: consolePort },
                                    ],
                                    readinessProbe: { httpGet: { path: "/minio/health/ready", port: apiPort }, periodSeconds: 10 },
                                    livenessProbe: { httpGet: { path: "/minio/health/live", port: apiPort }, periodSeconds: 20 },
                                    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                                    securityContext: restrictedSecurityContext,
                                    volumeMounts: [{ name: "data", mountPath: "/data" }],
                                },
                            ],
                            volumes: [{ name: "data", persistentVolumeClaim: { claimName: data.metadata.name } }],
                        },
                    },
                },
            },
            child,
        );

        const service = new k8s.core.v1.Service(
            name,
            {
                metadata: { name: "minio", namespace: this.namespace, labels },
                spec: {
                    selector: labels,
                    ports: [
                        { name: "api", port: apiPort, targetPort: "api" },
                        { name: "console", port: consolePort, targetPort: "console" },
                    ],
                },
            },
            child,
        );
        const endpointHost = pulumi.interpolate`${service.metadata.name}.${this.namespace}.svc.cluster.local:${apiPort}`;
        this.s3Endpoint = pulumi.interpolate`http://${endpointHost}`;

        // Buckets, versioning and the read-only user, created idempotently (re-runs are no-ops).
        const script = [
            "set -eu",
            `until mc alias set local http://minio.${nsName}.svc.cluster.local:${apiPort} "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"; do sleep 3; done`,
            ...buckets.flatMap((b) => [`mc mb --ignore-existing local/${b}`, `mc version enable local/${b}`]),
            'mc admin user add local "$READER_USER" "$READER_PASSWORD"',
            `cat > /tmp/${readerPolicyName}.json <<'POLICY'\n${JSON.stringify(readerPolicy(buckets))}\nPOLICY`,
            `mc admin policy create local ${readerPolicyName} /tmp/${readerPolicyName}.json`,
            // Attaching twice is an error ("already in effect"): on a re-run, check the attachment instead.
            `mc admin policy attach local ${readerPolicyName} --user "$READER_USER" || mc admin user info local "$READER_USER" | grep -q ${readerPolicyName}`,
            ...(args.seed ?? []).map((s, i) => `if [ -s /seed/${i} ]; then mc cp /seed/${i} local/${s.target}; fi`),
        ].join("\n");
        const seedDownloads = seedDownloadScript(args.seed ?? []);
        const jobPodSecurity = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 };
        // The provider waits for the Job to complete; InferenceServices wait on it (see `ready`).
        const setup = new k8s.batch.v1.Job(
            `${name}-setup`,
            {
                metadata: { namespace: this.namespace, labels: { ...labels, "app.kubernetes.io/component": "setup" } },
                spec: {
                    backoffLimit: 6,
                    template: {
                        metadata: { labels: { ...labels, "app.kubernetes.io/component": "setup" } },
                        spec: {
                            restartPolicy: "OnFailure",
                            // The setup talks to Minio only (mc, curl): no ServiceAccount token.
                            automountServiceAccountToken: false,
                            securityContext: jobPodSecurity,
                            initContainers: seedDownloads
                                ? [
                                      {
                                          name: "download",
                                          image: versions.images.curl,
                                          command: ["sh", "-c", seedDownloads],
                                          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                                          securityContext: restrictedSecurityContext,
                                          volumeMounts: [{ name: "seed", mountPath: "/seed" }],
                                      },
                                  ]
                                : undefined,
                            containers: [
                                {
                                    name: "setup",
                                    image: versions.images.minioClient,
                                    command: ["sh", "-c", script],
                                    env: [{ name: "MC_CONFIG_DIR", value: "/tmp/mc" }],
                                    envFrom: [{ secretRef: { name: rootSecret.metadata.name } }, { secretRef: { name: readerSecret.metadata.name } }],
                                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                                    securityContext: restrictedSecurityContext,
                                    volumeMounts: [{ name: "seed", mountPath: "/seed" }],
                                },
                            ],
                            volumes: [{ name: "seed", emptyDir: {} }],
                        },
                    },
                },
            },
            { ...child, dependsOn: [deployment] },
        );

        // What KServe's storage initializer reads: S3 keys plus the endpoint annotations on the Secret.
        const kserveSecret = new k8s.core.v1.Secret(
            `${name}-kserve-s3`,
            {
                metadata: {
                    name: "kserve-s3-credentials",
                    namespace: args.modelNamespace,
                    annotations: {
                        "serving.kserve.io/s3-endpoint": endpointHost,
                        "serving.kserve.io/s3-usehttps": "0",
                        "serving.kserve.io/s3-verifyssl": "0",
                        "serving.kserve.io/s3-region": "us-east-1",
                    },
                },
                stringData: { AWS_ACCESS_KEY_ID: readerUser, AWS_SECRET_ACCESS_KEY: readerPassword.result },
            },
            child,
        );
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-kserve-sa`,
            {
                metadata: { name: defaultModelServiceAccount, namespace: args.modelNamespace },
                secrets: [{ name: kserveSecret.metadata.name }],
            },
            child,
        );
        this.serviceAccountName = sa.metadata.name;
        this.ready = [setup];
        this.s3CredentialsSecretName = kserveSecret.metadata.name;
        this.modelBucket = pulumi.output(args.modelBucket);
        this.modelUriPrefix = pulumi.output(`s3://${args.modelBucket}`);
        this.registerOutputs({
            namespace: this.namespace,
            s3Endpoint: this.s3Endpoint,
            modelBucket: this.modelBucket,
            serviceAccountName: this.serviceAccountName,
            rootPassword: this.rootPassword,
        });
    }
}

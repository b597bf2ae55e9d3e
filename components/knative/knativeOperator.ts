import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { versions } from "../versions";

export interface KnativeOperatorArgs {
    /** Provider of the target cluster. */
    provider: k8s.Provider;
    /** Namespace of the operator. Default: knative-operator. */
    namespace?: string;
}

/**
 * The Knative Operator: it owns the Knative Serving and Eventing installs, so that each is one typed custom
 * resource (KnativeServing, KnativeEventing) whose config the API server validates, instead of a few thousand
 * lines of release YAML patched in place.
 */
export class KnativeOperator extends pulumi.ComponentResource {
    /** Namespace the operator runs in. */
    public readonly namespace: pulumi.Output<string>;
    /** The operator chart; KnativeServing/KnativeEventing wait on it for their CRDs. */
    public readonly chart: k8s.helm.v4.Chart;

    constructor(name: string, args: KnativeOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("inferstack:knative:KnativeOperator", name, {}, opts);
        const ns = new k8s.core.v1.Namespace(
            name,
            { metadata: { name: args.namespace ?? "knative-operator", labels: { "app.kubernetes.io/part-of": "inferstack" } } },
            { parent: this, provider: args.provider },
        );
        this.namespace = ns.metadata.name;
        this.chart = new k8s.helm.v4.Chart(
            name,
            {
                chart: versions.knativeOperator.chart,
                version: versions.knativeOperator.version,
                repositoryOpts: { repo: versions.knativeOperator.repo },
                namespace: this.namespace,
            },
            { parent: this, provider: args.provider },
        );
        this.registerOutputs({ namespace: this.namespace });
    }
}

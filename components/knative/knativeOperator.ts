import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pinnedChart, platformNamespace } from "../kubernetes";
import { versions } from "../versions";

export interface KnativeOperatorArgs {
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
        const child = { parent: this };
        this.namespace = platformNamespace(name, args.namespace ?? "knative-operator", child).metadata.name;
        this.chart = pinnedChart(name, versions.knativeOperator, { namespace: this.namespace }, child);
        this.registerOutputs({ namespace: this.namespace });
    }
}

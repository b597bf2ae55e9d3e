import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pinnedChart, platformNamespace } from "../kubernetes";
import { versions } from "../versions";
import { gpuNodeLabel, gpuTaint } from "./kubernetesCluster";

/** Namespace of the NVIDIA device plugin. */
export const devicePluginNamespace = "nvidia-device-plugin";

/**
 * The NVIDIA device plugin (Helm chart, pinned in components/versions.ts) on the GPU pool only: a DaemonSet that
 * registers each node's GPUs with the kubelet, so the node advertises `nvidia.com/gpu` and pods requesting it can
 * be scheduled. Needed where the cloud installs the driver but not the plugin (EKS AL2023 NVIDIA AMI, AKS).
 *
 * The chart's default node affinity expects Node Feature Discovery labels, which these clusters do not run; it is
 * replaced by the pool's own label, and its tolerations by the pool's taint.
 */
export function nvidiaDevicePlugin(name: string, provider: k8s.Provider, opts: pulumi.ComponentResourceOptions): k8s.helm.v4.Chart {
    const child = { ...opts, provider };
    // The plugin mounts the kubelet's device-plugin socket directory (a hostPath): only the privileged Pod
    // Security level admits that, so its namespace says so explicitly.
    const namespace = platformNamespace(`${name}-ns`, devicePluginNamespace, child, { "pod-security.kubernetes.io/enforce": "privileged" });
    const [labelKey, labelValue] = Object.entries(gpuNodeLabel)[0];
    return pinnedChart(
        name,
        versions.cloudAddons.nvidiaDevicePlugin,
        {
            namespace: namespace.metadata.name,
            name: "nvidia-device-plugin",
            values: {
                nodeSelector: gpuNodeLabel,
                // Lists replace the chart's defaults (maps would merge), so this is the whole required affinity.
                affinity: {
                    nodeAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: {
                            nodeSelectorTerms: [{ matchExpressions: [{ key: labelKey, operator: "In", values: [labelValue] }] }],
                        },
                    },
                },
                tolerations: [{ key: gpuTaint.key, operator: "Exists", effect: gpuTaint.effect }],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
            },
        },
        child,
    );
}

/**
 * The GPU node pools' taint and label, and Kubernetes' toleration matching: pure data and logic (no SDK), shared by
 * the cluster variants that taint their GPU pools, ModelService that tolerates the taint, and the model schema
 * that refuses a toleration aimed at the taint that does not tolerate it.
 */

/** Taint every GPU node pool carries, on every cloud (ModelService tolerates this taint). */
export const gpuTaint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" } as const;
/** Label every GPU node pool carries (a GPU model selects on it). */
export const gpuNodeLabel = { "inferstack.io/gpu": "true" };

/** A taint: what a node refuses pods with. */
export interface Taint {
    readonly key: string;
    readonly value?: string;
    readonly effect: string;
}

/** A toleration, as core/v1 writes it (an unset operator is Equal). */
export interface Toleration {
    readonly key?: string;
    readonly operator?: string;
    readonly value?: string;
    readonly effect?: string;
}

/**
 * Whether a toleration tolerates a taint, as the scheduler decides it (k8s.io/api core/v1 `Toleration.ToleratesTaint`):
 * an empty effect matches every effect, an empty key (with Exists) every key; Exists matches any value, Equal (or no
 * operator) only the taint's value.
 */
export function tolerates(t: Toleration, taint: Taint): boolean {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key && t.key !== taint.key) return false;
    switch (t.operator ?? "Equal") {
        case "Exists":
            return true;
        case "Equal":
            return (t.value ?? "") === (taint.value ?? "");
        default:
            return false;
    }
}

/** The `inferstack:cluster` fragment of an existing cluster (kind, minikube, k3d, any kubeconfig). */
import { z } from "zod";

export const existingClusterSchema = z
    .object({
        provider: z.literal("existing"),
        /** kubeconfig context to use; the current context when unset. */
        context: z.string().optional(),
        /** Path to a kubeconfig file; $KUBECONFIG or ~/.kube/config when unset. */
        kubeconfigPath: z.string().optional(),
    })
    .strict();

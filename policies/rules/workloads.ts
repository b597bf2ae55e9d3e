/** Workload guardrails: images, resources and pod security for every pod (and every container of it) the stack declares. */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { componentsOf, Container, FoundPodSpec, InferenceService, isRuntimeModelContainer, modelSpecsOf, objectName, parseImage, podSpecsOf, quantity, Toleration, types } from "./kubernetes";

/** Runs `check` on every container (with its pod) a resource declares. */
function eachContainer(args: ResourceValidationArgs, check: (c: Container, where: string, pod: FoundPodSpec) => void) {
    for (const pod of podSpecsOf(args.type, args.props)) {
        for (const c of pod.containers) check(c, `${objectName(args.props, args.name)} ${pod.path} container ${c.name ?? "(unnamed)"}`, pod);
    }
}

export const imagesPinned: ResourceValidationPolicy = {
    name: "images-pinned",
    description: "Every container image names an exact version: a tag other than latest, or a digest (required when requireDigest is set); a KServe model's runtimeVersion is never latest.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { requireDigest: { type: "boolean", default: false } } },
    validateResource: (args, report) => {
        const { requireDigest } = args.getConfig<{ requireDigest: boolean }>();
        eachContainer(args, (c, where) => {
            // A KServe model container without an image runs its ServingRuntime's image, pinned by the KServe chart.
            if (c.image === undefined) return;
            const ref = parseImage(c.image);
            if (requireDigest && !ref.digest) report(`${where}: image ${c.image} has no digest; pin it as <image>@sha256:... (policy config requireDigest).`);
            else if (!ref.digest && !ref.tag) report(`${where}: image ${c.image} is untagged (it means latest); pin a release tag in components/versions.ts or the model config.`);
            else if (!ref.digest && ref.tag === "latest") report(`${where}: image ${c.image} uses the latest tag; pin a release tag.`);
        });
        // runtimeVersion replaces the tag of the ServingRuntime's image: `latest` (or an empty tag) unpins it.
        if (args.type !== types.inferenceService) return;
        for (const component of componentsOf(args.props as InferenceService)) {
            for (const m of modelSpecsOf(component.spec)) {
                const v = m.spec.runtimeVersion;
                if (v === undefined) continue;
                if (v.trim() === "" || v.trim().toLowerCase() === "latest") {
                    report(`${objectName(args.props, args.name)} spec.${component.name}.${m.key}.runtimeVersion is "${v}"; set models[].stable.runtimeVersion (or canary) to a release tag, or remove it to use the runtime's pinned image.`);
                }
            }
        }
    },
};

export const defaultAllowedRegistries = ["docker.io", "quay.io", "ghcr.io", "gcr.io", "registry.k8s.io", "public.ecr.aws", "nvcr.io", "mcr.microsoft.com"];

export const imagesFromAllowedRegistries: ResourceValidationPolicy = {
    name: "images-allowed-registries",
    description: "Container images come only from the allowed registries.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { allowedRegistries: { type: "array", items: { type: "string" }, default: defaultAllowedRegistries } } },
    validateResource: (args, report) => {
        const { allowedRegistries } = args.getConfig<{ allowedRegistries: string[] }>();
        eachContainer(args, (c, where) => {
            if (c.image === undefined) return;
            const { registry } = parseImage(c.image);
            if (!allowedRegistries.includes(registry)) {
                report(`${where}: image ${c.image} comes from ${registry}, which is not an allowed registry (${allowedRegistries.join(", ")}); mirror it or add the registry to the policy config.`);
            }
        });
    },
};

export const containerResources: ResourceValidationPolicy = {
    name: "containers-resources",
    description:
        "Every container requests CPU and memory and has a memory limit (and a CPU limit when requireCpuLimit is set); requests never exceed limits; limits stay under the environment's ceiling (maxCpuLimit, maxMemoryLimit).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireCpuLimit: { type: "boolean", default: true },
            maxCpuLimit: { type: "string", default: "", description: "Highest CPU limit of one container (a quantity, e.g. \"16\"); empty: no ceiling." },
            maxMemoryLimit: { type: "string", default: "", description: "Highest memory limit of one container (e.g. \"64Gi\"); empty: no ceiling." },
        },
    },
    validateResource: (args, report) => {
        const { requireCpuLimit, maxCpuLimit, maxMemoryLimit } = args.getConfig<{ requireCpuLimit: boolean; maxCpuLimit: string; maxMemoryLimit: string }>();
        const ceilings: Record<string, string> = { cpu: maxCpuLimit, memory: maxMemoryLimit };
        eachContainer(args, (c, where) => {
            const requests = c.resources?.requests ?? {};
            const limits = c.resources?.limits ?? {};
            const missing = [
                requests["cpu"] === undefined && "requests.cpu",
                requests["memory"] === undefined && "requests.memory",
                limits["memory"] === undefined && "limits.memory",
                requireCpuLimit && limits["cpu"] === undefined && "limits.cpu",
            ].filter(Boolean);
            if (missing.length > 0) {
                report(`${where}: set resources ${missing.join(", ")} (for a model: models[].resources).`);
                return;
            }
            for (const r of ["cpu", "memory"]) {
                if (limits[r] !== undefined && quantity(requests[r]) > quantity(limits[r])) report(`${where}: requests.${r} ${String(requests[r])} exceeds limits.${r} ${String(limits[r])}.`);
                const ceiling = ceilings[r];
                if (ceiling && limits[r] !== undefined && !(quantity(limits[r]) <= quantity(ceiling))) {
                    report(`${where}: limits.${r} ${String(limits[r])} is above this environment's ceiling of ${ceiling} (policy config max${r === "cpu" ? "Cpu" : "Memory"}Limit); lower models[].resources.${r}Limit.`);
                }
            }
        });
    },
};

/** Capabilities the restricted Pod Security Standard lets a container add. */
export const defaultAllowedCapabilities = ["NET_BIND_SERVICE"];

export const notPrivileged: ResourceValidationPolicy = {
    name: "containers-not-privileged",
    description: "No container runs privileged, may escalate privileges, adds Linux capabilities beyond the allowed ones, or runs with seccomp Unconfined (pod or container).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { allowedCapabilities: { type: "array", items: { type: "string" }, default: defaultAllowedCapabilities } } },
    validateResource: (args, report) => {
        const { allowedCapabilities } = args.getConfig<{ allowedCapabilities: string[] }>();
        for (const pod of podSpecsOf(args.type, args.props)) {
            if (pod.spec.securityContext?.seccompProfile?.type === "Unconfined") {
                report(`${objectName(args.props, args.name)} ${pod.path}: securityContext.seccompProfile is Unconfined; use RuntimeDefault.`);
            }
        }
        eachContainer(args, (c, where) => {
            const sc = c.securityContext;
            if (sc?.privileged === true) report(`${where}: runs privileged; remove securityContext.privileged.`);
            if (sc?.allowPrivilegeEscalation === true) report(`${where}: allows privilege escalation; set securityContext.allowPrivilegeEscalation: false.`);
            const added = (sc?.capabilities?.add ?? []).map((cap) => String(cap).toUpperCase().replace(/^CAP_/, "")).filter((cap) => !allowedCapabilities.includes(cap));
            if (added.length > 0) report(`${where}: adds capabilities ${added.join(", ")}; remove securityContext.capabilities.add (allowed: ${allowedCapabilities.join(", ") || "none"}).`);
            if (sc?.seccompProfile?.type === "Unconfined") report(`${where}: securityContext.seccompProfile is Unconfined; use RuntimeDefault.`);
        });
    },
};

export const restrictedContainers: ResourceValidationPolicy = {
    name: "containers-restricted",
    description: "Every container states the restricted Pod Security Standard's hardening: allowPrivilegeEscalation: false and capabilities.drop [ALL].",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        eachContainer(args, (c, where) => {
            // KServe's model container takes its security context from the ServingRuntime.
            if (isRuntimeModelContainer(c)) return;
            const sc = c.securityContext;
            const missing = [
                sc?.allowPrivilegeEscalation !== false && "allowPrivilegeEscalation: false",
                !(sc?.capabilities?.drop ?? []).some((d) => String(d).toUpperCase() === "ALL") && "capabilities.drop: [ALL]",
            ].filter(Boolean);
            if (missing.length > 0) report(`${where}: set securityContext ${missing.join(" and ")} (the restricted Pod Security Standard).`);
        });
    },
};

export const runAsNonRoot: ResourceValidationPolicy = {
    name: "pods-run-as-non-root",
    description: "Every container runs as a non-root user (runAsNonRoot on the pod or the container, and never runAsUser 0).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        for (const pod of podSpecsOf(args.type, args.props)) {
            const podNonRoot = pod.spec.securityContext?.runAsNonRoot === true;
            for (const c of pod.containers) {
                const where = `${objectName(args.props, args.name)} ${pod.path} container ${c.name ?? "(unnamed)"}`;
                // KServe's model container takes its security context from the ServingRuntime (non-root upstream).
                if (isRuntimeModelContainer(c)) continue;
                if (c.securityContext?.runAsUser === 0 || pod.spec.securityContext?.runAsUser === 0) report(`${where}: runs as user 0 (root); run as a non-root UID.`);
                else if (!podNonRoot && c.securityContext?.runAsNonRoot !== true) report(`${where}: set securityContext.runAsNonRoot: true (on the pod or the container).`);
            }
        }
    },
};

export const noHostAccess: ResourceValidationPolicy = {
    name: "pods-no-host-access",
    description: "No pod mounts a hostPath volume, shares the node's network, PID or IPC namespace, or binds a hostPort.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        for (const pod of podSpecsOf(args.type, args.props)) {
            const where = `${objectName(args.props, args.name)} ${pod.path}`;
            for (const flag of ["hostNetwork", "hostPID", "hostIPC"] as const) if (pod.spec[flag] === true) report(`${where}: ${flag} is true; remove it.`);
            for (const v of pod.spec.volumes ?? []) if (v.hostPath !== undefined) report(`${where}: volume ${v.name ?? "(unnamed)"} is a hostPath; use a PersistentVolumeClaim or emptyDir.`);
            for (const c of pod.containers) {
                for (const p of c.ports ?? []) {
                    if (typeof p.hostPort === "number" && p.hostPort > 0) report(`${where}: container ${c.name ?? "(unnamed)"} binds hostPort ${p.hostPort}; remove it and reach the pod through a Service.`);
                }
            }
        }
    },
};

export const serviceAccountTokens: ResourceValidationPolicy = {
    name: "pods-no-default-token",
    description:
        "A pod that runs as a ServiceAccount with no API access (the namespace's default one, or one listed in tokenlessServiceAccounts) does not mount an API token: automountServiceAccountToken: false.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { tokenlessServiceAccounts: { type: "array", items: { type: "string" }, default: ["default"] } } },
    validateResource: (args, report) => {
        const { tokenlessServiceAccounts } = args.getConfig<{ tokenlessServiceAccounts: string[] }>();
        for (const pod of podSpecsOf(args.type, args.props)) {
            const account = pod.spec.serviceAccountName ?? "default";
            if (!tokenlessServiceAccounts.includes(account) || pod.spec.automountServiceAccountToken === false) continue;
            report(
                `${objectName(args.props, args.name)} ${pod.path} runs as ServiceAccount ${account}, which needs no Kubernetes API access, yet mounts its token; set automountServiceAccountToken: false on the pod (or give it a ServiceAccount with the RBAC it needs).`,
            );
        }
    },
};

/** True when the toleration tolerates the taint (core/v1 semantics: key, then operator and value, then effect). */
export function tolerates(t: Toleration, taint: { key: string; value: string; effect: string }): boolean {
    const operator = t.operator ?? "Equal";
    if (t.key === undefined || t.key === "") {
        if (operator !== "Exists") return false;
    } else if (t.key !== taint.key) return false;
    if (operator === "Equal" && (t.value ?? "") !== taint.value) return false;
    if (operator !== "Equal" && operator !== "Exists") return false;
    return t.effect === undefined || t.effect === "" || t.effect === taint.effect;
}

export const gpuTolerations: ResourceValidationPolicy = {
    name: "gpu-pods-tolerate-gpu-nodes",
    description: "A pod that requests GPUs tolerates the GPU nodes' taint: key, value (unless the toleration uses Exists) and effect, as the scheduler matches them.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            gpuResource: { type: "string", default: "nvidia.com/gpu" },
            gpuTaintKey: { type: "string", default: "nvidia.com/gpu" },
            gpuTaintValue: { type: "string", default: "present" },
            gpuTaintEffect: { type: "string", enum: ["NoSchedule", "PreferNoSchedule", "NoExecute"], default: "NoSchedule" },
        },
    },
    validateResource: (args, report) => {
        const { gpuResource, gpuTaintKey, gpuTaintValue, gpuTaintEffect } = args.getConfig<{ gpuResource: string; gpuTaintKey: string; gpuTaintValue: string; gpuTaintEffect: string }>();
        const taint = { key: gpuTaintKey, value: gpuTaintValue, effect: gpuTaintEffect };
        for (const pod of podSpecsOf(args.type, args.props)) {
            const gpus = pod.containers.some((c) => quantity(c.resources?.limits?.[gpuResource] ?? c.resources?.requests?.[gpuResource] ?? 0) > 0);
            if (!gpus) continue;
            if (!(pod.spec.tolerations ?? []).some((t) => tolerates(t, taint))) {
                report(
                    `${objectName(args.props, args.name)} ${pod.path} requests ${gpuResource} but no toleration matches the GPU nodes' taint ${gpuTaintKey}=${gpuTaintValue}:${gpuTaintEffect}; ` +
                        `fix models[].tolerations (use {key: ${gpuTaintKey}, operator: Exists, effect: ${gpuTaintEffect}}, or the value ${gpuTaintValue}).`,
                );
            }
        }
    },
};

export const workloadPolicies = [imagesPinned, imagesFromAllowedRegistries, containerResources, notPrivileged, restrictedContainers, runAsNonRoot, noHostAccess, serviceAccountTokens, gpuTolerations];

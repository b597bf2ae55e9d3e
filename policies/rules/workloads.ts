/** Workload guardrails: images, resources and pod security for every pod the stack declares. */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { Container, FoundPodSpec, objectName, parseImage, podSpecsOf, quantity } from "./kubernetes";

/** Runs `check` on every container (with its pod) a resource declares. */
function eachContainer(args: ResourceValidationArgs, check: (c: Container, where: string, pod: FoundPodSpec) => void) {
    for (const pod of podSpecsOf(args.type, args.props)) {
        for (const c of pod.containers) check(c, `${objectName(args.props, args.name)} ${pod.path} container ${c.name ?? "(unnamed)"}`, pod);
    }
}

export const imagesPinned: ResourceValidationPolicy = {
    name: "images-pinned",
    description: "Every container image names an exact version: a tag other than latest, or a digest (required when requireDigest is set).",
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
    description: "Every container requests CPU and memory and has a memory limit (and a CPU limit when requireCpuLimit is set); requests never exceed limits.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { requireCpuLimit: { type: "boolean", default: true } } },
    validateResource: (args, report) => {
        const { requireCpuLimit } = args.getConfig<{ requireCpuLimit: boolean }>();
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
            }
        });
    },
};

export const notPrivileged: ResourceValidationPolicy = {
    name: "containers-not-privileged",
    description: "No container runs privileged or may escalate privileges.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        eachContainer(args, (c, where) => {
            if (c.securityContext?.privileged === true) report(`${where}: runs privileged; remove securityContext.privileged.`);
            if (c.securityContext?.allowPrivilegeEscalation === true) report(`${where}: allows privilege escalation; set securityContext.allowPrivilegeEscalation: false.`);
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
                if (c.image === undefined && c.name === "kserve-container" && !c.securityContext) continue;
                if (c.securityContext?.runAsUser === 0 || pod.spec.securityContext?.runAsUser === 0) report(`${where}: runs as user 0 (root); run as a non-root UID.`);
                else if (!podNonRoot && c.securityContext?.runAsNonRoot !== true) report(`${where}: set securityContext.runAsNonRoot: true (on the pod or the container).`);
            }
        }
    },
};

export const noHostAccess: ResourceValidationPolicy = {
    name: "pods-no-host-access",
    description: "No pod mounts a hostPath volume or shares the node's network, PID or IPC namespace.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        for (const pod of podSpecsOf(args.type, args.props)) {
            const where = `${objectName(args.props, args.name)} ${pod.path}`;
            for (const flag of ["hostNetwork", "hostPID", "hostIPC"] as const) if (pod.spec[flag] === true) report(`${where}: ${flag} is true; remove it.`);
            for (const v of pod.spec.volumes ?? []) if (v.hostPath !== undefined) report(`${where}: volume ${v.name ?? "(unnamed)"} is a hostPath; use a PersistentVolumeClaim or emptyDir.`);
        }
    },
};

export const gpuTolerations: ResourceValidationPolicy = {
    name: "gpu-pods-tolerate-gpu-nodes",
    description: "A pod that requests GPUs tolerates the GPU nodes' taint (and only such pods need GPU nodes).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { gpuResource: { type: "string", default: "nvidia.com/gpu" }, gpuTaintKey: { type: "string", default: "nvidia.com/gpu" } } },
    validateResource: (args, report) => {
        const { gpuResource, gpuTaintKey } = args.getConfig<{ gpuResource: string; gpuTaintKey: string }>();
        for (const pod of podSpecsOf(args.type, args.props)) {
            const gpus = pod.containers.some((c) => quantity(c.resources?.limits?.[gpuResource] ?? c.resources?.requests?.[gpuResource] ?? 0) > 0);
            if (!gpus) continue;
            const tolerates = (pod.spec.tolerations ?? []).some((t) => t.key === gpuTaintKey || (t.operator === "Exists" && t.key === undefined));
            if (!tolerates) {
                report(`${objectName(args.props, args.name)} ${pod.path} requests ${gpuResource} but does not tolerate the ${gpuTaintKey} taint of GPU nodes; add a toleration (models[].resources.gpu adds it).`);
            }
        }
    },
};

export const workloadPolicies = [imagesPinned, imagesFromAllowedRegistries, containerResources, notPrivileged, runAsNonRoot, noHostAccess, gpuTolerations];

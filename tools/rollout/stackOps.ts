/**
 * What the rollout needs from Pulumi, as a small interface ({@link StackOps}), and its real implementation on the
 * Automation API ({@link AutomationStackOps}: a LocalWorkspace stack of this project, whose stack files live in
 * stacks/). Everything the rollout knows about its progress lives in the stack config (`models[i].canary`), so an
 * interrupted run resumes from it.
 *
 * The Automation API's Stack is used only through {@link PulumiStack} (the methods called), so the tests can record
 * the exact config paths and target URNs with a fake of it.
 */

/** The subset of `@pulumi/pulumi/automation`'s Stack the rollout calls. */
export interface PulumiStack {
    readonly name: string;
    getAllConfig(): Promise<Record<string, { value: string; secret?: boolean }>>;
    setConfig(key: string, value: { value: string; secret?: boolean }, path?: boolean): Promise<void>;
    /** `pulumi config set-all --json`: entries in `pulumi config --json`'s shape; an `objectValue` is stored typed. */
    setAllConfigJson(configJson: string): Promise<void>;
    removeConfig(key: string, path?: boolean): Promise<void>;
    up(opts: { target: string[]; onOutput?: (out: string) => void; message?: string }): Promise<{ summary: { result: string; resourceChanges?: Record<string, number> } }>;
    refresh(opts: { target: string[]; onOutput?: (out: string) => void }): Promise<{ summary: { result: string } }>;
    exportStack(): Promise<{ version: number; deployment: { resources?: { urn: string; type: string; outputs?: Record<string, unknown>; parent?: string }[] } }>;
}

/** The model's InferenceService as the last update or refresh saw it. */
export interface ModelStatus {
    /** The InferenceService's Ready condition is True. */
    ready: boolean;
    /** KServe's reason when not ready. */
    message?: string;
    /** The newest revision of the predictor (the canary while one runs). */
    latestCreatedRevision?: string;
    latestReadyRevision?: string;
    /** The revision that served 100 % before the canary (the stable one). */
    previousRolledoutRevision?: string;
    /** Traffic per revision as KServe reports it. */
    traffic: { revisionName: string; percent: number; tag?: string }[];
}

export interface UpdateResult {
    /** Resource operations by kind (same, update, create, ...). */
    changes: Record<string, number>;
}

/** The Pulumi side of a rollout. */
export interface StackOps {
    readonly stack: string;
    /** The stack's `inferstack:` config, decoded (objects from JSON), keys without the namespace. */
    readConfig(): Promise<Record<string, unknown>>;
    /** `inferstack:models[<index>].canary.trafficPercent` := percent. */
    setTrafficPercent(modelIndex: number, percent: number): Promise<void>;
    /** stable := the canary (without trafficPercent), canary removed. */
    promoteInConfig(modelIndex: number, canary: Record<string, unknown>): Promise<void>;
    /** The URNs an update of this model is limited to. */
    targets(model: string): Promise<string[]>;
    /** `pulumi up` limited to the targets (the InferenceService waits for Ready: pulumi.com/waitFor). */
    update(targets: string[], message: string): Promise<UpdateResult>;
    /** `pulumi refresh` of the targets, then the InferenceService's status from the state. */
    status(model: string, targets: string[]): Promise<ModelStatus>;
}

export const inferenceServiceType = "kubernetes:serving.kserve.io/v1beta1:InferenceService";
export const modelServiceType = "inferstack:models:ModelService";

/** Decodes a config map of the Automation API (`inferstack:<key>` → JSON text or plain string). */
export function decodeConfig(all: Record<string, { value: string }>, project = "inferstack"): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(all)) {
        if (!k.startsWith(`${project}:`)) continue;
        let value: unknown = v.value;
        try {
            value = JSON.parse(v.value);
        } catch {
            // a plain string
        }
        out[k.slice(project.length + 1)] = value;
    }
    return out;
}

/** The models list after a promotion: entry `index`'s stable := the canary (without trafficPercent), canary removed. */
export function promotedModels(models: Record<string, unknown>[], index: number, canary: Record<string, unknown>): Record<string, unknown>[] {
    return models.map((m, i) => {
        if (i !== index) return m;
        const { trafficPercent: _promoted, ...version } = canary;
        const { canary: _removed, ...rest } = m;
        return { ...rest, stable: version };
    });
}

/** The InferenceService's status from its Pulumi state outputs (the provider keeps the live object's status). */
export function statusFromOutputs(outputs: Record<string, unknown> | undefined): ModelStatus {
    const status = (outputs?.["status"] ?? {}) as {
        conditions?: { type: string; status: string; message?: string }[];
        components?: { predictor?: { latestCreatedRevision?: string; latestReadyRevision?: string; previousRolledoutRevision?: string; traffic?: { revisionName: string; percent?: number; tag?: string }[] } };
    };
    const ready = status.conditions?.find((c) => c.type === "Ready");
    const p = status.components?.predictor ?? {};
    return {
        ready: ready?.status === "True",
        message: ready?.status === "True" ? undefined : (ready?.message ?? "no Ready condition yet"),
        latestCreatedRevision: p.latestCreatedRevision,
        latestReadyRevision: p.latestReadyRevision,
        previousRolledoutRevision: p.previousRolledoutRevision,
        traffic: (p.traffic ?? []).map((t) => ({ revisionName: t.revisionName, percent: t.percent ?? 0, ...(t.tag ? { tag: t.tag } : {}) })),
    };
}

/** The real implementation: the Automation API on a stack of this project. */
export class AutomationStackOps implements StackOps {
    constructor(
        private readonly s: PulumiStack,
        private readonly log: (line: string) => void = () => undefined,
        private readonly project = "inferstack",
    ) {}

    get stack(): string {
        return this.s.name;
    }

    private key(path: string): string {
        return `${this.project}:${path}`;
    }

    async readConfig(): Promise<Record<string, unknown>> {
        return decodeConfig(await this.s.getAllConfig(), this.project);
    }

    async setTrafficPercent(modelIndex: number, percent: number): Promise<void> {
        await this.s.setConfig(this.key(`models[${modelIndex}].canary.trafficPercent`), { value: String(percent) }, true);
    }

    async promoteInConfig(modelIndex: number, canary: Record<string, unknown>): Promise<void> {
        // One typed write of the whole models list: `pulumi config set --path` leaf by leaf would turn the texts "1"
        // or "true" (an env value, an arg) into a number or a boolean (the CLI coerces path values: sdk/go/common/
        // resource/config/map.go, Map.Set), which the schema then refuses. An objectValue keeps every type.
        const all = await this.s.getAllConfig();
        const entry = all[this.key("models")];
        if (!entry) throw new Error(`stack ${this.s.name} has no ${this.key("models")}`);
        if (entry.secret) throw new Error(`${this.key("models")} is a secret: the rollout will not rewrite it (it would have to decrypt it); promote by hand`);
        const models = promotedModels(JSON.parse(entry.value) as Record<string, unknown>[], modelIndex, canary);
        await this.s.setAllConfigJson(JSON.stringify({ [this.key("models")]: { value: JSON.stringify(models), objectValue: models, secret: false } }));
    }

    async targets(model: string): Promise<string[]> {
        const resources = (await this.s.exportStack()).deployment.resources ?? [];
        const isvc = resources.find((r) => r.type === inferenceServiceType && (r.outputs?.["metadata"] as { name?: string } | undefined)?.name === model);
        if (!isvc) throw new Error(`stack ${this.s.name} has no InferenceService "${model}" in its state: run a full \`pulumi up\` first (a rollout starts from a deployed stable version)`);
        // The ModelService component that parents it, so the update also records the component's outputs.
        const parent = resources.find((r) => r.urn === isvc.parent && r.type === modelServiceType);
        return parent ? [parent.urn, isvc.urn] : [isvc.urn];
    }

    async update(targets: string[], message: string): Promise<UpdateResult> {
        const r = await this.s.up({ target: targets, message, onOutput: (o) => o.split("\n").filter((l) => l.trim() !== "").forEach((l) => this.log(`  pulumi: ${l}`)) });
        if (r.summary.result !== "succeeded") throw new Error(`pulumi up ${r.summary.result}`);
        return { changes: r.summary.resourceChanges ?? {} };
    }

    async status(model: string, targets: string[]): Promise<ModelStatus> {
        await this.s.refresh({ target: targets });
        const resources = (await this.s.exportStack()).deployment.resources ?? [];
        const isvc = resources.find((r) => r.type === inferenceServiceType && (r.outputs?.["metadata"] as { name?: string } | undefined)?.name === model);
        return statusFromOutputs(isvc?.outputs);
    }
}

/** Opens a stack of this project with the Automation API (needs the Pulumi CLI and a logged-in backend). */
export async function openAutomationStack(stackName: string, workDir: string): Promise<PulumiStack> {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const stack = await LocalWorkspace.selectStack({ stackName, workDir });
    return {
        name: stack.name,
        getAllConfig: () => stack.getAllConfig(),
        setConfig: (k, v, p) => stack.setConfig(k, v, p),
        setAllConfigJson: (json) => stack.setAllConfigJson(json),
        removeConfig: (k, p) => stack.removeConfig(k, p),
        up: (o) => stack.up(o),
        refresh: (o) => stack.refresh(o),
        exportStack: () => stack.exportStack() as never,
    };
}

/**
 * The only place the offline render reaches into the Pulumi Node SDK's internals (none of these are public API):
 * the mock monitor's raw RegisterResource requests, running a program inside a stack, waiting for its RPCs, and
 * an Output's secretness. `missingSdkInternals()` names whatever an SDK upgrade removed, and a test calls it, so
 * such an upgrade fails loudly there instead of rendering something subtly different.
 */
import * as pulumi from "@pulumi/pulumi";
import { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";

/** The getters of a RegisterResource request the render reads. */
export interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(f: (v: { getUrnsList(): string[] }, k: string) => void): void };
    getProvider(): string;
    getCustom(): boolean;
    getRemote(): boolean;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getTransformsList(): unknown[];
    getCustomtimeouts(): { getCreate(): string } | undefined;
    getObject(): unknown;
}

const requestGetters: (keyof RegisterRequest)[] = [
    "getType",
    "getName",
    "getParent",
    "getDependenciesList",
    "getPropertydependenciesMap",
    "getProvider",
    "getCustom",
    "getRemote",
    "getProtect",
    "getRetainondelete",
    "getTransformsList",
    "getCustomtimeouts",
    "getObject",
];

type RuntimeInternals = {
    getMonitor(): unknown;
    runInPulumiStack(f: () => Promise<unknown>): Promise<unknown>;
    waitForRPCs(): Promise<void>;
};
const runtime = pulumi.runtime as unknown as RuntimeInternals;

/** The internals this module relies on that the installed SDK lacks (empty when all are there). */
export function missingSdkInternals(): string[] {
    const missing: string[] = [];
    for (const fn of ["getMonitor", "runInPulumiStack", "waitForRPCs", "setMocks", "setAllConfig", "deserializeProperties"] as const) {
        if (typeof (pulumi.runtime as unknown as Record<string, unknown>)[fn] !== "function") missing.push(`pulumi.runtime.${fn}`);
    }
    for (const sig of ["specialSigKey", "specialSecretSig", "specialResourceSig"] as const) {
        if (typeof (pulumi.runtime as unknown as Record<string, unknown>)[sig] !== "string") missing.push(`pulumi.runtime.${sig}`);
    }
    for (const getter of requestGetters) {
        if (typeof (RegisterResourceRequest.prototype as unknown as Record<string, unknown>)[getter] !== "function") missing.push(`RegisterResourceRequest.${getter}`);
    }
    return missing;
}

/**
 * Calls `onRegistered` with every RegisterResource request the (mock) monitor answers successfully, and its URN.
 * Must run after `pulumi.runtime.setMocks`.
 */
export function interceptRegistrations(onRegistered: (req: RegisterRequest, urn: string) => void): void {
    const monitor = runtime.getMonitor() as {
        registerResource(req: RegisterRequest, cb: (err: unknown, res: { getUrn(): string }) => void): Promise<void>;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) =>
        original(req, (err, res) => {
            if (!err && res) onRegistered(req, res.getUrn());
            cb(err, res);
        });
}

/** Runs a program as the stack's body and waits until every resource registration it started has finished. */
export async function runAsStack(program: () => Promise<unknown>): Promise<void> {
    await runtime.runInPulumiStack(async () => {
        await program();
        return {};
    });
    await runtime.waitForRPCs();
}

/** An Output's value (unknowns included) and whether it is secret. */
export async function outputState(output: pulumi.Output<unknown>): Promise<{ value: unknown; isSecret: boolean }> {
    const o = output as unknown as { promise(withUnknowns?: boolean): Promise<unknown>; isSecret: Promise<boolean> };
    return { isSecret: await o.isSecret, value: await o.promise(true) };
}

/**
 * Builds the image of one of inferstack's own services and, for a kind cluster, loads it:
 *
 *   npm run monitor:image                               # docker build -t <versions.images.monitor>
 *   npm run monitor:image -- --tag registry.example.com/inferstack/monitor:0.1.0 --push
 *   npm run explainer:image -- --tag dev.local/inferstack/explainer:0.1.0 --kind inferstack
 *
 * (`npm run monitor:image` is `tsx tools/serviceImage.ts monitor`.) Then set the service's config key to the tag
 * (unless it is the pinned default). `--dry-run` prints the commands without running them.
 * Exit codes: 0 done, 1 a command failed, 2 bad usage.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { versions } from "../components/versions";

const servicesDir = path.join(__dirname, "..", "services");

/** What differs between the services' images: where they are built from, their pinned tag, the key that picks one. */
export const services = {
    // Both built from services/, each with its own Dockerfile: both compile services/shared/ (the code they share).
    monitor: { context: servicesDir, dockerfile: path.join(servicesDir, "monitor", "Dockerfile"), pinned: versions.images.monitor, configKey: "monitoring.monitorImage" },
    explainer: { context: servicesDir, dockerfile: path.join(servicesDir, "explainer", "Dockerfile"), pinned: versions.images.explainer, configKey: "monitoring.explainerImage" },
} as const;
export type ServiceName = keyof typeof services;

export interface ServiceImagePlan {
    tag: string;
    commands: string[][];
}

/** The commands that build (and push or load) a service's image, from the command-line arguments. */
export function planServiceImage(service: ServiceName, argv: string[]): ServiceImagePlan {
    const spec = services[service];
    let tag: string = spec.pinned;
    let push = false;
    let kindCluster: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (!v || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--tag") tag = value();
        else if (a === "--push") push = true;
        else if (a === "--kind") kindCluster = value();
        else if (a === "--dry-run") continue;
        else throw new UsageError(`unknown option ${a}; options are --tag <image>, --push, --kind <cluster>, --dry-run`);
    }
    if (!/:[^/]+$/.test(tag) || /:latest$/.test(tag)) throw new UsageError(`--tag ${tag}: name a version tag (not latest)`);
    if (push && kindCluster) throw new UsageError("--push and --kind exclude each other (kind loads the image from the local daemon)");
    const commands = [["docker", "build", "-f", spec.dockerfile, "-t", tag, spec.context]];
    if (push) commands.push(["docker", "push", tag]);
    if (kindCluster) commands.push(["kind", "load", "docker-image", tag, "--name", kindCluster]);
    return { tag, commands };
}

export class UsageError extends Error {}

function main(argv: string[]): number {
    const [service, ...rest] = argv;
    if (!(service in services)) {
        console.error(`service image: name a service first: ${Object.keys(services).join(", ")}`);
        return 2;
    }
    const name = service as ServiceName;
    let plan: ServiceImagePlan;
    try {
        plan = planServiceImage(name, rest);
    } catch (err) {
        if (err instanceof UsageError) {
            console.error(`${name}:image: ${err.message}`);
            return 2;
        }
        throw err;
    }
    const dryRun = rest.includes("--dry-run");
    for (const cmd of plan.commands) {
        console.log(`$ ${cmd.join(" ")}`);
        if (dryRun) continue;
        const r = spawnSync(cmd[0], cmd.slice(1), { stdio: "inherit" });
        if (r.error) {
            console.error(`${name}:image: cannot run ${cmd[0]} (${(r.error as NodeJS.ErrnoException).code}); install it or run the commands above elsewhere`);
            return 1;
        }
        if (r.status !== 0) return 1;
    }
    if (plan.tag !== services[name].pinned) console.log(`set it: pulumi config set --path '${services[name].configKey}' ${plan.tag}`);
    return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

/**
 * Builds the model monitor's image (services/monitor/Dockerfile) and, for a kind cluster, loads it.
 *
 *   npm run monitor:image                               # docker build -t <versions.images.monitor>
 *   npm run monitor:image -- --tag registry.example.com/inferstack/monitor:0.1.0 --push
 *   npm run monitor:image -- --tag dev.local/inferstack/monitor:0.1.0 --kind inferstack
 *
 * Then set `inferstack:monitoring.monitorImage` to the tag (unless it is the pinned default). `--dry-run` prints
 * the commands without running them. Exit codes: 0 done, 1 a command failed, 2 bad usage.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { versions } from "../components/versions";

export interface MonitorImagePlan {
    tag: string;
    commands: string[][];
}

/** The commands that build (and push or load) the monitor image, from the command-line arguments. */
export function planMonitorImage(argv: string[]): MonitorImagePlan {
    let tag: string = versions.images.monitor;
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
    const context = path.join(__dirname, "..", "services", "monitor");
    const commands = [["docker", "build", "-t", tag, context]];
    if (push) commands.push(["docker", "push", tag]);
    if (kindCluster) commands.push(["kind", "load", "docker-image", tag, "--name", kindCluster]);
    return { tag, commands };
}

export class UsageError extends Error {}

function main(argv: string[]): number {
    let plan: MonitorImagePlan;
    try {
        plan = planMonitorImage(argv);
    } catch (err) {
        if (err instanceof UsageError) {
            console.error(`monitor:image: ${err.message}`);
            return 2;
        }
        throw err;
    }
    const dryRun = argv.includes("--dry-run");
    for (const cmd of plan.commands) {
        console.log(`$ ${cmd.join(" ")}`);
        if (dryRun) continue;
        const r = spawnSync(cmd[0], cmd.slice(1), { stdio: "inherit" });
        if (r.error) {
            console.error(`monitor:image: cannot run ${cmd[0]} (${(r.error as NodeJS.ErrnoException).code}); install it or run the commands above elsewhere`);
            return 1;
        }
        if (r.status !== 0) return 1;
    }
    if (plan.tag !== versions.images.monitor) console.log(`set it: pulumi config set --path 'monitoring.monitorImage' ${plan.tag}`);
    return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as path from "node:path";
import { versions } from "../components/versions";
import { UsageError, planServiceImage } from "../tools/serviceImage";

const planMonitorImage = (argv: string[]) => planServiceImage("monitor", argv);
import { configErrorOf, manifest, renderDevWith, stackRaw } from "./helpers";

describe("the monitor image: built by npm run monitor:image, chosen by monitoring.monitorImage", () => {
    it("builds the pinned reference by default; loads into kind or pushes on request", () => {
        // Built from services/ with its own Dockerfile: the monitor compiles services/shared/ too.
        const services = path.join(__dirname, "..", "services");
        assert.deepEqual(planMonitorImage([]).commands, [["docker", "build", "-f", path.join(services, "monitor", "Dockerfile"), "-t", versions.images.monitor, services]]);
        const kind = planMonitorImage(["--tag", "dev.local/inferstack/monitor:0.1.0", "--kind", "inferstack"]);
        assert.deepEqual(kind.commands[1], ["kind", "load", "docker-image", "dev.local/inferstack/monitor:0.1.0", "--name", "inferstack"]);
        assert.deepEqual(planMonitorImage(["--tag", "registry.example.com/m:1.2.3", "--push"]).commands[1], ["docker", "push", "registry.example.com/m:1.2.3"]);
        assert.throws(() => planMonitorImage(["--tag", "registry.example.com/m:latest"]), UsageError);
        assert.throws(() => planMonitorImage(["--tag", "registry.example.com/m"]), UsageError);
        assert.throws(() => planMonitorImage(["--push", "--kind", "x"]), UsageError);
        assert.throws(() => planMonitorImage(["--bogus"]), /unknown option --bogus/);
    });

    it("builds the explainer/detector image from services/ (it compiles services/shared/), with its own Dockerfile", () => {
        const [build] = planServiceImage("explainer", []).commands;
        assert.deepEqual(build.slice(0, 2), ["docker", "build"]);
        assert.match(build[3], /services\/explainer\/Dockerfile$/);
        assert.deepEqual(build.slice(4, 6), ["-t", versions.images.explainer]);
        assert.match(build[6], /services$/);
    });

    it("the monitor's Knative Service runs the configured image", async () => {
        const render = await renderDevWith({ monitoring: { monitorImage: "dev.local/inferstack/monitor:0.1.0" } });
        const svc = manifest(render, "Service", "model-monitor") as any;
        assert.equal(svc.spec.template.spec.containers[0].image, "dev.local/inferstack/monitor:0.1.0");
    });

    it("refuses an untagged or latest monitor image, naming the key", () => {
        for (const ref of ["ghcr.io/acme/monitor", "ghcr.io/acme/monitor:latest"]) {
            const raw = stackRaw("dev");
            raw.monitoring = { monitorImage: ref };
            assert.match(configErrorOf(raw), /inferstack:monitoring\.monitorImage: got .*(tag or a digest|latest)/);
        }
    });
});

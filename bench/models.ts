/**
 * `npm run bench`: the per-model cost of a render. Renders the dev stack with 0, 20 and 200 generated models
 * (best of 3 each) and prints the per-model time at 20 and 200 and their ratio; a ratio near 1 means a model
 * costs the same however many there are (no quadratic work per model).
 */
import { performance } from "node:perf_hooks";
import { renderStack } from "../tools/renderStack";
import { stackFileConfig } from "../test/helpers";

function configWith(n: number): Record<string, unknown> {
    const config = stackFileConfig("dev");
    config["inferstack:models"] = Array.from({ length: n }, (_, i) => ({
        name: `model-${i}`,
        framework: i % 2 === 0 ? "sklearn" : "xgboost",
        stable: { storageUri: `s3://models/m${i}/v1` },
        canary: i % 3 === 0 ? { storageUri: `s3://models/m${i}/v2`, trafficPercent: 10 } : undefined,
        scaling: { minReplicas: 0, maxReplicas: 3 },
    }));
    return config;
}

async function timeRender(n: number, runs = 3): Promise<number> {
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const render = await renderStack("bench", { config: configWith(n) });
        best = Math.min(best, performance.now() - t0);
        const isvcs = render.manifests.filter((m) => m.kind === "InferenceService").length;
        if (isvcs !== n) throw new Error(`expected ${n} InferenceServices, rendered ${isvcs}`);
    }
    return best;
}

async function main() {
    await timeRender(0, 1); // warm-up: module loading and JIT
    const base = await timeRender(0);
    const t20 = await timeRender(20);
    const t200 = await timeRender(200);
    const per20 = (t20 - base) / 20;
    const per200 = (t200 - base) / 200;
    const ratio = per200 / per20;
    console.log(`platform without models: 1.00 (reference)`);
    console.log(`per model at  20 models: ${(per20 / base).toFixed(4)} of the reference`);
    console.log(`per model at 200 models: ${(per200 / base).toFixed(4)} of the reference`);
    console.log(`per-model cost ratio 200/20: ${ratio.toFixed(2)} (1.00 = constant per-model cost)`);
    if (ratio > 2) {
        console.error("per-model cost grows with the number of models");
        process.exit(1);
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});

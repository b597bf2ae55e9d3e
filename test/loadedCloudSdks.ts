/**
 * Renders one stack and prints, as JSON, which cloud SDK files the render loaded (from require.cache).
 * Run in a child process per stack by test/cloud.test.ts, so each stack starts with an empty module cache.
 */
import { renderStack } from "../tools/renderStack";

const sdkPattern = /node_modules[\\/]@pulumi[\\/](aws|eks|gcp|azure-native)[\\/](.*)$/;

async function run() {
    const stack = process.argv[2];
    await renderStack(stack);
    const loaded: Record<string, string[]> = {};
    for (const file of Object.keys(require.cache)) {
        const m = sdkPattern.exec(file);
        if (m) (loaded[m[1]] ??= []).push(m[2].replace(/\\/g, "/"));
    }
    process.stdout.write(JSON.stringify(loaded));
}

run().catch((e: unknown) => {
    process.stderr.write(String(e));
    process.exit(1);
});

import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig, parsePlatformConfig } from "./config";

/**
 * Reads every `<project>:` key of the stack's config and parses it with the platform schema. Structured values
 * arrive as JSON text; plain strings stay strings.
 */
export function readPlatformConfig(): PlatformConfig {
    const prefix = `${pulumi.getProject()}:`;
    const raw: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(prefix)) continue;
        raw[key.slice(prefix.length)] = decode(text);
    }
    return parsePlatformConfig(raw);
}

function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

import * as pulumi from "@pulumi/pulumi";
import { ConfigError, PlatformConfig, configWarnings, parsePlatformConfig, unknownNamespaceProblem } from "./config";

/**
 * Reads every `<project>:` key of the stack's config and parses it with the platform schema (a key in any other
 * namespace than the providers' own is refused). Structured values arrive as JSON text; plain strings stay strings.
 */
export function readPlatformConfig(): PlatformConfig {
    const prefix = `${pulumi.getProject()}:`;
    const all = pulumi.runtime.allConfig();
    const strayNamespace = unknownNamespaceProblem(Object.keys(all), pulumi.getProject());
    if (strayNamespace) throw new ConfigError(`invalid stack configuration:\n  - ${strayNamespace}`);
    const raw: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(all)) {
        if (!key.startsWith(prefix)) continue;
        raw[key.slice(prefix.length)] = decode(text);
    }
    const config = parsePlatformConfig(raw);
    for (const warning of configWarnings(config)) void pulumi.log.warn(warning);
    return config;
}

function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

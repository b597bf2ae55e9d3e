import { ConfigError, loadConfigFromEnv, runtimeOptionsFromEnv } from "./config";
import { createServer } from "./server";
import { drainOnSignals } from "../../shared/lifecycle";
import { createLogger } from "../../shared/logger";

/** Process entry point: config from env, listen on PORT (8080), drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const log = createLogger();
  let monitor;
  try {
    const config = loadConfigFromEnv(process.env);
    const runtime = runtimeOptionsFromEnv(process.env);
    const maxVersions = process.env.MONITOR_MAX_VERSIONS?.trim() ? Number(process.env.MONITOR_MAX_VERSIONS) : 3;
    if (!Number.isInteger(maxVersions) || maxVersions <= 0) throw new ConfigError(`MONITOR_MAX_VERSIONS must be a positive integer, got "${process.env.MONITOR_MAX_VERSIONS}"`);
    monitor = createServer(config, { ...runtime, maxVersionsPerModel: maxVersions, logger: log, env: process.env });
    log.info("configuration loaded", { models: Object.keys(config.models), reply: runtime.replyMode });
  } catch (err) {
    // A bad config is fatal: restarting will not fix it, the message says what to change.
    log.error(err instanceof ConfigError ? err.message : `startup failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 8080);
  const address = await monitor.listen(port, process.env.HOST || undefined);
  log.info("listening", { port: address.port });

  // Keep serving for a moment after SIGTERM while /readyz fails, then finish in-flight requests and exit.
  drainOnSignals(monitor, Number(process.env.MONITOR_SHUTDOWN_DELAY_MS ?? 3000), log);
}

void main();

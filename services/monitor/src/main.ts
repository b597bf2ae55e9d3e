import { ConfigError, loadConfigFromEnv, runtimeOptionsFromEnv } from "./config";
import { createLogger } from "./logger";
import { createServer } from "./server";

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

  // Keep serving for a moment after SIGTERM while /readyz fails, so endpoints are updated before the
  // listener goes away; then finish in-flight requests (10 s at most) and exit.
  const delayMs = Number(process.env.MONITOR_SHUTDOWN_DELAY_MS ?? 3000);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal, delay_ms: delayMs });
    monitor.startDraining();
    setTimeout(() => {
      monitor
        .close(10_000)
        .then(() => process.exit(0))
        .catch(() => process.exit(1));
    }, Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // Keep serving on unexpected errors; they are logged, never fatal for one event.
  process.on("unhandledRejection", (reason) => log.error("unhandled rejection", { error: String(reason) }));
}

void main();

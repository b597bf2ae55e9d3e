/**
 * Process entry point. One image, two modes, chosen by INFERSTACK_MODE (env, not an argument: KServe appends its
 * own arguments to an explainer container's):
 * - `explainer` (default): the KServe explainer, KServe's arguments plus EXPLAINER_CONFIG(_FILE);
 * - `adversarial-detector`: the Broker-fed detector, DETECTOR_CONFIG(_FILE), PORT (8080).
 * Drains on SIGTERM like the monitor: /readyz fails for SHUTDOWN_DELAY_MS, then in-flight requests finish.
 */
import { ConfigError, configJson, detectorConfigSchema, explainerConfigSchema, parseKServeArgs, parseWith } from "./config";
import { loadRows } from "./data";
import { createDetectorServer } from "./detector";
import { createExplainerServer } from "./explainer";
import { createLogger } from "./logger";
import { createPredictor, predictorBaseUrl } from "./predictor";

interface Service {
  listen(port?: number, host?: string): Promise<{ port: number }>;
  startDraining(): void;
  close(timeoutMs?: number): Promise<void>;
}

const MODES = ["explainer", "adversarial-detector"] as const;

async function main(): Promise<void> {
  const log = createLogger();
  const env = process.env;
  const mode = env.INFERSTACK_MODE ?? "explainer";
  let service: Service;
  let port: number;
  try {
    if (mode === "explainer") {
      const args = parseKServeArgs(process.argv.slice(2), env);
      if (args.ignored.length > 0) log.warn("ignoring unknown arguments", { args: args.ignored });
      const config = parseWith(explainerConfigSchema, configJson(env, "EXPLAINER"), "explainer config");
      service = createExplainerServer({
        modelName: args.modelName,
        config,
        predictor: createPredictor({ baseUrl: predictorBaseUrl(args.predictorHost, args.predictorUseSsl), model: args.modelName, protocol: args.predictorProtocol, caller: "explainer", v2InputName: config.v2.inputName, v2Datatype: config.v2.datatype, v2Output: config.v2.output }),
        loadBackground: () => loadRows(config.background, config.features, env),
        maxConcurrent: args.workers,
        logger: log,
      });
      port = args.httpPort;
      log.info("explainer configured", { model: args.modelName, predictor_host: args.predictorHost, protocol: args.predictorProtocol, features: config.features.length });
    } else if (mode === "adversarial-detector") {
      const config = parseWith(detectorConfigSchema, configJson(env, "DETECTOR"), "detector config");
      service = createDetectorServer({ config, loadReference: (_, cfg) => loadRows(cfg.reference!, cfg.features, env), logger: log });
      port = Number(env.PORT ?? 8080);
      log.info("adversarial detector configured", { models: Object.keys(config.models), reply: config.reply });
    } else {
      throw new ConfigError(`INFERSTACK_MODE ${JSON.stringify(mode)} is not one of ${MODES.join(", ")}`);
    }
  } catch (err) {
    log.error(err instanceof ConfigError ? err.message : `startup failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
  const address = await service.listen(port, env.HOST || undefined);
  log.info("listening", { port: address.port, mode });
  const delayMs = Number(env.SHUTDOWN_DELAY_MS ?? 3000);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal, delay_ms: delayMs });
    service.startDraining();
    setTimeout(
      () => service.close(10_000).then(() => process.exit(0), () => process.exit(1)),
      Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0,
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("unhandledRejection", (reason) => log.error("unhandled rejection", { error: String(reason) }));
}

void main();

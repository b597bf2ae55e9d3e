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
import { createPredictor, predictorBaseUrl } from "./predictor";
import { drainOnSignals, type RunningService } from "../../shared/lifecycle";
import { createLogger } from "../../shared/logger";


const MODES = ["explainer", "adversarial-detector"] as const;

async function main(): Promise<void> {
  const log = createLogger();
  const env = process.env;
  const mode = env.INFERSTACK_MODE ?? "explainer";
  let service: RunningService<unknown>;
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
  drainOnSignals(service, Number(env.SHUTDOWN_DELAY_MS ?? 3000), log);
}

void main();

/**
 * The Prometheus registry each server of both services gets: its own (so tests, and several servers in one process,
 * never share state), with prom-client's default process metrics unless turned off.
 *
 * No import of prom-client here (each service has its own copy in its own node_modules): the service passes its
 * prom-client module in. The metrics themselves stay declared in each service's metrics.ts, one
 * `new Counter({ name, help, labelNames, registers })` each: the names are each service's contract with the
 * platform's alert rules and dashboards, and the root project's catalogue tests read those declarations as text.
 */

export interface RegistryOptions {
  /** Collect prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
}

/** What this needs of a prom-client module. */
export interface PromRegistryClient<R> {
  Registry: new () => R;
  collectDefaultMetrics(config: { register: NoInfer<R> }): void;
}

export function createRegistry<R>(prom: PromRegistryClient<R>, options: RegistryOptions = {}): R {
  const registry = new prom.Registry();
  if (options.defaultMetrics !== false) prom.collectDefaultMetrics({ register: registry });
  return registry;
}

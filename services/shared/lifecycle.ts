/**
 * The lifecycle both services share: start-up loads retried with a doubling delay that close() can cut short, and
 * the drain on SIGTERM.
 */
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { Listening } from "./http";
import type { Logger } from "./logger";

/** Back-off sleeps that `wakeAll()` (on close) ends at once. */
export class Sleepers {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.pending.set(t, resolve);
    });
  }

  wakeAll(): void {
    for (const [t, wake] of this.pending) {
      clearTimeout(t);
      wake();
    }
    this.pending.clear();
  }
}

/** A service's lifecycle flags, and the back-off sleeps its close() cuts short. */
export class ServiceState {
  /** /readyz fails from now on (so Kubernetes stops routing here) while the service still serves. */
  draining = false;
  /** close() was called: start-up retries stop. */
  closed = false;
  readonly sleepers = new Sleepers();
}

export interface RetryOptions {
  /** First delay after a failure (default 1000 ms); doubles up to maxDelayMs (default 30 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Retries stop once the service is closed; its sleepers are woken by close(). */
  state: ServiceState;
  /** Checked with `state.closed` before every attempt: true once there is nothing left to do. */
  done?: () => boolean;
  /** Told of each failure and the delay before the next attempt (to log it, and record the error). */
  onError: (err: unknown, retryInMs: number) => void;
}

/** Runs `attempt` until it resolves, `done()` or the service closes; resolves either way. */
export async function retryWithBackoff(attempt: () => Promise<void>, o: RetryOptions): Promise<void> {
  let delay = o.initialDelayMs ?? 1000;
  while (!o.state.closed && !o.done?.()) {
    try {
      await attempt();
      return;
    } catch (err) {
      o.onError(err, delay);
      await o.state.sleepers.sleep(delay);
      delay = Math.min(delay * 2, o.maxDelayMs ?? 30_000);
    }
  }
}

/** The handle each service's factory returns (the monitor's, the explainer's, the detector's), metrics aside. */
export interface RunningService<M> {
  readonly server: http.Server;
  readonly metrics: M;
  /** Resolves once the service's start-up data is loaded (failed loads are retried until then) or it is closed. */
  readonly ready: Promise<void>;
  isReady(): boolean;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Fails /readyz from now on (so Kubernetes stops routing here) while still serving. */
  startDraining(): void;
  /** Stops accepting connections, lets in-flight requests finish (up to timeoutMs), then closes. */
  close(timeoutMs?: number): Promise<void>;
}

/** The handle over a listening server: draining, and closing (after `onClose`, with back-off sleeps woken). */
export function serviceHandle<M>(
  listening: Listening,
  state: ServiceState,
  parts: { metrics: M; ready: Promise<void>; isReady(): boolean; onClose?: () => void },
): RunningService<M> {
  return {
    server: listening.server,
    metrics: parts.metrics,
    ready: parts.ready,
    isReady: parts.isReady,
    listen: listening.listen,
    startDraining() {
      state.draining = true;
    },
    close(timeoutMs) {
      state.draining = true;
      state.closed = true;
      parts.onClose?.();
      state.sleepers.wakeAll();
      return listening.close(timeoutMs);
    },
  };
}

/** What a service's entry point drains on shutdown. */
export interface Drainable {
  startDraining(): void;
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Drains on SIGTERM/SIGINT: keeps serving for `delayMs` while /readyz fails, so endpoints are updated before the
 * listener goes away; then finishes in-flight requests (10 s at most) and exits. Unhandled rejections are logged,
 * never fatal for one event.
 */
export function drainOnSignals(service: Drainable, delayMs: number, log: Logger): void {
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

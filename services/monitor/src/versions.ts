import type { FeatureValue, ModelConfig } from "./config";
import { DriftDetector } from "./drift";
import { FeedbackStats } from "./feedback";
import type { Metrics } from "./metrics";

/**
 * Per-model-version attribution, so a canary's quality can be judged apart from the stable version's (the rollout
 * tool's quality gates).
 *
 * KServe v0.20's logger cannot name the Knative revision: its CloudEvent `source` is the pod name the webhook saw
 * (empty for a ReplicaSet's pods, so `http://localhost:9081/`), `endpoint` comes from a pod label no controller sets,
 * and Knative's queue-proxy strips the `Knative-Serving-Revision` header before the logger could forward it. What it
 * can forward is InferenceService annotations listed in `logger.metadataAnnotations`: the event's `annotations`
 * extension, a JSON object. The platform annotates each InferenceService with `inferstack.io/model-version` (a hash
 * of the served version's spec), which KServe copies onto the revision's pods, so every event says which version
 * answered it.
 *
 * Cardinality is bounded: only 12-hex-digit ids are accepted (anything else is ignored, no series), and each model
 * keeps at most `maxVersions` versions, the least recently seen one evicted with its series.
 */
export const VERSION_ANNOTATION = "inferstack.io/model-version";
const VERSION_PATTERN = /^[0-9a-f]{12}$/;
/** The annotations extension is small (a few keys); anything longer is not parsed. */
const MAX_ANNOTATIONS_CHARS = 4096;

/** The model version an event names, or undefined (absent, malformed or not an id). */
export function versionFromEvent(annotations: unknown): string | undefined {
  let obj: unknown = annotations;
  if (typeof annotations === "string") {
    if (annotations.length > MAX_ANNOTATIONS_CHARS) return undefined;
    try {
      obj = JSON.parse(annotations);
    } catch {
      return undefined;
    }
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const v = (obj as Record<string, unknown>)[VERSION_ANNOTATION];
  return typeof v === "string" && VERSION_PATTERN.test(v) ? v : undefined;
}

interface VersionState {
  drift: DriftDetector;
  stats: FeedbackStats;
  lastCheckAt?: number;
}

/** The versions of one model the monitor has seen recently, with a drift window and feedback stats each. */
export class VersionTracker {
  private readonly versions = new Map<string, VersionState>();

  constructor(
    private readonly model: string,
    private readonly cfg: ModelConfig,
    private readonly reference: readonly FeatureValue[][],
    private readonly metrics: Metrics,
    private readonly maxVersions: number,
  ) {}

  /** Versions tracked now, least recently seen first. */
  get tracked(): string[] {
    return [...this.versions.keys()];
  }

  private state(version: string): VersionState {
    let s = this.versions.get(version);
    if (s) {
      // Most recently seen last.
      this.versions.delete(version);
      this.versions.set(version, s);
      return s;
    }
    if (this.versions.size >= this.maxVersions) {
      const oldest = this.versions.keys().next().value as string;
      this.versions.delete(oldest);
      this.removeSeries(oldest);
    }
    s = { drift: new DriftDetector(this.cfg.features, this.reference, this.cfg.drift), stats: new FeedbackStats(this.cfg) };
    this.versions.set(version, s);
    return s;
  }

  private removeSeries(version: string): void {
    const l = { model: this.model, version };
    for (const m of [this.metrics.versionDriftDetected, this.metrics.versionScoredInstancesTotal, this.metrics.versionOutlierInstancesTotal, this.metrics.versionFeedbackWindowAccuracy, this.metrics.versionFeedbackWindowCount]) {
      m.remove(l);
    }
  }

  /** A request's rows, answered by `version`, with the outlier count the model's detector found among them. */
  onRequest(version: string, rows: readonly FeatureValue[][], scored: number, outliers: number): void {
    const s = this.state(version);
    const l = { model: this.model, version };
    if (scored > 0) {
      this.metrics.versionScoredInstancesTotal.inc(l, scored);
      // Created at 0 so rate() sees the first outlier.
      this.metrics.versionOutlierInstancesTotal.inc(l, outliers);
    }
    s.drift.add(rows);
    if (s.drift.size >= s.drift.minSamples) {
      const now = performance.now();
      const interval = this.cfg.drift.checkIntervalMs;
      if (interval === 0 || s.lastCheckAt === undefined || now - s.lastCheckAt >= interval) {
        s.lastCheckAt = now;
        this.metrics.versionDriftDetected.set(l, s.drift.check().is_drift ? 1 : 0);
      }
    }
  }

  /** Labels for predictions `version` made (only versions still tracked are counted). */
  onFeedback(version: string, predictions: readonly unknown[], truth: readonly unknown[]): void {
    const s = this.versions.get(version);
    if (!s || predictions.length === 0) return;
    s.stats.update(predictions, truth, this.model);
    const l = { model: this.model, version };
    const win = s.stats.windowSnapshot();
    if (win.task === "classification") this.metrics.versionFeedbackWindowAccuracy.set(l, win.accuracy);
    this.metrics.versionFeedbackWindowCount.set(l, win.count);
  }
}

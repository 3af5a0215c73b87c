// Tunables of the staging-first and live strategies: defaults per cell, overridable per update.

export interface StagingFirstOptions {
  /** how long the staging cell runs the new release under health checks before a decision */
  soakSeconds: number;
  healthCheckIntervalSeconds: number;
  /** without a decision by then, the update is rejected */
  decisionTimeoutSeconds: number;
  /** promote to the primary after a healthy soak without waiting for an operator */
  autoPromote: boolean;
  /** health thresholds every soak check must meet */
  maxErrorRate: number;
  minReadyRatio: number;
}

export interface AnalysisOptions {
  /** health checks per batch */
  checks: number;
  intervalSeconds: number;
  /** highest error rate (0..1) a check may report */
  maxErrorRate: number;
  /** lowest share of ready replicas (0..1) a check may report */
  minReadyRatio: number;
}

export interface LiveOptions {
  /** components applied together before an analysis */
  batchSize: number;
  analysis: AnalysisOptions;
}

/** What a cell or a request may override of the live defaults. */
export type LiveOverrides = Partial<Omit<LiveOptions, 'analysis'>> & { analysis?: Partial<AnalysisOptions> };

export const DEFAULT_STAGING_FIRST: StagingFirstOptions = {
  soakSeconds: 30 * 60,
  healthCheckIntervalSeconds: 60,
  decisionTimeoutSeconds: 3 * 24 * 3600,
  autoPromote: false,
  maxErrorRate: 0.05,
  minReadyRatio: 1,
};

export const DEFAULT_LIVE: LiveOptions = {
  batchSize: 2,
  analysis: { checks: 3, intervalSeconds: 30, maxErrorRate: 0.05, minReadyRatio: 1 },
};

export function stagingFirstOptions(...layers: (Partial<StagingFirstOptions> | undefined)[]): StagingFirstOptions {
  return Object.assign({}, DEFAULT_STAGING_FIRST, ...layers.filter(Boolean));
}

export function liveOptions(...layers: (LiveOverrides | undefined)[]): LiveOptions {
  let result: LiveOptions = { ...DEFAULT_LIVE, analysis: { ...DEFAULT_LIVE.analysis } };
  for (const layer of layers) {
    if (!layer) continue;
    result = { ...result, ...layer, analysis: { ...result.analysis, ...layer.analysis } };
  }
  return result;
}

/** Components in batches of `size`, in the release's order. */
export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

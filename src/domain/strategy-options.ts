// Tunables of the staging-first and live strategies: defaults per cell, overridable per update.
// What may be overridden is a TypeBox schema (./schemas/cell.ts); these types derive from it.
import type { AnalysisOptions, LiveOverrides, StagingFirstOverrides } from './schemas/cell';

/** Every tunable of the staging-first strategy, the defaults filled in. */
export type StagingFirstOptions = Required<StagingFirstOverrides>;

export type { AnalysisOptions, LiveOverrides, StagingFirstOverrides } from './schemas/cell';

/** Every tunable of the live strategy, the defaults filled in. */
export interface LiveOptions {
  batchSize: number;
  analysis: AnalysisOptions;
}

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

import type { VersionHistoryEntry } from './cell';

/**
 * The version a rollback on demand goes back to: the named one, if the cell ever ran it, or the
 * version the current one was installed over.
 */
export function rollbackTarget(
  current: string | undefined,
  history: VersionHistoryEntry[],
  requested?: string,
): { ok: true; version: string } | { ok: false; reason: string } {
  const installed = history.filter((e) => e.result === 'registered' || e.result === 'succeeded');
  if (requested !== undefined) {
    if (requested === current) return { ok: false, reason: `the cell already runs ${requested}` };
    if (!installed.some((e) => e.version === requested || e.fromVersion === requested)) {
      return { ok: false, reason: `version ${requested} is not in the cell's history` };
    }
    return { ok: true, version: requested };
  }
  const last = [...installed].reverse().find((e) => e.version === current && e.fromVersion !== undefined);
  if (!last?.fromVersion) return { ok: false, reason: `no version before ${current ?? 'nothing'} in the cell's history` };
  return { ok: true, version: last.fromVersion };
}

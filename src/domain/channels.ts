import { RINGS, type CatalogRelease, type Ring } from './release';
import { compareVersions } from './version';

/** Promotion goes staging → saas → dedicated: a ring only after the one before it. */
export function promotionProblem(current: Ring[], ring: Ring): string | undefined {
  if (current.includes(ring)) return undefined;
  const index = RINGS.indexOf(ring);
  const before = RINGS[index - 1];
  if (before && !current.includes(before)) return `promote to ${before} before ${ring} (order: ${RINGS.join(' → ')})`;
  return undefined;
}

/**
 * The releases a cell may be offered: promoted to its ring; for an air-gapped cell, only releases
 * that arrived as bundles (it cannot pull from the registry), whatever their channel. Never a
 * vetoed one.
 */
export function visibleReleases(releases: CatalogRelease[], cell: { ring: Ring; airGapped?: boolean }): CatalogRelease[] {
  return releases.filter((r) => !r.veto && (cell.airGapped ? r.source === 'bundle' : r.rings.includes(cell.ring)));
}

/** The newest release the cell may be offered, newer than what it runs. */
export function newestVisible(releases: CatalogRelease[], cell: { ring: Ring; airGapped?: boolean }, installed?: string): CatalogRelease | undefined {
  const candidates = visibleReleases(releases, cell).filter((r) => installed === undefined || compareVersions(r.version, installed) > 0);
  return candidates.sort((a, b) => compareVersions(a.version, b.version)).at(-1);
}

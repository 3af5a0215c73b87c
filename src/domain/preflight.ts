// Why an update's preflight refuses to go on, whichever way it runs (one local activity, or the
// reads and cluster check of updates started before that).
import type { Release } from './release';

/** A breaking release onto a strategy that cannot take one. */
export function breakingRefusal(release: Release, refuseBreaking: boolean): string | undefined {
  if (!refuseBreaking || !release.breaking) return undefined;
  return `release ${release.version} is breaking: a live update cannot take it; use the maintenance-window or staging-first strategy`;
}

/** The cell no longer runs the version the update was planned from. */
export function plannedFromRefusal(actual: string | undefined, fromVersion: string | undefined): string | undefined {
  if (actual === fromVersion) return undefined;
  return `cell runs ${actual ?? 'nothing'}, but the update was planned from ${fromVersion ?? 'nothing'}`;
}

import type { Release } from './release';
import { compareVersions } from './version';

export type UpgradePath =
  | { ok: true; plan: string[] }
  | { ok: false; reason: string; missing?: string };

/**
 * The versions to install, in order, to go from `from` to `to`: every required stepping stone
 * between them comes first. `from` undefined means a first install, which has no constraints.
 */
export function planUpgrade(from: string | undefined, to: string, releases: Release[]): UpgradePath {
  const byVersion = new Map(releases.map((r) => [r.version, r]));
  const target = byVersion.get(to);
  if (!target) return { ok: false, reason: `release ${to} is not in the catalog`, missing: to };
  if (from === undefined) return { ok: true, plan: [to] };
  if (compareVersions(from, to) === 0) return { ok: false, reason: `version ${to} is already installed` };
  if (compareVersions(to, from) < 0) {
    return { ok: false, reason: `${to} is older than the installed ${from}: use a rollback to go back` };
  }

  const plan: string[] = [];
  const visit = (version: string, seen: string[]): UpgradePath | undefined => {
    if (seen.includes(version)) return { ok: false, reason: `stepping stones loop through ${version}` };
    const release = byVersion.get(version);
    if (!release) return { ok: false, reason: `required stepping stone ${version} is not in the catalog`, missing: version };
    const stones = (release.requiredStepStones ?? [])
      .filter((stone) => compareVersions(stone, from) > 0)
      .sort(compareVersions);
    for (const stone of stones) {
      const failed = visit(stone, [...seen, version]);
      if (failed) return failed;
    }
    if (!plan.includes(version)) plan.push(version);
    return undefined;
  };
  const failed = visit(to, []);
  if (failed) return failed;

  // Each hop must respect its own minimum from-version.
  let current = from;
  for (const version of plan) {
    const release = byVersion.get(version)!;
    if (release.minFromVersion && compareVersions(current, release.minFromVersion) < 0) {
      return {
        ok: false,
        reason: `release ${version} requires at least ${release.minFromVersion} installed (found ${current})`,
        missing: release.minFromVersion,
      };
    }
    current = version;
  }
  return { ok: true, plan };
}

/** The check for a single hop: may `to` be applied directly over `from`? */
export function checkDirectUpgrade(from: string | undefined, to: string, releases: Release[]): UpgradePath {
  const path = planUpgrade(from, to, releases);
  if (!path.ok) return path;
  if (path.plan.length > 1) {
    const stone = path.plan[0];
    return { ok: false, reason: `release ${to} requires stepping stone ${stone} first`, missing: stone };
  }
  return path;
}

/**
 * The releases any plan to `to` can use: `to` and every stepping stone it requires, directly or
 * through another stone (those the catalog lacks are left out, so planning names them missing).
 * What a rollout hands its cells instead of the whole catalog.
 */
export function releasesOnPathTo<R extends Release>(to: string, releases: R[]): R[] {
  const byVersion = new Map(releases.map((r) => [r.version, r]));
  const found = new Map<string, R>();
  const visit = (version: string) => {
    const release = byVersion.get(version);
    if (!release || found.has(version)) return;
    found.set(version, release);
    for (const stone of release.requiredStepStones ?? []) visit(stone);
  };
  visit(to);
  return [...found.values()];
}

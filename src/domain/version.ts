// Release versions: semver (1.4.0, 1.4.0-rc.1) or calendar versions (2026.11.2, 2026.11, 2026.11.2.1).
// Semantic versions compare as semver says (the `semver` library); calendar versions numerically
// part by part, a missing part counting as 0; pre-releases of either kind sort before their release
// and among themselves by semver's identifier rule (rc.9 before rc.10).
import semver from 'semver';

const VERSION = /^\d+(\.\d+){0,3}(-[0-9A-Za-z.-]+)?$/;

export function isVersion(value: string): boolean {
  return VERSION.test(value);
}

export function compareVersions(a: string, b: string): number {
  if (semver.valid(a) && semver.valid(b)) return semver.compare(a, b);
  const [coreA, preA] = splitPre(a);
  const [coreB, preB] = splitPre(b);
  const partsA = coreA.split('.').map(Number);
  const partsB = coreB.split('.').map(Number);
  for (let i = 0; i < Math.max(partsA.length, partsB.length); i++) {
    const diff = (partsA[i] ?? 0) - (partsB[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  if (preA === preB) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  return comparePreReleases(preA, preB);
}

/** Two pre-release tags by semver's rule, on a common core; one semver cannot read (a leading zero) by its text. */
function comparePreReleases(a: string, b: string): number {
  const [x, y] = [`0.0.0-${a}`, `0.0.0-${b}`];
  if (semver.valid(x, { loose: true }) && semver.valid(y, { loose: true })) return semver.compare(x, y, { loose: true });
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortVersions(versions: string[]): string[] {
  return [...versions].sort(compareVersions);
}

function splitPre(version: string): [string, string | undefined] {
  const dash = version.indexOf('-');
  return dash < 0 ? [version, undefined] : [version.slice(0, dash), version.slice(dash + 1)];
}

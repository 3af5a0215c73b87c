// Release versions: semver (1.4.0, 1.4.0-rc.1) or calendar versions (2026.11.2).
// Compared numerically part by part; a pre-release sorts before its release.

const VERSION = /^\d+(\.\d+){0,3}(-[0-9A-Za-z.-]+)?$/;

export function isVersion(value: string): boolean {
  return VERSION.test(value);
}

export function compareVersions(a: string, b: string): number {
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
  return preA < preB ? -1 : 1;
}

export function sortVersions(versions: string[]): string[] {
  return [...versions].sort(compareVersions);
}

function splitPre(version: string): [string, string | undefined] {
  const dash = version.indexOf('-');
  return dash < 0 ? [version, undefined] : [version.slice(0, dash), version.slice(dash + 1)];
}

// The npm mirror this project is developed against serves no @swc/core binaries for other
// platforms, so `npm install` leaves them out of package-lock.json and `npm ci` then refuses the
// lock. This adds an entry for every missing optional platform package, with its os/cpu, so
// `npm ci` skips it here and fetches it on the platform that needs it. Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORMS: Record<string, { os: string[]; cpu: string[]; libc?: string[] }> = {
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'linux-arm-gnueabihf': { os: ['linux'], cpu: ['arm'] },
  'linux-ppc64-gnu': { os: ['linux'], cpu: ['ppc64'], libc: ['glibc'] },
  'linux-s390x-gnu': { os: ['linux'], cpu: ['s390x'], libc: ['glibc'] },
  'win32-arm64-msvc': { os: ['win32'], cpu: ['arm64'] },
  'win32-ia32-msvc': { os: ['win32'], cpu: ['ia32'] },
  'win32-x64-msvc': { os: ['win32'], cpu: ['x64'] },
};

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
let added = 0;
for (const [path, meta] of Object.entries<{ optionalDependencies?: Record<string, string> }>(lock.packages)) {
  for (const [dep, version] of Object.entries<string>(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key] || lock.packages[`${path}/node_modules/${dep}`]) continue;
    const platform = Object.entries(PLATFORMS).find(([suffix]) => dep.endsWith(suffix))?.[1];
    if (!platform) throw new Error(`${dep} is missing from the lock and its platform is unknown`);
    lock.packages[key] = { version, optional: true, ...platform };
    added++;
  }
}
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.error(`added ${added} platform entries to package-lock.json`);

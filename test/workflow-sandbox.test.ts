import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Workflow code runs in Temporal's deterministic sandbox: it may import the SDK's workflow
// package, domain code and activity *types*, nothing that does I/O.
const dir = join(import.meta.dirname, '..', 'src', 'workflows');
const FORBIDDEN = /from ['"](node:|fs|path|child_process|http|https|net|os|crypto|@kubernetes|@aws-sdk|@temporalio\/(client|worker|activity))|from ['"]\.\.\/(adapters|api|config)/;

describe('workflow sandbox', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    it(`${file} imports nothing non-deterministic`, () => {
      const offending = readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => FORBIDDEN.test(line) && !/^import type /.test(line.trim()));
      expect(offending).toEqual([]);
    });
  }

  it('workflows do not throw plain Errors (they would retry the task forever)', () => {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/throw new Error\(/);
    }
  });
});

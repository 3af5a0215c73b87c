import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

// Histories of real runs, recorded for each release (scripts/record-histories.ts, kept under
// test/histories/v<release>/). Today's workflow code must replay every one of them: an update in
// flight when the worker is upgraded must not break (CONTRIBUTING.md says how changes keep this).
const root = join(import.meta.dirname, 'histories');
const histories = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();
const SCENARIOS = [
  'cell-controller',
  'cell-controller-in-rollout',
  'fleet-rollout',
  'update-cancelled',
  'update-live',
  'update-rollback',
  'update-rolled-back',
  'update-staging-first',
  'update-succeeded',
];

describe('replay of recorded histories', () => {
  it('has every scenario of every release', () => {
    const releases = readdirSync(root);
    expect(releases).toEqual(expect.arrayContaining(['v0.1.0', 'v0.2.0']));
    for (const release of releases) expect(histories).toEqual(expect.arrayContaining(SCENARIOS.map((s) => join(release, `${s}.json`))));
  });

  for (const file of histories) {
    it(`replays ${file} with the current workflow code`, async () => {
      const history = JSON.parse(readFileSync(join(root, file), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, file);
    });
  }

  it('rejects a change of command order that is not behind patched()', async () => {
    const history = JSON.parse(readFileSync(join(root, 'v0.1.0', 'update-succeeded.json'), 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowsPath: join(import.meta.dirname, 'fixtures', 'reordered-update.ts') }, history, 'reordered'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});

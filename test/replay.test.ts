import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

// Recorded histories of real runs (scripts/record-histories.ts). Today's workflow code must
// replay them exactly: an in-flight update must not break when the worker is upgraded.
const dir = join(import.meta.dirname, 'histories');
const histories = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(histories).toEqual(
      expect.arrayContaining(['cell-controller.json', 'cell-controller-before-reconcile.json', 'update-succeeded.json', 'update-rolled-back.json', 'update-cancelled.json', 'update-live.json', 'update-rollback.json', 'update-staging-first.json', 'update-succeeded-before-revision-2.json', 'update-staging-first-before-revision-2.json', 'cell-controller-before-lean-controller.json', 'fleet-rollout.json', 'fleet-rollout-before-no-empty-bake.json', 'update-succeeded-before-revision-3.json', 'update-rolled-back-before-revision-3.json', 'cell-controller-in-rollout.json', 'fleet-rollout-before-outcomes-by-request.json', 'cell-controller-in-rollout-before-outcomes-by-request.json', 'update-succeeded-before-started-as.json']),
    );
  });

  for (const file of histories) {
    it(`replays ${file} with the current workflow code`, async () => {
      const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, file);
    });
  }

  it('rejects a change of command order that is not behind patched()', async () => {
    const history = JSON.parse(readFileSync(join(dir, 'update-succeeded.json'), 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowsPath: join(import.meta.dirname, 'fixtures', 'reordered-update.ts') }, history, 'reordered'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});

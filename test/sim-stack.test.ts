// The simulated stack: the path the AWS adapter takes on moto, plus what moto cannot do: an update
// that fails and rolls back, a customer applying the template, flaky calls, a worker restart and
// a cancelled wait.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { SimulatedStack } from '../src/adapters/simulated/stack';
import type { StackTarget, StepContext } from '../src/domain/ports';

let dataDir: string;
let stacks: SimulatedStack;
const cell: StackTarget = { cellId: 'cell-1', stack: { kind: 'simulated' } };
const v2 = { templateVersion: '2.0.0', templateUrl: 'https://templates.example/cell-2.0.0.json' };

function ctx(signal = new AbortController().signal): StepContext & { beats: unknown[] } {
  const beats: unknown[] = [];
  return { beats, heartbeat: (d) => beats.push(d), signal };
}

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cellshift-sim-stack-'));
  stacks = new SimulatedStack(dataDir, 20);
  await stacks.register(cell.cellId, '1.0.0');
});

it('updates through an idempotent change set', async () => {
  expect(existsSync(join(dataDir, 'sim', 'stacks', 'cell-1.json'))).toBe(true);
  expect(await stacks.describe(cell)).toMatchObject({ status: 'CREATE_COMPLETE', templateVersion: '1.0.0', outputs: { TemplateVersion: '1.0.0' } });
  expect((await stacks.register(cell.cellId, '9.9.9')).templateVersion).toBe('1.0.0'); // registering again changes nothing

  const prepared = await stacks.prepareChangeSet(cell, v2, ctx());
  expect(prepared.changeSetName).toBe('cellshift-2-0-0');
  expect(prepared.changes.map((c) => c.logicalId)).toContain('LaunchTemplate');
  expect(await stacks.prepareChangeSet(cell, v2, ctx())).toEqual(prepared);

  await stacks.executeChangeSet(cell, prepared.changeSetName, ctx());
  const state = await stacks.waitForUpdate(cell, ctx());
  expect(state).toMatchObject({ status: 'UPDATE_COMPLETE', templateVersion: '2.0.0', tags: { TemplateVersion: '2.0.0' } });

  const events = (await stacks.read(cell.cellId)).events.length;
  await stacks.executeChangeSet(cell, prepared.changeSetName, ctx()); // ran already: a no-op
  expect((await stacks.read(cell.cellId)).events.length).toBe(events);
  expect((await stacks.waitForUpdate(cell, ctx())).templateVersion).toBe('2.0.0');
});

it('an update fault rolls the stack back and names the failing resource', async () => {
  await stacks.setFaults(cell.cellId, { update: { mode: 'fail-times', times: 1, latencyMs: 150 } });
  const { changeSetName } = await stacks.prepareChangeSet(cell, v2, ctx());
  await stacks.executeChangeSet(cell, changeSetName, ctx());
  const wait = ctx();
  const err = await stacks.waitForUpdate(cell, wait).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'StackUpdateFailed', nonRetryable: true });
  expect((err as Error).message).toMatch(/UPDATE_ROLLBACK_COMPLETE: LaunchTemplate: Resource handler returned message: "Invalid AMI ID"/);
  expect(wait.beats[0]).toEqual({ status: 'UPDATE_IN_PROGRESS' }); // it heartbeats while the update runs
  expect(await stacks.describe(cell)).toMatchObject({ status: 'UPDATE_ROLLBACK_COMPLETE', templateVersion: '1.0.0' });
  // Waiting again reports the same failure: it is the stack's state, not a one-off.
  await expect(stacks.waitForUpdate(cell, ctx())).rejects.toMatchObject({ type: 'StackUpdateFailed' });

  // The fault has passed (fail-times 1): the same version again gets a fresh change set and succeeds.
  const retry = await stacks.prepareChangeSet(cell, v2, ctx());
  expect(retry.changes.length).toBeGreaterThan(0);
  await stacks.executeChangeSet(cell, retry.changeSetName, ctx());
  expect(await stacks.waitForUpdate(cell, ctx())).toMatchObject({ status: 'UPDATE_COMPLETE', templateVersion: '2.0.0' });
});

it('a customer applying the template themselves leaves nothing to do', async () => {
  expect(await stacks.customerApply(cell.cellId, '2.0.0')).toMatchObject({ status: 'UPDATE_COMPLETE', templateVersion: '2.0.0' });
  const prepared = await stacks.prepareChangeSet(cell, v2, ctx());
  expect(prepared).toEqual({ changeSetName: 'cellshift-2-0-0', status: 'FAILED', changes: [] });
  await stacks.executeChangeSet(cell, prepared.changeSetName, ctx()); // nothing to run: a no-op
  expect(await stacks.waitForUpdate(cell, ctx())).toMatchObject({ status: 'UPDATE_COMPLETE', templateVersion: '2.0.0' });
});

it('fail-times on prepare fails that many calls, retryably', async () => {
  await stacks.setFaults(cell.cellId, { prepare: { mode: 'fail-times', times: 2 } });
  for (const call of [1, 2]) {
    await expect(stacks.prepareChangeSet(cell, v2, ctx())).rejects.toMatchObject({
      type: 'SimulatedFault',
      nonRetryable: false,
      message: `injected fault in prepare (call ${call})`,
    });
  }
  expect((await stacks.prepareChangeSet(cell, v2, ctx())).changes.length).toBeGreaterThan(0);
  await stacks.setFaults(cell.cellId, { execute: { mode: 'fail' } });
  await expect(stacks.executeChangeSet(cell, 'cellshift-2-0-0', ctx())).rejects.toMatchObject({ type: 'SimulatedFault' });
  expect((await stacks.describe(cell)).templateVersion).toBe('1.0.0');
});

it('an update outlives the worker that started it, and a cancelled wait stops', async () => {
  await stacks.setFaults(cell.cellId, { update: { mode: 'none', latencyMs: 300 } });
  const { changeSetName } = await stacks.prepareChangeSet(cell, v2, ctx());
  await stacks.executeChangeSet(cell, changeSetName, ctx());

  const aborted = new AbortController();
  setTimeout(() => aborted.abort(), 50);
  await expect(stacks.waitForUpdate(cell, ctx(aborted.signal))).rejects.toMatchObject({ name: 'AbortError' });

  const restarted = new SimulatedStack(dataDir, 20); // a new worker on the same data directory
  expect(await restarted.waitForUpdate(cell, ctx())).toMatchObject({ status: 'UPDATE_COMPLETE', templateVersion: '2.0.0' });
});

it('an unknown stack or change set is a non-retryable error', async () => {
  const other: StackTarget = { cellId: 'nobody', stack: { kind: 'simulated' } };
  await expect(stacks.describe(other)).rejects.toMatchObject({ type: 'StackNotFound', nonRetryable: true });
  await expect(stacks.prepareChangeSet(other, v2, ctx())).rejects.toMatchObject({ type: 'StackNotFound', nonRetryable: true });
  await expect(stacks.executeChangeSet(cell, 'cellshift-7', ctx())).rejects.toMatchObject({ type: 'ChangeSetNotFound', nonRetryable: true });
  expect(await stacks.setFaults('nobody', {})).toBe(false);
});

import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

describe('the worker killed while an update waits for approval', () => {
  let h: Harness;
  let worker: ChildProcess | undefined;
  beforeAll(async () => {
    h = await Harness.start({ worker: false });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await h?.stop();
  });

  it('still takes the approval after a restart and finishes the update', async () => {
    worker = h.spawnWorkerProcess();
    await h.registerCell('durable-stage', { ring: 'staging' });
    await h.registerCell('durable', {
      strategy: 'staging-first',
      stagingCellId: 'durable-stage',
      stagingFirst: { soakSeconds: 1, healthCheckIntervalSeconds: 1, decisionTimeoutSeconds: 600 },
    });
    const accepted = await h.requestUpdate('durable', { version: '1.2.0', window: 'now' });
    await h.waitForUpdate(accepted.body.id, ['waiting-approval']);

    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    worker = h.spawnWorkerProcess();

    // The validator runs on the new worker: the API waits for it, then accepts.
    const approve = await h.http('POST', `/v1/updates/${accepted.body.id}/approve`, {}, 'operator');
    expect(approve.status).toBe(202);
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.actions).toEqual([expect.objectContaining({ action: 'approve', by: 'oscar-operator' })]);
    expect((await h.simulated.read('durable')).version).toBe('1.2.0');
    expect((await h.simulated.read('durable-stage')).version).toBe('1.2.0');
  });
});

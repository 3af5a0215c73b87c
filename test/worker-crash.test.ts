import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

describe('the worker killed during apply', () => {
  let h: Harness;
  let worker: ChildProcess | undefined;
  beforeAll(async () => {
    h = await Harness.start({ worker: false });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await h?.stop();
  });

  it('resumes after a restart and completes, with apply’s effect recorded once', async () => {
    worker = h.spawnWorkerProcess();
    await h.registerCell('crashy');
    // apply changes the cluster, then takes 4 s to confirm: the kill lands after the change.
    await h.http('PUT', '/v1/sim/cells/crashy/faults', { apply: { mode: 'none', latencyMs: 4_000 } });
    const accepted = await h.requestUpdate('crashy', { version: '1.2.0', window: 'now' });
    await h.waitForStep(accepted.body.id, 'apply', 'running');
    await h.waitFor('apply to reach the cluster', async () => ((await h.simulated.read('crashy')).version === '1.2.0' ? true : undefined));

    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    worker = h.spawnWorkerProcess();

    const update = await h.waitForUpdate(accepted.body.id);
    expect(update.status).toBe('succeeded');
    expect(update.steps.find((s: any) => s.name === 'apply').attempts).toBe(2);
    const sim = await h.simulated.read('crashy');
    expect(sim).toMatchObject({ version: '1.2.0', maintenance: false });
    expect(sim.log.filter((e) => e.op === 'apply')).toHaveLength(1);
    expect((await h.waitForCellIdle('crashy')).version).toBe('1.2.0');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

// A fault injected at each step before the release is verified: the update ends with the cell on
// its previous version and maintenance mode off, and says which step failed, why, and what was
// undone. Once verify passed, a failure to leave maintenance is retried until it works: a verified
// release is never rolled back for a blip.
const cases = [
  { step: 'preflight', status: 'failed', undone: [] },
  { step: 'maintenanceOn', status: 'rolled-back', undone: ['maintenanceOff'] },
  { step: 'pull', status: 'rolled-back', undone: ['maintenanceOff'] },
  { step: 'apply', status: 'rolled-back', undone: ['rollback', 'maintenanceOff'] },
  { step: 'verify', status: 'rolled-back', undone: ['rollback', 'maintenanceOff'] },
] as const;

describe('maintenance-window update, a failure at each step', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  it.each(cases)('$step fails → $status, cell back on 1.1.0 with maintenance off', async ({ step, status, undone }) => {
    const cellId = `fail-${step.toLowerCase()}`;
    await h.registerCell(cellId);
    expect((await h.http('PUT', `/v1/sim/cells/${cellId}/faults`, { [step]: { mode: 'fail' } })).status).toBe(200);

    const accepted = await h.requestUpdate(cellId, { version: '1.2.0', window: 'now' });
    expect(accepted.status).toBe(202);
    const update = await h.waitForUpdate(accepted.body.id);

    expect(update.status).toBe(status);
    expect(update.failedStep).toBe(step);
    expect(update.error).toContain(`injected fault in ${step}`);
    const failed = update.steps.find((s: any) => s.name === step);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(update.compensations.map((c: any) => [c.name, c.status])).toEqual(undone.map((name) => [name, 'succeeded']));

    const sim = await h.simulated.read(cellId);
    expect(sim.version).toBe('1.1.0');
    expect(sim.maintenance).toBe(false);
    expect(sim.components.server).toContain('server:1.1.0@');

    const cell = await h.waitForCellIdle(cellId);
    expect(cell).toMatchObject({ version: '1.1.0', maintenance: { enabled: false }, state: 'ready' });
    expect(cell.history.at(-1)).toMatchObject({ updateId: accepted.body.id, result: status, version: '1.1.0' });
  });

  it('leaving maintenance after verify is retried until it works, never undone, shown as waiting on it', async () => {
    await h.registerCell('blip-off');
    // Two rounds of the step's own three attempts fail (about 10 s of a cell that will not answer).
    await h.http('PUT', '/v1/sim/cells/blip-off/faults', { maintenanceOff: { mode: 'fail-times', times: 6 } });
    const accepted = await h.requestUpdate('blip-off', { version: '1.2.0', window: 'now' });
    const waiting = await h.waitFor('the update waiting to leave maintenance', async () => {
      const progress = (await h.http('GET', `/v1/updates/${accepted.body.id}`)).body;
      const step = progress.steps.find((s: any) => s.name === 'maintenanceOff');
      return step.status === 'running' && step.error ? progress : undefined;
    });
    expect(waiting.status).toBe('running');
    expect(waiting.steps.find((s: any) => s.name === 'maintenanceOff')).toMatchObject({ attempts: 3, error: expect.stringContaining('injected fault in maintenanceOff'), detail: expect.stringContaining('passed verify') });
    // Nothing can turn it into a rollback now.
    const cancel = await h.http('POST', `/v1/updates/${accepted.body.id}/cancel`, {}, 'operator');
    expect(cancel.status).toBe(409);
    expect(cancel.body.detail).toContain('passed verify');

    const update = await h.waitForUpdate(accepted.body.id);
    expect(update.status).toBe('succeeded');
    expect(update.compensations).toEqual([]);
    expect(update.steps.find((s: any) => s.name === 'maintenanceOff')).toMatchObject({ status: 'succeeded', attempts: 7 });
    expect(update.steps.find((s: any) => s.name === 'maintenanceOff').error).toBeUndefined();
    const sim = await h.simulated.read('blip-off');
    expect(sim).toMatchObject({ version: '1.2.0', maintenance: false });
    expect(sim.log.map((e) => e.op)).not.toContain('rollback');
    expect(await h.waitForCellIdle('blip-off')).toMatchObject({ version: '1.2.0', maintenance: { enabled: false }, state: 'ready' });
  });

  it('a step that fails twice then works is retried and the update succeeds', async () => {
    await h.registerCell('flaky-pull');
    await h.http('PUT', '/v1/sim/cells/flaky-pull/faults', { pull: { mode: 'fail-times', times: 2 } });
    const accepted = await h.requestUpdate('flaky-pull', { version: '1.2.0', window: 'now' });
    const update = await h.waitForUpdate(accepted.body.id);
    expect(update.status).toBe('succeeded');
    expect(update.steps.find((s: any) => s.name === 'pull')).toMatchObject({ status: 'succeeded', attempts: 3 });
  });
});

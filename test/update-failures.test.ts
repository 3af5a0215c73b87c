import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

// A fault injected at each step: the update ends with the cell on its previous version and
// maintenance mode off, and says which step failed, why, and what was undone.
const cases = [
  { step: 'preflight', status: 'failed', undone: [] },
  { step: 'maintenanceOn', status: 'rolled-back', undone: ['maintenanceOff'] },
  { step: 'pull', status: 'rolled-back', undone: ['maintenanceOff'] },
  { step: 'apply', status: 'rolled-back', undone: ['rollback', 'maintenanceOff'] },
  { step: 'verify', status: 'rolled-back', undone: ['rollback', 'maintenanceOff'] },
  { step: 'maintenanceOff', status: 'rolled-back', undone: ['rollback', 'maintenanceOff'] },
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
    // maintenanceOff fails once as a step, then works as the compensation.
    const fault = step === 'maintenanceOff' ? { mode: 'fail-times', times: 3 } : { mode: 'fail' };
    expect((await h.http('PUT', `/v1/sim/cells/${cellId}/faults`, { [step]: fault })).status).toBe(200);

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

  it('a step that fails twice then works is retried and the update succeeds', async () => {
    await h.registerCell('flaky-pull');
    await h.http('PUT', '/v1/sim/cells/flaky-pull/faults', { pull: { mode: 'fail-times', times: 2 } });
    const accepted = await h.requestUpdate('flaky-pull', { version: '1.2.0', window: 'now' });
    const update = await h.waitForUpdate(accepted.body.id);
    expect(update.status).toBe('succeeded');
    expect(update.steps.find((s: any) => s.name === 'pull')).toMatchObject({ status: 'succeeded', attempts: 3 });
  });
});

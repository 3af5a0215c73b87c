import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, everyDay, utcClock } from './helpers/harness';

describe('cancelling an update', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  it('mid-apply: compensates back to the previous version, maintenance off, and records who cancelled', async () => {
    await h.registerCell('cancel-apply');
    await h.http('PUT', '/v1/sim/cells/cancel-apply/faults', { apply: { mode: 'none', latencyMs: 10_000 } });
    const accepted = await h.requestUpdate('cancel-apply', { version: '1.2.0', window: 'now' });
    await h.waitForStep(accepted.body.id, 'apply', 'running');
    await h.waitFor('apply to reach the cluster', async () => ((await h.simulated.read('cancel-apply')).version === '1.2.0' ? true : undefined));

    const cancel = await h.http('POST', `/v1/updates/${accepted.body.id}/cancel`, { reason: 'customer asked' }, 'operator');
    expect(cancel.status).toBe(202);
    expect(cancel.body).toEqual({ id: accepted.body.id, action: 'cancel', by: 'oscar-operator' });

    const update = await h.waitForUpdate(accepted.body.id);
    expect(update.status).toBe('cancelled');
    expect(update.compensations.map((c: any) => [c.name, c.status])).toEqual([
      ['rollback', 'succeeded'],
      ['maintenanceOff', 'succeeded'],
    ]);
    expect(update.actions).toEqual([expect.objectContaining({ action: 'cancel', by: 'oscar-operator' })]);
    const sim = await h.simulated.read('cancel-apply');
    expect(sim).toMatchObject({ version: '1.1.0', maintenance: false });
    expect((await h.waitForCellIdle('cancel-apply')).history.at(-1)).toMatchObject({ result: 'cancelled', version: '1.1.0' });
  });

  it('while waiting for its window: nothing to undo, the cell is untouched', async () => {
    await h.registerCell('cancel-waiting', { maintenanceWindow: everyDay(utcClock(3 * 3600_000).slice(0, 5), 60) });
    const accepted = await h.requestUpdate('cancel-waiting', { version: '1.2.0' });
    const waiting = await h.waitForUpdate(accepted.body.id, ['scheduled']);
    expect(Date.parse(waiting.window.startsAt)).toBeGreaterThan(Date.now() + 3600_000);

    expect((await h.http('POST', `/v1/updates/${accepted.body.id}/cancel`, {}, 'operator')).status).toBe(202);
    const update = await h.waitForUpdate(accepted.body.id);
    expect(update).toMatchObject({ status: 'cancelled', compensations: [] });
    expect(update.steps.every((s: any) => s.status === 'skipped')).toBe(true);
    expect((await h.simulated.read('cancel-waiting')).log.map((e) => e.op)).toEqual(['register']);
  });

  it('refuses to cancel an update that has ended', async () => {
    await h.registerCell('cancel-late');
    const accepted = await h.requestUpdate('cancel-late', { version: '1.2.0', window: 'now' });
    await h.waitForUpdate(accepted.body.id);
    const cancel = await h.http('POST', `/v1/updates/${accepted.body.id}/cancel`, {}, 'operator');
    expect(cancel.status).toBe(409);
    expect(cancel.headers.get('content-type')).toContain('application/problem+json');
  });
});

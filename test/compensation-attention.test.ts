import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

describe('a compensation that keeps failing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  async function parkInNeedsAttention(cellId: string) {
    await h.registerCell(cellId);
    await h.http('PUT', `/v1/sim/cells/${cellId}/faults`, { verify: { mode: 'fail' }, rollback: { mode: 'fail' } });
    const accepted = await h.requestUpdate(cellId, { version: '1.2.0', window: 'now' });
    const parked = await h.waitForUpdate(accepted.body.id, ['needs-attention']);
    expect(parked.compensations).toEqual([expect.objectContaining({ name: 'rollback', status: 'failed', attempts: 3 })]);
    expect(parked.compensations[0].error).toContain('injected fault in rollback');
    // Parked, the cell is still in maintenance with the new version: nothing was dropped silently.
    expect(await h.simulated.read(cellId)).toMatchObject({ version: '1.2.0', maintenance: true });
    return accepted.body.id as string;
  }

  it('parks in needs-attention until retry, then finishes the undo', async () => {
    const id = await parkInNeedsAttention('attention-retry');
    // A retry while the fault persists parks it again.
    expect((await h.http('POST', `/v1/updates/${id}/retry`, {}, 'operator')).status).toBe(202);
    await h.waitFor('second rollback failure', async () => {
      const res = await h.http('GET', `/v1/updates/${id}`);
      return res.body.status === 'needs-attention' && res.body.compensations[0].attempts === 6 ? true : undefined;
    });

    await h.http('PUT', '/v1/sim/cells/attention-retry/faults', {});
    expect((await h.http('POST', `/v1/updates/${id}/retry`, {}, 'operator')).status).toBe(202);
    const update = await h.waitForUpdate(id);
    expect(update.status).toBe('rolled-back');
    expect(update.compensations.map((c: any) => [c.name, c.status])).toEqual([
      ['rollback', 'succeeded'],
      ['maintenanceOff', 'succeeded'],
    ]);
    expect(update.actions.map((a: any) => [a.action, a.by])).toEqual([
      ['retry', 'oscar-operator'],
      ['retry', 'oscar-operator'],
    ]);
    expect(await h.simulated.read('attention-retry')).toMatchObject({ version: '1.1.0', maintenance: false });
  });

  it('abandon skips the failing undo but still turns maintenance off, and says so', async () => {
    const id = await parkInNeedsAttention('attention-abandon');
    expect((await h.http('POST', `/v1/updates/${id}/abandon`, {}, 'admin')).status).toBe(202);
    const update = await h.waitForUpdate(id);
    expect(update.status).toBe('failed');
    expect(await h.simulated.read('attention-abandon')).toMatchObject({ version: '1.2.0', maintenance: false });
    const cell = await h.waitForCellIdle('attention-abandon');
    // The controller records what the cluster really runs.
    expect(cell).toMatchObject({ version: '1.2.0', maintenance: { enabled: false } });
    expect(cell.history.at(-1)).toMatchObject({ result: 'failed' });
  });

  it('refuses retry and abandon when nothing waits for an operator', async () => {
    await h.registerCell('attention-none');
    const accepted = await h.requestUpdate('attention-none', { version: '1.2.0', window: 'now' });
    await h.waitForUpdate(accepted.body.id);
    const retry = await h.http('POST', `/v1/updates/${accepted.body.id}/retry`, {}, 'operator');
    expect(retry.status).toBe(409);
  });
});

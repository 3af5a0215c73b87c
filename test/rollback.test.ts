import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

describe('rollback on demand', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  async function update(cellId: string, version: string) {
    const accepted = await h.requestUpdate(cellId, { version, window: 'now' });
    expect((await h.waitForUpdate(accepted.body.id)).status).toBe('succeeded');
    await h.waitForCellIdle(cellId);
  }

  it('goes back to the previous installed version through the same steps, and history lists every install', async () => {
    await h.registerCell('rb-prev');
    await update('rb-prev', '1.2.0');
    const res = await h.http('POST', '/v1/cells/rb-prev/rollback', {}, 'operator');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: 'rb-prev-u2', strategy: 'rollback', fromVersion: '1.2.0', toVersion: '1.1.0' });
    const done = await h.waitForUpdate(res.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s: any) => s.name)).toEqual(['preflight', 'maintenanceOn', 'pull', 'apply', 'verify', 'maintenanceOff']);
    expect(await h.simulated.read('rb-prev')).toMatchObject({ version: '1.1.0', maintenance: false });
    const cell = await h.waitForCellIdle('rb-prev');
    expect(cell.version).toBe('1.1.0');
    expect(cell.history.map((e: any) => [e.version, e.strategy ?? null, e.result])).toEqual([
      ['1.1.0', null, 'registered'],
      ['1.2.0', 'maintenance-window', 'succeeded'],
      ['1.1.0', 'rollback', 'succeeded'],
    ]);
    for (const entry of cell.history) expect(Date.parse(entry.at)).toBeGreaterThan(0);
  });

  it('goes back to a named version from the history, and refuses one the cell never ran', async () => {
    await h.registerCell('rb-named', { cluster: { kind: 'simulated', initialVersion: '1.0.0' } });
    await update('rb-named', '1.1.0');
    await update('rb-named', '1.2.0');
    const never = await h.http('POST', '/v1/cells/rb-named/rollback', { toVersion: '2.1.0' }, 'operator');
    expect(never.status).toBe(422);
    expect(never.body.detail).toBe("version 2.1.0 is not in the cell's history");

    const res = await h.http('POST', '/v1/cells/rb-named/rollback', { toVersion: '1.0.0' }, 'operator');
    expect(res.status).toBe(202);
    expect((await h.waitForUpdate(res.body.id)).status).toBe('succeeded');
    expect((await h.simulated.read('rb-named')).version).toBe('1.0.0');
    expect((await h.waitForCellIdle('rb-named')).version).toBe('1.0.0');
  });

  it('is refused while an update runs, and when there is nothing to go back to', async () => {
    await h.registerCell('rb-busy');
    const none = await h.http('POST', '/v1/cells/rb-busy/rollback', {}, 'operator');
    expect(none.status).toBe(422);
    const running = await h.requestUpdate('rb-busy', { version: '1.2.0' });
    const busy = await h.http('POST', '/v1/cells/rb-busy/rollback', {}, 'operator');
    expect(busy.status).toBe(409);
    expect(busy.body.updateId).toBe(running.body.id);
    await h.http('POST', `/v1/updates/${running.body.id}/cancel`, {}, 'operator');
    await h.waitForUpdate(running.body.id);
  });

  it('a failing rollback is compensated like any update', async () => {
    await h.registerCell('rb-fail');
    await update('rb-fail', '1.2.0');
    await h.http('PUT', '/v1/sim/cells/rb-fail/faults', { verify: { mode: 'fail' } });
    const res = await h.http('POST', '/v1/cells/rb-fail/rollback', {}, 'operator');
    const done = await h.waitForUpdate(res.body.id);
    expect(done.status).toBe('rolled-back');
    expect(await h.simulated.read('rb-fail')).toMatchObject({ version: '1.2.0', maintenance: false });
  });
});

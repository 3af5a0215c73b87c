import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellReadModel } from '../src/adapters/db/cell-read-model';
import { UpdateReadModel } from '../src/adapters/db/update-read-model';
import { rebuildReadModel } from '../src/workflows/read-model/client';
import { Harness } from './helpers/harness';

describe('maintenance-window update, happy path', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  it('takes a cell through every step to the new release, over REST', async () => {
    const cell = await h.registerCell('happy');
    expect(cell).toMatchObject({ state: 'ready', version: '1.1.0', maintenance: { enabled: false } });
    expect(cell.history).toEqual([expect.objectContaining({ version: '1.1.0', result: 'registered' })]);

    const accepted = await h.requestUpdate('happy', { version: '1.2.0', window: 'now' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ id: 'happy-u1', cellId: 'happy', fromVersion: '1.1.0', toVersion: '1.2.0', status: 'scheduled' });
    expect(accepted.headers.get('location')).toBe('/v1/updates/happy-u1');

    const update = await h.waitForUpdate('happy-u1');
    expect(update.status).toBe('succeeded');
    expect(update.steps.map((s: any) => [s.name, s.status, s.attempts])).toEqual([
      ['preflight', 'succeeded', 1],
      ['maintenanceOn', 'succeeded', 1],
      ['pull', 'succeeded', 1],
      ['apply', 'succeeded', 1],
      ['verify', 'succeeded', 1],
      ['maintenanceOff', 'succeeded', 1],
    ]);
    for (const step of update.steps) expect(Date.parse(step.endedAt)).toBeGreaterThanOrEqual(Date.parse(step.startedAt));
    expect(update.compensations).toEqual([]);

    const sim = await h.simulated.read('happy');
    expect(sim.version).toBe('1.2.0');
    expect(sim.maintenance).toBe(false);
    expect(sim.components.server).toContain('server:1.2.0@sha256:');
    for (const images of Object.values(sim.nodes)) expect(images).toContain(sim.components.server);
    expect(sim.log.map((e) => e.op)).toEqual(['register', 'maintenance-on', 'pull', 'pull', 'pull', 'apply', 'maintenance-off']);

    const after = await h.waitForCellIdle('happy');
    expect(after).toMatchObject({ state: 'ready', version: '1.2.0', maintenance: { enabled: false } });
    expect(after.history.at(-1)).toMatchObject({ version: '1.2.0', fromVersion: '1.1.0', updateId: 'happy-u1', strategy: 'maintenance-window', result: 'succeeded' });
  });

  it('lists cells with their ring, state and version, from the read model, filtered', async () => {
    await h.registerCell('listed', { ring: 'dedicated' });
    const list = await h.waitFor('listed cell in the list', async () => {
      const res = await h.http('GET', '/v1/cells?ring=dedicated', undefined, 'viewer');
      return res.body.cells.find((c: any) => c.id === 'listed' && c.state === 'ready') ? res.body : undefined;
    });
    expect(list.cells).toContainEqual({ id: 'listed', ring: 'dedicated', state: 'ready', version: '1.1.0', desiredVersion: null, sla: 'in-sla', connection: 'direct', currentUpdate: null });
    expect(list.cells.every((c: any) => c.ring === 'dedicated')).toBe(true);
    // The read model follows the controller: an update shows as running, then as done.
    const accepted = await h.requestUpdate('listed', { version: '1.2.0', window: 'now' });
    await h.waitForUpdate(accepted.body.id);
    await h.waitFor('the list shows 1.2.0', async () => {
      const res = await h.http('GET', '/v1/cells?version=1.2.0&state=ready', undefined, 'viewer');
      return res.body.cells.find((c: any) => c.id === 'listed' && c.currentUpdate === null) ? true : undefined;
    });
    expect((await h.http('GET', '/v1/cells?version=1.1.0&ring=dedicated', undefined, 'viewer')).body.cells.map((c: any) => c.id)).not.toContain('listed');
    expect((await h.http('GET', '/v1/cells?sla=late', undefined, 'viewer')).status).toBe(400);

    // Lost, and rebuilt from the controllers: the same list.
    const before = (await h.http('GET', '/v1/cells?pageSize=1000', undefined, 'viewer')).body.cells;
    await h.db.deleteFrom('cells').execute();
    expect((await h.http('GET', '/v1/cells', undefined, 'viewer')).body.cells).toEqual([]);
    const update = (await h.http('GET', `/v1/updates/${accepted.body.id}`, undefined, 'viewer')).body;
    await h.db.deleteFrom('updates').execute();
    // Not in the read model: read from the workflow meanwhile.
    expect((await h.http('GET', `/v1/updates/${accepted.body.id}`, undefined, 'viewer')).body).toEqual(update);
    expect((await h.http('GET', '/v1/updates/listed-u99', undefined, 'viewer')).status).toBe(404);
    const rebuilt = await rebuildReadModel(h.client, h.taskQueue, { cells: new CellReadModel(h.db), updates: new UpdateReadModel(h.db) });
    expect(rebuilt.cells).toBe(before.length);
    expect(rebuilt.updates).toBeGreaterThanOrEqual(1);
    expect((await h.http('GET', '/v1/cells?pageSize=1000', undefined, 'viewer')).body.cells).toEqual(before);
    expect((await h.http('GET', `/v1/updates/${accepted.body.id}`, undefined, 'viewer')).body).toEqual(update);

    // A row no workflow wrote (a rebuild's, the API's at registration) never answers older than the
    // workflow: one made stale on purpose is read from the controller instead.
    const stale = (await h.http('GET', '/v1/cells/listed', undefined, 'viewer')).body;
    await h.db.updateTable('cells').set({ view: JSON.stringify({ spec: { id: 'listed' }, state: 'registering' }), revision: 0 }).where('id', '=', 'listed').execute();
    expect((await h.http('GET', '/v1/cells/listed', undefined, 'viewer')).body).toEqual(stale);

    // A controller's own row behind its update (the update wrote its end; the controller, its task
    // held by a worker that stopped, has not taken it in yet, as after a restart): the cell is read
    // from the controller, never on the version it left.
    const row = await h.db.selectFrom('cells').select('view').where('id', '=', 'listed').executeTakeFirstOrThrow();
    const behind = { ...row.view, version: '1.1.0', state: 'updating', currentUpdate: { id: accepted.body.id, toVersion: '1.2.0', strategy: 'maintenance-window' } };
    await h.db.updateTable('cells').set({ view: JSON.stringify(behind), revision: Number.MAX_SAFE_INTEGER }).where('id', '=', 'listed').execute();
    expect((await h.http('GET', '/v1/cells/listed', undefined, 'viewer')).body).toMatchObject({ version: '1.2.0', state: 'ready' });
  });
});

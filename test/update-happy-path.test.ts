import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('lists cells with their ring, state and version', async () => {
    await h.registerCell('listed', { ring: 'dedicated' });
    const list = await h.waitFor('listed cell in the list', async () => {
      const res = await h.http('GET', '/v1/cells?ring=dedicated', undefined, 'viewer');
      return res.body.cells.find((c: any) => c.id === 'listed' && c.state === 'ready') ? res.body : undefined;
    });
    expect(list.cells).toContainEqual({ id: 'listed', ring: 'dedicated', state: 'ready', version: '1.1.0' });
    expect(list.cells.every((c: any) => c.ring === 'dedicated')).toBe(true);
  });
});

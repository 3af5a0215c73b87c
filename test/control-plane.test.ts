import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../src/adapters/bundles/build';
import type { Release } from '../src/domain/release';
import { Harness, everyDay, utcClock } from './helpers/harness';

const ALL_RINGS = ['staging', 'saas', 'dedicated'];
const release = (version: string, extra: Partial<Release> = {}): Release => ({
  version,
  components: { server: `registry.example/server:${version}`, proxy: `registry.example/proxy:${version}` },
  breaking: false,
  ...extra,
});
/** A maintenance window that is open now, so reconciled updates run at once. */
const openNow = () => ({ maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 });

describe('control plane: catalog channels, first install, update checks, plans, drift', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ releases: [] });
  });
  afterAll(() => h?.stop());

  async function publish(r: Release, rings: string[] = ALL_RINGS) {
    const res = await h.http('POST', '/v1/releases', r);
    expect([200, 201]).toContain(res.status);
    for (const ring of rings) expect((await h.http('POST', `/v1/releases/${r.version}/promote`, { ring })).status).toBe(200);
  }

  async function waitForCell(id: string, ok: (cell: any) => boolean, what: string) {
    return h.waitFor(`cell ${id}: ${what}`, async () => {
      const res = await h.http('GET', `/v1/cells/${id}`);
      return res.status === 200 && ok(res.body) ? res.body : undefined;
    }, 90_000);
  }

  it('promotes releases ring by ring, in order', async () => {
    await h.http('POST', '/v1/releases', release('0.9.0'));
    const early = await h.http('POST', '/v1/releases/0.9.0/promote', { ring: 'saas' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain('promote to staging before saas');
    expect((await h.http('POST', '/v1/releases/0.9.0/promote', { ring: 'staging' })).body.rings).toEqual(['staging']);
    expect((await h.http('POST', '/v1/releases/0.9.0/promote', { ring: 'dedicated' })).status).toBe(409);
    expect((await h.http('POST', '/v1/releases/0.9.0/promote', { ring: 'saas' })).body.rings).toEqual(['staging', 'saas']);
    expect((await h.http('POST', '/v1/releases/0.9.0/promote', { ring: 'saas' }, 'operator')).status).toBe(403);
    expect((await h.http('POST', '/v1/releases/7.7.7/promote', { ring: 'staging' })).status).toBe(404);
    expect((await h.http('POST', '/v1/releases/0.9.0/promote', { ring: 'moon' })).status).toBe(400);
  });

  it('a failed first install removes what it installed', async () => {
    // Nothing is promoted to dedicated yet: the cell registers with nothing to install.
    await h.http('POST', '/v1/cells', { id: 'doomed', ring: 'dedicated', cluster: { kind: 'simulated' }, checkIntervalSeconds: 3600, ...openNow() });
    await waitForCell('doomed', (c) => c.state === 'ready' && c.lastCheck, 'first check');
    await h.http('PUT', '/v1/sim/cells/doomed/faults', { verify: { mode: 'fail' } });
    await publish(release('0.9.5'));
    await h.http('POST', '/v1/cells/doomed/check', undefined, 'operator');
    const cell = await waitForCell('doomed', (c) => c.state === 'install-failed', 'install failed');
    expect(cell.version).toBeNull();
    expect(cell.reconcileError).toContain('rolled-back');
    const sim = await h.simulated.read('doomed');
    expect(sim.version).toBeUndefined();
    expect(sim.components).toEqual({});
    expect(sim.maintenance).toBe(false);
  });

  it('installs a new cell from scratch with the newest release its ring may run', async () => {
    await publish(release('1.0.0'));
    await publish(release('1.1.0'), ['staging']);
    await h.http('POST', '/v1/cells', { id: 'fresh', ring: 'saas', cluster: { kind: 'simulated' }, ...openNow() });
    await h.http('POST', '/v1/cells', { id: 'fresh-stage', ring: 'staging', cluster: { kind: 'simulated' }, ...openNow() });

    const seen = new Set<string>();
    const cell = await h.waitFor('fresh installed', async () => {
      const res = await h.http('GET', '/v1/cells/fresh');
      if (res.status === 200) seen.add(res.body.state);
      return res.body?.version === '1.0.0' && res.body.state === 'ready' ? res.body : undefined;
    });
    expect(seen).toContain('installing');
    expect(cell.history).toEqual([expect.objectContaining({ version: '1.0.0', result: 'succeeded', strategy: 'maintenance-window' })]);
    expect(cell.history[0].fromVersion).toBeUndefined();
    expect(await h.simulated.read('fresh')).toMatchObject({ version: '1.0.0', maintenance: false });
    expect((await waitForCell('fresh-stage', (c) => c.version !== null, 'installed')).version).toBe('1.1.0');
  });

  it('the update check sets the newest release allowed for the ring as desired, with auto-update', async () => {
    await publish(release('2.0.0'));
    await h.registerCell('follower', { ring: 'saas', cluster: { kind: 'simulated', initialVersion: '2.0.0' }, autoUpdate: true, checkIntervalSeconds: 1, ...openNow() });
    await publish(release('2.1.0'), ['staging']);
    const checked = await waitForCell('follower', (c) => c.lastCheck && Date.parse(c.lastCheck.at) > Date.now() - 1500, 'a check after 2.1.0 reached staging');
    expect(checked.lastCheck.newest).toBeUndefined();
    expect(checked.version).toBe('2.0.0');

    await h.http('POST', '/v1/releases/2.1.0/promote', { ring: 'saas' });
    const updated = await waitForCell('follower', (c) => c.version === '2.1.0' && c.state === 'ready', 'on 2.1.0');
    expect(updated.desiredVersion).toBe('2.1.0');
    expect(updated.history.at(-1)).toMatchObject({ version: '2.1.0', result: 'succeeded', fromVersion: '2.0.0' });
  });

  it('without auto-update the check only reports; turning it on updates', async () => {
    await publish(release('3.0.0'));
    await h.registerCell('manual', { ring: 'dedicated', cluster: { kind: 'simulated', initialVersion: '3.0.0' }, checkIntervalSeconds: 3600, ...openNow() });
    await publish(release('3.1.0'));
    await h.http('POST', '/v1/cells/manual/check', undefined, 'operator');
    const checked = await waitForCell('manual', (c) => c.lastCheck?.newest === '3.1.0', 'check saw 3.1.0');
    expect(checked).toMatchObject({ version: '3.0.0', desiredVersion: null, autoUpdate: false });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await h.simulated.read('manual')).version).toBe('3.0.0');

    const patched = await h.http('PATCH', '/v1/cells/manual', { autoUpdate: true }, 'operator');
    expect(patched.status).toBe(200);
    expect(patched.body.autoUpdate).toBe(true);
    expect((await waitForCell('manual', (c) => c.version === '3.1.0', 'on 3.1.0')).desiredVersion).toBe('3.1.0');
  });

  it('executes a stepping-stone plan as consecutive updates, showing the plan before and during', async () => {
    await publish(release('4.0.0'));
    await publish(release('4.1.0'));
    await publish(release('4.2.0', { requiredStepStones: ['4.1.0'] }));
    await h.registerCell('stepper', { ring: 'saas', cluster: { kind: 'simulated', initialVersion: '4.0.0' }, ...openNow() });

    const before = await h.http('GET', '/v1/cells/stepper/plan?to=4.2.0', undefined, 'viewer');
    expect(before.body).toEqual({ from: '4.0.0', to: '4.2.0', plan: ['4.1.0', '4.2.0'], schedule: { startsAt: expect.any(String), waits: expect.any(Array) } });
    const skip = await h.requestUpdate('stepper', { version: '4.2.0', window: 'now' });
    expect(skip.status).toBe(422);
    expect(skip.body.missing).toBe('4.1.0');

    const set = await h.http('PUT', '/v1/cells/stepper/desired-version', { version: '4.2.0' }, 'operator');
    expect(set.status).toBe(202);
    expect(set.body).toEqual({ desiredVersion: '4.2.0', plan: ['4.1.0', '4.2.0'] });
    const during = await waitForCell('stepper', (c) => c.currentUpdate, 'an update running');
    expect(during.plan).toEqual(['4.1.0', '4.2.0']);
    expect(during.currentUpdate.toVersion).toBe('4.1.0');

    const done = await waitForCell('stepper', (c) => c.version === '4.2.0' && c.state === 'ready', 'on 4.2.0');
    expect(done.history.slice(1).map((e: any) => [e.fromVersion, e.version, e.result])).toEqual([
      ['4.0.0', '4.1.0', 'succeeded'],
      ['4.1.0', '4.2.0', 'succeeded'],
    ]);
    expect(done.plan).toBeUndefined();
  });

  it('refuses a path that cannot be satisfied, naming the missing step', async () => {
    await publish(release('5.0.0'));
    await publish(release('5.2.0', { requiredStepStones: ['5.1.0'] }));
    await h.registerCell('stuck', { ring: 'saas', cluster: { kind: 'simulated', initialVersion: '5.0.0' } });
    const set = await h.http('PUT', '/v1/cells/stuck/desired-version', { version: '5.2.0' }, 'operator');
    expect(set.status).toBe(422);
    expect(set.body).toMatchObject({ title: 'IncompatibleVersion', missing: '5.1.0' });
    expect(set.body.detail).toContain('5.1.0');
    expect((await h.http('GET', '/v1/cells/stuck/plan?to=5.2.0')).body.missing).toBe('5.1.0');
    expect((await h.http('GET', '/v1/cells/stuck')).body.desiredVersion).toBeNull();
  });

  it('detects drift and lets an operator accept it or put the recorded version back', async () => {
    await publish(release('6.0.0'));
    await publish(release('6.1.0'));
    for (const id of ['drift-accept', 'drift-fix']) {
      await h.registerCell(id, { ring: 'saas', cluster: { kind: 'simulated', initialVersion: '6.0.0' } });
      // Someone changes the cluster by hand.
      await h.simulated.store.update(id, (cell) => ({
        value: { ...cell!, version: '6.1.0', components: release('6.1.0').components },
        result: undefined,
      }));
      await h.http('POST', `/v1/cells/${id}/check`, undefined, 'operator');
      const drifted = await waitForCell(id, (c) => c.state === 'drifted', 'drifted');
      expect(drifted.drift).toMatchObject({ recorded: '6.0.0', actual: '6.1.0' });
      expect(drifted.version).toBe('6.0.0');
    }
    const listed = await h.waitFor('drifted cells listed', async () => {
      const res = await h.http('GET', '/v1/cells?status=drifted');
      return res.body.cells.length >= 2 ? res.body.cells : undefined;
    });
    expect(listed.map((c: any) => c.id)).toEqual(expect.arrayContaining(['drift-accept', 'drift-fix']));
    const blocked = await h.requestUpdate('drift-fix', { version: '6.1.0' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.detail).toContain('has drifted');

    const accepted = await h.http('POST', '/v1/cells/drift-accept/drift/accept', undefined, 'operator');
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ state: 'ready', version: '6.1.0' });
    expect(accepted.body.history.at(-1)).toMatchObject({ result: 'drift-accepted', version: '6.1.0', fromVersion: '6.0.0' });

    expect((await h.http('POST', '/v1/cells/drift-fix/drift/reconcile', undefined, 'operator')).status).toBe(200);
    await waitForCell('drift-fix', (c) => c.state === 'ready' && c.version === '6.0.0', 'back on 6.0.0');
    expect((await h.simulated.read('drift-fix')).version).toBe('6.0.0');
    expect((await h.http('POST', '/v1/cells/drift-fix/drift/accept', undefined, 'operator')).status).toBe(409);
  });

  it('an air-gapped cell never sees a registry-only release', async () => {
    await publish(release('7.0.0'));
    await h.http('POST', '/v1/cells', { id: 'island', ring: 'saas', airGapped: true, autoUpdate: true, cluster: { kind: 'simulated' }, ...openNow() });
    const cell = await waitForCell('island', (c) => c.lastCheck, 'first check');
    expect(cell).toMatchObject({ version: null, desiredVersion: null, airGapped: true });
    expect(cell.lastCheck.newest).toBeUndefined();
    const refused = await h.requestUpdate('island', { version: '7.0.0', window: 'now' });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain('air-gapped');
    expect((await h.http('PUT', '/v1/cells/island/desired-version', { version: '7.0.0' }, 'operator')).status).toBe(422);
    expect((await h.http('POST', '/v1/cells', { id: 'island-2', ring: 'saas', airGapped: true, cluster: { kind: 'simulated', initialVersion: '7.0.0' }, ...openNow() })).status).toBe(400);

    // An uploaded bundle is what it sees, and installs, pulling the images from the bundle store.
    const upload = await fetch(`${h.baseUrl}/v1/bundles`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/gzip' },
      body: new Uint8Array(await buildBundle(release('7.1.0'))),
    });
    expect(upload.status).toBe(201);
    await h.http('POST', '/v1/cells/island/check', undefined, 'operator');
    const installed = await waitForCell('island', (c) => c.version === '7.1.0' && c.state === 'ready', 'installed from the bundle');
    expect(installed.history.at(-1)).toMatchObject({ version: '7.1.0', result: 'succeeded' });
    const sim = await h.simulated.read('island');
    for (const images of Object.values(sim.nodes)) {
      expect(images).toEqual(expect.arrayContaining([expect.stringMatching(/^file:.*bundles\/7\.1\.0\/images\/server\.tar$/)]));
    }
  });
});

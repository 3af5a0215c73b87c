// A bad release stopped everywhere: never offered by update checks again, refused for updates,
// desired versions, rollouts, plans and bundles, with the cells already on it listed; its rollout
// stopped mid-way, updates waiting for it cancelled, and the cells on it taken back in one call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../src/adapters/bundles/build';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { vetoWorkflowId } from '../src/workflows/ids';
import type { VetoSweep } from '../src/workflows/messages';
import { AppVersionKey } from '../src/workflows/search-attributes';
import { Harness, everyDay, utcClock } from './helpers/harness';

const openNow = () => ({ maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 });
/** A window opening in two hours, in Sydney: closed for the whole test. */
const opensLater = () => ({
  maintenanceWindow: everyDay(new Intl.DateTimeFormat('en-GB', { timeZone: 'Australia/Sydney', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(Date.now() + 2 * 3_600_000), 60, 'Australia/Sydney'),
  expectedUpdateMinutes: 5,
});

describe('vetoing a release', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '5.0.0' }, { rings: ['staging', 'saas', 'dedicated'] });
  });
  afterAll(() => h?.stop());

  it('records who and why, lists the cells on it, and refuses it everywhere from then on', async () => {
    await h.registerCell('veto-1', openNow());
    await h.registerCell('veto-2', openNow());
    const accepted = await h.requestUpdate('veto-1', { version: '5.0.0', window: 'now' });
    expect((await h.waitForUpdate(accepted.body.id)).status).toBe('succeeded');
    await h.waitFor('veto-1 listed on 5.0.0', async () => ((await h.http('GET', '/v1/cells?version=5.0.0')).body.cells.length === 1 ? true : undefined));

    expect((await h.http('POST', '/v1/releases/5.0.0/veto', { reason: 'corrupts workspaces' }, 'operator')).status).toBe(403);
    expect((await h.http('POST', '/v1/releases/5.0.0/veto', {})).body.errors).toEqual([{ field: 'body.reason', reason: expect.any(String) }]);
    expect((await h.http('POST', '/v1/releases/9.9.9/veto', { reason: 'x' })).status).toBe(404);
    const vetoed = await h.http('POST', '/v1/releases/5.0.0/veto', { reason: 'corrupts workspaces' });
    expect(vetoed.status).toBe(200);
    expect(vetoed.body).toMatchObject({ version: '5.0.0', veto: { by: 'alice-admin', reason: 'corrupts workspaces' }, cellsOnIt: ['veto-1'] });
    // The first veto stands.
    expect((await h.http('POST', '/v1/releases/5.0.0/veto', { reason: 'again' })).body.veto.reason).toBe('corrupts workspaces');
    expect((await h.http('GET', '/v1/releases/5.0.0', undefined, 'viewer')).body).toMatchObject({ veto: { reason: 'corrupts workspaces' }, cellsOnIt: ['veto-1'] });

    const refusals = [
      await h.requestUpdate('veto-2', { version: '5.0.0', window: 'now' }),
      await h.http('PUT', '/v1/cells/veto-2/desired-version', { version: '5.0.0' }, 'operator'),
      await h.http('POST', '/v1/rollouts', { version: '5.0.0', waves: { maxConcurrent: 1 } }, 'operator'),
      await h.http('POST', '/v1/rollouts/plan', { version: '5.0.0', waves: { maxConcurrent: 1 } }, 'viewer'),
    ];
    for (const refused of refusals) {
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ title: 'ReleaseVetoed', detail: expect.stringContaining('release 5.0.0 was vetoed by alice-admin') });
    }
    const bundle = await fetch(`${h.baseUrl}/v1/bundles`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/gzip' },
      body: new Uint8Array(await buildBundle({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '5.0.0' })),
    });
    expect(bundle.status).toBe(422);
    expect(((await bundle.json()) as { detail: string }).detail).toContain('corrupts workspaces');

    // An update check never offers it: the newest release veto-2 sees is the one before.
    expect((await h.http('POST', '/v1/cells/veto-2/check', undefined, 'operator')).status).toBe(202);
    const checked = await h.waitFor('veto-2 checked', async () => {
      const cell = (await h.http('GET', '/v1/cells/veto-2')).body;
      return cell.lastCheck ? cell : undefined;
    });
    expect(checked.lastCheck.newest).not.toBe('5.0.0');
    expect((await h.simulated.read('veto-2')).version).toBe('1.1.0');
  });

  async function rollout(id: string, statuses: string[]) {
    return h.waitFor(`rollout ${id} ${statuses.join('/')}`, async () => {
      const res = await h.http('GET', `/v1/rollouts/${id}`, undefined, 'viewer');
      return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
    }, 120_000);
  }

  it('mid-rollout: no cell starts, cells in flight finish, updates waiting for a window are cancelled; one call rolls the cells on it back', { timeout: 240_000 }, async () => {
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '5.1.0' }, { rings: ['staging', 'saas', 'dedicated'] });
    for (const id of ['vm-open-1', 'vm-open-2']) {
      await h.registerCell(id, { ...openNow(), ring: 'dedicated' });
      await h.http('PUT', `/v1/sim/cells/${id}/faults`, { apply: { mode: 'none', latencyMs: 6_000 } });
    }
    for (const id of ['vm-late-1', 'vm-late-2']) await h.registerCell(id, { ...opensLater(), ring: 'dedicated' });
    // Outside the rollout's ring: an operator's update to the release, waiting for its window.
    await h.registerCell('vm-waiting', opensLater());
    const waiting = await h.requestUpdate('vm-waiting', { version: '5.1.0' });
    expect(waiting.status).toBe(202);
    await h.waitFor('vm-waiting scheduled in its window', async () => {
      const update = (await h.http('GET', `/v1/updates/${waiting.body.id}`)).body;
      return update.status === 'scheduled' && update.window ? update : undefined;
    });

    expect((await h.http('POST', '/v1/rollouts', { version: '5.1.0', rings: ['dedicated'], waves: { maxConcurrent: 4 } }, 'operator')).status).toBe(202);
    await h.waitFor('the open cells in flight', async () => {
      const cells = (await h.http('GET', '/v1/rollouts/5.1.0')).body.rings?.[0]?.cells ?? [];
      return cells.filter((c: { state: string }) => c.state === 'running').length === 2 ? cells : undefined;
    });
    expect((await h.http('POST', '/v1/releases/5.1.0/veto', { reason: 'loses workspaces on resize' })).status).toBe(200);

    const vetoed = await rollout('5.1.0', ['vetoed', 'succeeded', 'halted', 'aborted']);
    expect(vetoed.status).toBe('vetoed');
    expect(vetoed.veto).toMatchObject({ by: 'alice-admin', reason: 'loses workspaces on resize' });
    const states = Object.fromEntries(vetoed.rings[0].cells.map((c: { id: string; state: string }) => [c.id, c.state]));
    expect(states).toEqual({ 'vm-open-1': 'succeeded', 'vm-open-2': 'succeeded', 'vm-late-1': 'held', 'vm-late-2': 'held' });
    expect(vetoed.rings[0].cells.find((c: { id: string }) => c.id === 'vm-late-1').error).toContain('vetoed by alice-admin');
    for (const id of ['vm-late-1', 'vm-late-2', 'vm-waiting']) expect((await h.simulated.read(id)).version).toBe('1.1.0');
    expect((await h.waitForUpdate(waiting.body.id)).status).toBe('cancelled');

    // The sweep is a workflow of its own, found in the Web UI by the release's version.
    const sweep = h.client.workflow.getHandle(vetoWorkflowId('5.1.0'));
    const result = (await sweep.result()) as VetoSweep;
    expect(result).toMatchObject({ rolloutHalted: true, cancelledUpdates: [waiting.body.id] });
    expect((await sweep.describe()).typedSearchAttributes.get(AppVersionKey)).toBe('5.1.0');

    const onIt = await h.waitFor('the finished cells listed on 5.1.0', async () => {
      const release = (await h.http('GET', '/v1/releases/5.1.0', undefined, 'viewer')).body;
      return release.cellsOnIt.length === 2 ? release.cellsOnIt : undefined;
    });
    expect(onIt.sort()).toEqual(['vm-open-1', 'vm-open-2']);

    // One call takes them back, each to the version it ran before.
    expect((await h.http('POST', '/v1/releases/5.1.0/rollback', { waves: { maxConcurrent: 2 }, bogus: 1 }, 'operator')).status).toBe(400);
    const back = await h.http('POST', '/v1/releases/5.1.0/rollback', null, 'operator');
    expect(back.status, JSON.stringify(back.body)).toBe(202);
    expect(back.body.id).toBe('rollback-5.1.0');
    const rolledBack = await rollout('rollback-5.1.0', ['succeeded', 'halted', 'aborted']);
    expect(rolledBack).toMatchObject({ status: 'succeeded', rollback: true, counts: { succeeded: 2, failed: 0 } });
    expect(rolledBack.rings.flatMap((r: { cells?: { id: string }[] }) => (r.cells ?? []).map((c) => c.id)).sort()).toEqual(['vm-open-1', 'vm-open-2']);
    for (const id of ['vm-open-1', 'vm-open-2']) expect((await h.simulated.read(id)).version).toBe('1.1.0');
    await h.waitFor('no cell on 5.1.0', async () => ((await h.http('GET', '/v1/releases/5.1.0')).body.cellsOnIt.length === 0 ? true : undefined));
  });

  it('an update the sweep could not see yet refuses itself when its window opens, before its first step', { timeout: 120_000 }, async () => {
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '5.3.0' }, { rings: ['staging', 'saas', 'dedicated'] });
    await h.registerCell('vm-unseen', { maintenanceWindow: everyDay(utcClock(15_000), 60), expectedUpdateMinutes: 5 });
    const asked = await h.requestUpdate('vm-unseen', { version: '5.3.0' });
    expect(asked.status).toBe(202);
    await h.waitFor('vm-unseen waiting for its window', async () => ((await h.http('GET', `/v1/updates/${asked.body.id}`)).body.status === 'scheduled' ? true : undefined));
    // Asked a moment before the veto: the read model the sweep looks in does not have it yet.
    await h.db.deleteFrom('updates').where('id', '=', asked.body.id).execute();
    expect((await h.http('POST', '/v1/releases/5.3.0/veto', { reason: 'drops sessions' })).status).toBe(200);
    const sweep = (await h.client.workflow.getHandle(vetoWorkflowId('5.3.0')).result()) as VetoSweep;
    expect(sweep.cancelledUpdates).toEqual([]);

    const ended = await h.waitForUpdate(asked.body.id);
    expect(ended.status).toBe('failed');
    expect(ended.error).toContain('release 5.3.0 was vetoed by alice-admin');
    expect(ended.error).toContain('drops sessions');
    expect(ended.steps.find((s: { name: string }) => s.name === 'preflight').status).not.toBe('succeeded');
    const cell = await h.waitForCellIdle('vm-unseen');
    expect(cell).toMatchObject({ version: '1.1.0', maintenance: { enabled: false } });
    expect(await h.simulated.read('vm-unseen')).toMatchObject({ version: '1.1.0', maintenance: false });
  });

  it('autoVeto: a rollout over its failure budget vetoes its release', { timeout: 180_000 }, async () => {
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '5.2.0' }, { rings: ['staging', 'saas', 'dedicated'] });
    for (const id of ['av-1', 'av-2', 'av-3']) await h.registerCell(id, { ...openNow(), ring: 'staging' });
    await h.http('PUT', '/v1/sim/cells/av-1/faults', { verify: { mode: 'fail' } });
    const body = { version: '5.2.0', rings: ['staging'], waves: { maxConcurrent: 1, maxFailures: 0 }, autoVeto: true };
    expect((await h.http('POST', '/v1/rollouts', body, 'operator')).status).toBe(202);

    const vetoed = await rollout('5.2.0', ['vetoed', 'succeeded', 'halted', 'aborted']);
    expect(vetoed.status).toBe('vetoed');
    expect(vetoed.counts).toMatchObject({ failed: 1, held: 2, succeeded: 0 });
    const release = (await h.http('GET', '/v1/releases/5.2.0', undefined, 'viewer')).body;
    expect(release.veto).toMatchObject({ by: 'oscar-operator', reason: expect.stringContaining('autoVeto: rollout 5.2.0 halted: 1 cells failed') });
    expect((await h.requestUpdate('av-2', { version: '5.2.0', window: 'now' })).status).toBe(422);
    for (const id of ['av-2', 'av-3']) expect((await h.simulated.read(id)).version).toBe('1.1.0');
  });
});

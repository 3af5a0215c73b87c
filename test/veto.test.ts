// A bad release stopped everywhere: never offered by update checks again, refused for updates,
// desired versions, rollouts, plans and bundles, with the cells already on it listed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../src/adapters/bundles/build';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { Harness, everyDay, utcClock } from './helpers/harness';

const openNow = () => ({ maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 });

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
});

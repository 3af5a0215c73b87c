import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { Harness, everyDay, utcClock } from './helpers/harness';

describe('feature flags, apart from deploys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    const base = DEMO_RELEASES.find((r) => r.version === '1.2.0')!;
    await h.catalog.publish({ ...base, version: '1.3.0', flags: ['new-editor', 'fast-snapshots'] }, { rings: ['staging', 'saas', 'dedicated'] });
  });
  afterAll(() => h?.stop());

  const cellFlags = async (id: string) => (await h.http('GET', `/v1/cells/${id}`)).body.flags;
  /** The cell's view of a flag once it shows `enabled` (the read model follows the controller by a write). */
  const cellFlag = (id: string, flag: string, enabled: boolean) =>
    h.waitFor(`${id} shows ${flag} ${enabled}`, async () => {
      const value = (await cellFlags(id))?.[flag];
      return value?.enabled === enabled ? value : undefined;
    });

  it('a flag enabled for one ring reaches exactly its cells, without a redeploy, and says where it came from', async () => {
    const cells = { 'ff-stage-1': 'staging', 'ff-stage-2': 'staging', 'ff-saas-1': 'saas', 'ff-ded-1': 'dedicated' };
    for (const [id, ring] of Object.entries(cells)) {
      await h.registerCell(id, { ring, cluster: { kind: 'simulated', initialVersion: '1.3.0' } });
    }
    for (const id of Object.keys(cells)) {
      await h.waitFor(`${id} flags pushed`, async () => ((await cellFlags(id))?.['new-editor'] ? true : undefined));
    }
    const applies = (await h.simulated.read('ff-stage-1')).log.filter((e) => e.op === 'apply').length;

    const res = await h.http('PUT', '/v1/flags/new-editor', { rings: ['staging'], enabled: true }, 'operator');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ flag: 'new-editor', notified: 2 });
    expect(res.body.rules).toEqual([expect.objectContaining({ scope: 'ring', target: 'staging', enabled: true, setBy: 'oscar-operator' })]);

    for (const id of ['ff-stage-1', 'ff-stage-2']) {
      await h.waitFor(`${id} has the flag`, async () => ((await h.simulated.read(id)).flags?.['new-editor'] === true ? true : undefined));
      expect(await cellFlag(id, 'new-editor', true)).toEqual({ enabled: true, source: 'ring:staging' });
    }
    for (const id of ['ff-saas-1', 'ff-ded-1']) {
      expect((await h.simulated.read(id)).flags).toEqual({ 'fast-snapshots': false, 'new-editor': false });
      expect((await cellFlags(id))['new-editor']).toEqual({ enabled: false, source: 'default' });
    }
    // No redeploy: the flag arrived without an apply.
    expect((await h.simulated.read('ff-stage-1')).log.filter((e) => e.op === 'apply').length).toBe(applies);

    // A rule for one cell wins over its ring's.
    await h.http('PUT', '/v1/flags/new-editor', { cells: ['ff-stage-2'], enabled: false }, 'operator');
    await h.waitFor('ff-stage-2 overridden', async () => ((await h.simulated.read('ff-stage-2')).flags?.['new-editor'] === false ? true : undefined));
    expect(await h.waitFor('ff-stage-2 shows the cell rule', async () => ((await cellFlags('ff-stage-2'))?.['new-editor']?.source === 'cell' ? (await cellFlags('ff-stage-2'))['new-editor'] : undefined))).toEqual({ enabled: false, source: 'cell' });
    expect((await h.simulated.read('ff-stage-1')).flags?.['new-editor']).toBe(true);
  });

  it('a cell not yet on a release with the flag gets it when it arrives there', async () => {
    await h.http('PUT', '/v1/flags/fast-snapshots', { rings: ['saas'], enabled: true }, 'operator');
    await h.registerCell('ff-late', { ring: 'saas', maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 });
    await h.waitFor('ff-late flags pushed', async () => ((await cellFlags('ff-late')) ? true : undefined));
    expect(await cellFlags('ff-late')).toEqual({});
    expect((await h.simulated.read('ff-late')).flags ?? {}).toEqual({});

    const accepted = await h.requestUpdate('ff-late', { version: '1.3.0', window: 'now' });
    expect(accepted.status).toBe(202);
    await h.waitFor('ff-late on 1.3.0 with the flag', async () => ((await h.simulated.read('ff-late')).flags?.['fast-snapshots'] === true ? true : undefined));
    expect(await cellFlag('ff-late', 'fast-snapshots', true)).toEqual({ enabled: true, source: 'ring:saas' });
  });

  it('validates rules', async () => {
    expect((await h.http('PUT', '/v1/flags/new-editor', { enabled: true }, 'operator')).status).toBe(400);
    const ghost = await h.http('PUT', '/v1/flags/new-editor', { cells: ['ghost-cell'], enabled: true }, 'operator');
    expect(ghost.status).toBe(400);
    expect(ghost.body.errors).toEqual([{ field: 'body.cells', reason: 'cell ghost-cell is not registered' }]);
    expect((await h.http('PUT', '/v1/flags/Bad Flag', { rings: ['saas'], enabled: true }, 'operator')).status).toBe(400);
    expect((await h.http('PUT', '/v1/flags/new-editor', { rings: ['saas'], enabled: true }, 'viewer')).status).toBe(403);
  });
});

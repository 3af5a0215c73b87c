// cellshift's stores on both databases it runs on: the embedded PGlite (`npm start`) and
// PostgreSQL (production, Debian's package here). The same queries, the same answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootstrapTokens } from '../../src/adapters/agents/bootstrap-tokens';
import { SqlReleaseCatalog } from '../../src/adapters/catalog/sql-catalog';
import { openDatabase, type Db } from '../../src/adapters/db/database';
import { startEmbeddedDatabase } from '../../src/adapters/db/embedded';
import { FlagStore } from '../../src/adapters/flags/flag-store';
import type { Release } from '../../src/domain/release';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { isConnectionLoss } from '../../src/adapters/db/patient-pool';
import { startPostgres, type Postgres } from '../../scripts/lib/postgres';

const release = (version: string, extra: Partial<Release> = {}): Release => ({ version, components: { server: `server:${version}` }, breaking: false, ...extra });

const servers = {
  'embedded (PGlite)': async () => {
    const server = await startEmbeddedDatabase();
    return { url: server.url, stop: () => server.stop() };
  },
  PostgreSQL: async () => {
    const server = await startPostgres();
    return { url: server.url, stop: async () => server.stop() };
  },
};

describe.each(Object.entries(servers))('the stores on %s', (_, start) => {
  let stop: () => Promise<void>;
  let url: string;
  let db: Db;
  beforeAll(async () => {
    ({ url, stop } = await start());
    db = await openDatabase(url);
  });
  afterAll(async () => {
    await db?.destroy();
    await stop?.();
  });

  it('migrates once, however many processes start at the same time', async () => {
    const others = await Promise.all([openDatabase(url), openDatabase(url), openDatabase(url)]);
    await Promise.all(others.map((o) => o.destroy()));
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['releases', 'flag_rules', 'bootstrap_tokens']));
  });

  it('keeps releases immutable, ordered by version, promoted ring by ring', async () => {
    const catalog = new SqlReleaseCatalog(db);
    expect(await catalog.publish(release('1.10.0'), { rings: ['staging'] })).toBe('created');
    expect(await catalog.publish(release('1.9.0', { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'ü', n: '1' } }] }))).toBe('created');
    expect(await catalog.publish(release('1.10.0'))).toBe('unchanged');
    await expect(catalog.publish(release('1.10.0', { breaking: true }))).rejects.toThrow(/different content/);
    expect((await catalog.list()).map((r) => r.version)).toEqual(['1.9.0', '1.10.0']);
    // The manifests are stored once, apart, by their digest; the release names them by it.
    const withContent = (await catalog.get('1.9.0'))!;
    expect(withContent).toMatchObject({ digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), contentDigest: withContent.content!.digest, content: { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' }] } });
    expect(JSON.parse((await catalog.content(withContent.content!.digest))!)[0]).toMatchObject({ data: { a: 'ü' } });
    expect(JSON.stringify(withContent)).not.toContain('ü');
    // Components keep the order they were published in: a live update applies them in it.
    await catalog.publish(release('2.0.0', { components: { server: 's', dashboard: 'd', 'ws-manager': 'w', proxy: 'p' } }));
    expect(Object.keys((await catalog.get('2.0.0'))!.components)).toEqual(['server', 'dashboard', 'ws-manager', 'proxy']);
    await expect(catalog.promote('1.10.0', 'dedicated')).rejects.toThrow(/saas/);
    // Promoted from two places at once: once.
    await Promise.all([catalog.promote('1.10.0', 'saas'), catalog.promote('1.10.0', 'saas')]);
    expect(await catalog.promote('1.10.0', 'dedicated')).toEqual(['staging', 'saas', 'dedicated']);
    expect(await catalog.get('nope')).toBeUndefined();
  });

  it('keeps flag rules per flag; concurrent changes of one flag all land', async () => {
    const flags = new FlagStore(db);
    await Promise.all(['staging', 'saas', 'dedicated'].map((ring, i) => flags.set('new-editor', [{ scope: 'ring', target: ring, enabled: i % 2 === 0, setBy: 'alice', at: '2026-12-02T00:00:00.000Z' }])));
    const all = await flags.all();
    expect(all['new-editor']).toHaveLength(3);
  });

  it('redeems a bootstrap token once, even when two agents present it at the same time', async () => {
    const tokens = new BootstrapTokens(db);
    const issued = await tokens.issue('cell-a', 'alice', 60);
    let registered = 0;
    const results = await Promise.all([1, 2].map(() => tokens.redeem('cell-a', issued.token, async () => ++registered)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, reason: 'used' });
    expect(registered).toBe(1);
    // A registration that fails gives the token back.
    const again = await tokens.issue('cell-b', 'alice', 60);
    await expect(tokens.redeem('cell-b', again.token, async () => Promise.reject(new Error('controller gone')))).rejects.toThrow('controller gone');
    expect((await tokens.redeem('cell-b', again.token, async () => 'ok')).ok).toBe(true);
  });
});

describe('reads while PostgreSQL restarts', () => {
  let pg: Postgres;
  let db: Db;
  beforeAll(async () => {
    pg = await startPostgres();
    db = await openDatabase(pg.url);
    await new SqlReleaseCatalog(db).publish(release('4.0.0'));
  });
  afterAll(async () => {
    await db?.destroy();
    pg?.stop();
  });

  it('waits for the server to come back instead of failing; a write in that moment fails as unavailable', async () => {
    const catalog = new SqlReleaseCatalog(db);
    expect((await catalog.list()).map((r) => r.version)).toEqual(['4.0.0']);
    pg.stop();
    const write = catalog.publish(release('4.0.1')).then(() => 'written', (err: unknown) => (isConnectionLoss(err) ? 'unavailable' : String(err)));
    const read = catalog.list();
    await sleep(1_500);
    pg.start();
    expect((await read).map((r) => r.version)).toContain('4.0.0');
    // The write began inside a transaction or waited for a connection: either it failed as the
    // connection's loss (the API answers 503, changing nothing) or it waited and landed.
    expect(['unavailable', 'written']).toContain(await write);
  });

  it('outlives a connection the server ends while the process holds it between statements', async () => {
    // A restart or failover ends every backend (57P01). pg-pool listens for a connection's errors
    // only while it is idle: one held between statements used to end the whole process.
    const after = await db.connection().execute(async (held) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(held);
      await sql`select pg_terminate_backend(${rows[0].pid})`.execute(db);
      await sleep(500); // the server's FATAL reaches the held connection, no statement running on it
      return sql`select 1`.execute(held).then(() => 'answered', (err: unknown) => (isConnectionLoss(err) ? 'lost' : String(err)));
    });
    expect(['lost', 'answered']).toContain(after);
    expect((await new SqlReleaseCatalog(db).list()).map((r) => r.version)).toContain('4.0.0');
  });
});

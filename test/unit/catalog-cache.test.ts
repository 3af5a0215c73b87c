import { mkdtempSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileReleaseCatalog } from '../../src/adapters/catalog/file-catalog';

const release = (version: string) => ({ version, components: { server: `server:${version}` }, breaking: false });

/** Moves the catalog directory's mtime a minute back, as if it had not changed for that long. */
function settle(dataDir: string): void {
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(dataDir, 'releases'), past, past);
}

describe('the release catalog read by many controllers', () => {
  it('sees what another process publishes and promotes, while it reads the files only after a change', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'catalog-cache-'));
    const api = new FileReleaseCatalog(dataDir);
    const worker = new FileReleaseCatalog(dataDir);
    expect(await worker.list()).toEqual([]);

    await api.publish(release('1.0.0'), { rings: ['staging'] });
    settle(dataDir);
    expect((await worker.list()).map((r) => [r.version, r.rings])).toEqual([['1.0.0', ['staging']]]);

    // A file changed behind the store's back (no write through it): the settled listing stands.
    const file = join(dataDir, 'releases', '1.0.0.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('server:1.0.0', 'server:edited'));
    expect((await worker.list())[0].components.server).toBe('server:1.0.0');

    // Every write through the store moves the directory: the next listing reads again.
    await api.publish(release('1.1.0'), { rings: ['staging'] });
    settle(dataDir);
    expect((await worker.list()).map((r) => r.version)).toEqual(['1.0.0', '1.1.0']);
    await api.promote('1.1.0', 'saas');
    expect((await worker.list()).find((r) => r.version === '1.1.0')?.rings).toEqual(['staging', 'saas']);
  });

  it('reads again on every listing while the directory changed in the last seconds', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'catalog-cache-'));
    const api = new FileReleaseCatalog(dataDir);
    const worker = new FileReleaseCatalog(dataDir);
    await api.publish(release('1.0.0'));
    expect((await worker.list())[0].components.server).toBe('server:1.0.0');
    const file = join(dataDir, 'releases', '1.0.0.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('server:1.0.0', 'server:edited'));
    expect((await worker.list())[0].components.server).toBe('server:edited');
  });
});

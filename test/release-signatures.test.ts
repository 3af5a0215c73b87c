// Releases signed by the vendor, verified in the cell. The vendor makes a key and signs with the
// CLI; the API checks signatures at publish and holds unsigned releases to the rings that take
// them. An agent pins the vendor's key at bootstrap and refuses, before maintenance mode, any
// release that does not verify: one altered in the catalog (a byte of its manifests), an unsigned
// one, one signed by another key — whatever a compromised control plane puts in its catalog.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitRelease } from '../src/crypto/release-digest';
import { generateReleaseKey, signRelease } from '../src/crypto/release-signature';
import type { Release } from '../src/domain/release';
import { Harness, TOKENS } from './helpers/harness';

const ROOT = join(import.meta.dirname, '..');
const digestOf = (c: string) => `sha256:${Buffer.from(c).toString('hex').padEnd(64, '0').slice(0, 64)}`;
const release = (version: string): Release => ({
  version,
  components: { server: `registry.example.com/gitpod/server:${version}@${digestOf(`server${version}`)}` },
  breaking: false,
  manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { version, greeting: 'hello' } }],
});

function cli(args: string[], cwd: string, api: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'cellshift.mjs'), ...args], { cwd, env: { ...process.env, CELLSHIFT_API: api, CELLSHIFT_TOKEN: TOKENS.admin } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('releases signed by the vendor, verified in the cell', () => {
  let h: Harness;
  let agent: ChildProcess;
  const dir = mkdtempSync(join(tmpdir(), 'cellshift-vendor-'));
  let vendorPub: string;

  beforeAll(async () => {
    // The vendor's key, made with the CLI, as a vendor would.
    const made = await cli(['-o', 'json', 'releases', 'keygen', 'vendor'], dir, 'http://127.0.0.1:1');
    expect(made.code, made.stderr).toBe(0);
    writeFileSync(join(dir, 'vendor.json'), made.stdout);
    vendorPub = readFileSync(join(dir, 'vendor.pub'), 'utf8');
    h = await Harness.start({ releasePolicy: { vendorKeys: [vendorPub], unsignedRings: ['staging'], digestPinnedRings: ['dedicated'] }, vendorKey: readFileSync(join(dir, 'vendor.key'), 'utf8') });
    // The cell pins the vendor's key at bootstrap (its --vendor-keys file).
    await h.http('POST', '/v1/cells', { id: 'signed-cell', ring: 'dedicated', connection: 'agent', maintenanceWindow: { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', durationMinutes: 1439, timezone: 'UTC' }, cluster: { kind: 'simulated', initialVersion: '1.1.0' } });
    agent = await h.spawnAgent('signed-cell', [], undefined, { CELLSHIFT_VENDOR_KEYS_FILE: join(dir, 'vendor.pub') });
    await h.waitFor('the agent cell ready', async () => ((await h.http('GET', '/v1/cells/signed-cell')).body.state === 'ready' ? true : undefined), 60_000);
  });
  afterAll(async () => {
    if (agent) await h.kill(agent);
    await h?.stop();
  });

  const promote = (version: string, rings = ['staging', 'saas', 'dedicated']) => Promise.all(rings.map((ring) => h.http('POST', `/v1/releases/${version}/promote`, { ring }))).then(() => undefined);
  const updateTo = async (version: string) => {
    const accepted = await h.requestUpdate('signed-cell', { version, window: 'now' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const done = await h.waitForUpdate(accepted.body.id);
    await h.waitForCellIdle('signed-cell');
    return done;
  };

  it('publishes what the vendor signed with the CLI, and refuses a bad signature; unsigned releases only where the install takes them', async () => {
    writeFileSync(join(dir, '7.0.0.json'), JSON.stringify(release('7.0.0')));
    const published = await cli(['releases', 'publish', '7.0.0.json', '--key', 'vendor.key'], dir, h.baseUrl);
    expect(published.code, published.stderr).toBe(0);
    const stored = (await h.http('GET', '/v1/releases/7.0.0')).body;
    expect(stored.signature).toMatchObject({ algorithm: 'ed25519', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    for (const ring of ['staging', 'saas', 'dedicated']) expect((await h.http('POST', '/v1/releases/7.0.0/promote', { ring })).status).toBe(200);

    // Signed by someone else, or over another release: refused at publish, naming the field.
    const other = generateReleaseKey();
    const forged = await h.http('POST', '/v1/releases', { ...release('7.0.1'), signature: signRelease(splitRelease(release('7.0.1')).digest, other.privateKeyPem) });
    expect(forged.status).toBe(400);
    expect(forged.body.errors[0]).toMatchObject({ field: 'body.signature', reason: expect.stringContaining('not a vendor key trusted here') });
    const moved = await h.http('POST', '/v1/releases', { ...release('7.0.1'), signature: stored.signature });
    expect(moved.body.errors[0]).toMatchObject({ field: 'body.signature', reason: expect.stringContaining('does not verify') });
    expect((await h.http('GET', '/v1/releases/7.0.1')).status).toBe(404);

    // Unsigned: published, taken by staging, refused by the rings that take signed releases only.
    expect((await h.http('POST', '/v1/releases', release('7.0.2'))).status).toBe(201);
    expect((await h.http('POST', '/v1/releases/7.0.2/promote', { ring: 'staging' })).status).toBe(200);
    const unsigned = await h.http('POST', '/v1/releases/7.0.2/promote', { ring: 'saas' });
    expect(unsigned.status).toBe(409);
    expect(unsigned.body.detail).toContain('is not signed');

    // Dedicated takes images pinned by digest only, naming the component that is not.
    const tagged = { ...release('7.0.3'), components: { server: 'registry.example.com/gitpod/server:7.0.3', proxy: `registry.example.com/gitpod/proxy:7.0.3@${digestOf('p')}` } };
    expect((await h.http('POST', '/v1/releases', { ...tagged, signature: signRelease(splitRelease(tagged).digest, readFileSync(join(dir, 'vendor.key'), 'utf8')) })).status).toBe(201);
    await promote('7.0.3', ['staging', 'saas']);
    const refused = await h.http('POST', '/v1/releases/7.0.3/promote', { ring: 'dedicated' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('server (registry.example.com/gitpod/server:7.0.3)');
    expect(refused.body.detail).not.toContain('proxy');

    // The cell takes the signed release.
    expect((await updateTo('7.0.0')).status).toBe('succeeded');
    expect((await h.simulated.read('signed-cell')).version).toBe('7.0.0');
  });

  it('the cell refuses, before maintenance mode, what the vendor did not sign as it is: altered, unsigned, signed by another key', async () => {
    const before = await h.simulated.read('signed-cell');
    const maintenanceOns = () => h.simulated.read('signed-cell').then((c) => c.log.filter((e) => e.op === 'maintenance-on').length);
    const onsBefore = await maintenanceOns();
    const other = generateReleaseKey();
    // What a compromised control plane could put in its own catalog, past the API's checks.
    await h.catalog.publish(release('8.0.0'), { signature: signRelease(splitRelease(release('8.0.0')).digest, readFileSync(join(dir, 'vendor.key'), 'utf8')) });
    const manifests = (await h.db.selectFrom('release_contents').select(['digest', 'content']).execute()).find((c) => c.content.includes('"8.0.0"'))!;
    await h.db.updateTable('release_contents').set({ content: manifests.content.replace('hello', 'hellp') }).where('digest', '=', manifests.digest).execute(); // one byte
    await h.catalog.publish(release('8.0.1'));
    await h.catalog.publish(release('8.0.2'), { signature: signRelease(splitRelease(release('8.0.2')).digest, other.privateKeyPem) });
    for (const version of ['8.0.0', '8.0.1', '8.0.2']) for (const ring of ['staging', 'saas', 'dedicated'] as const) await h.catalog.promote(version, ring);

    const cases: [string, string][] = [
      ['8.0.0', 'do not hash to'],
      ['8.0.1', 'is refused in this cell: it is not signed'],
      ['8.0.2', `which is not a vendor key trusted here`],
    ];
    for (const [version, why] of cases) {
      const done = await updateTo(version);
      expect(done, version).toMatchObject({ status: 'failed', failedStep: 'preflight', error: expect.stringContaining(why) });
    }
    const after = await h.simulated.read('signed-cell');
    expect({ version: after.version, components: after.components, maintenance: after.maintenance }).toEqual({ version: before.version, components: before.components, maintenance: false });
    expect(await maintenanceOns()).toBe(onsBefore);
  });

  it('takes a bundle the vendor signed, and refuses one re-signed by another key', async () => {
    const bundled = { version: '7.5.0', components: { server: `registry.example.com/gitpod/server:7.5.0@${digestOf('server7.5.0')}` }, breaking: false };
    writeFileSync(join(dir, '7.5.0.json'), JSON.stringify(bundled));
    expect((await cli(['bundles', 'build', '7.5.0.json', '--key', 'vendor.key', '--out', 'signed.tar.gz'], dir, h.baseUrl)).code).toBe(0);
    const uploaded = await cli(['bundles', 'upload', 'signed.tar.gz'], dir, h.baseUrl);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    expect((await h.http('GET', '/v1/releases/7.5.0')).body).toMatchObject({ source: 'bundle', signature: { keyId: JSON.parse(readFileSync(join(dir, 'vendor.json'), 'utf8')).keyId } });

    // The same release, re-signed by someone else: refused, nothing published.
    const other = generateReleaseKey();
    writeFileSync(join(dir, 'other.key'), other.privateKeyPem);
    writeFileSync(join(dir, '7.5.1.json'), JSON.stringify({ ...bundled, version: '7.5.1' }));
    expect((await cli(['bundles', 'build', '7.5.1.json', '--key', 'other.key', '--out', 'resigned.tar.gz'], dir, h.baseUrl)).code).toBe(0);
    const refused = await cli(['bundles', 'upload', 'resigned.tar.gz'], dir, h.baseUrl);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('not a vendor key trusted here');
    expect((await h.http('GET', '/v1/releases/7.5.1')).status).toBe(404);
  });
});

// Webhook secrets at rest: encrypted in the database with a key kept outside it (AES-256-GCM, the
// key's id with each row), 0.1.0's clear rows encrypted by the next API start, and a key rotation
// (a new current key, rows encrypted again, the old key then removed) that keeps every subscription
// delivering with a signature its receiver verifies.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebhookStore } from '../src/adapters/db/webhooks';
import { apiStores } from '../src/api/stores';
import { Harness } from './helpers/harness';

const SECRETS: Record<string, string> = { '/a': 'secret-of-receiver-a-7f3k2m9q', '/legacy': 'secret-of-a-0.1.0-subscriber-x4w8' };

describe('webhook secrets at rest', () => {
  let h: Harness;
  let receiver: Server;
  let base: string;
  let worker: ChildProcess | undefined;
  const received: { path: string; id: string; signed: boolean }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        const expected = `sha256=${createHmac('sha256', SECRETS[path]).update(`${req.headers['x-cellshift-timestamp']}.${body}`).digest('hex')}`;
        received.push({ path, id: JSON.parse(body).id, signed: req.headers['x-cellshift-signature'] === expected });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    h = await Harness.start();
  });
  afterAll(async () => {
    if (worker) await h.kill(worker);
    await h?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** An event for every subscription, queued as a workflow's write queues one. */
  const tell = (name: string) => WebhookStore.enqueue(h.db, [{ id: `update.started/${name}`, type: 'update.started', at: new Date().toISOString(), text: name, data: {} }]);
  const heard = (path: string, name: string) =>
    h.waitFor(`${name} at ${path}`, async () => received.find((r) => r.path === path && r.id === `update.started/${name}`), 90_000);
  const rows = () => h.db.selectFrom('webhooks').selectAll().execute();
  const localKey = () => readFileSync(join(h.dataDir, 'secrets-key'), 'utf8').trim();
  let a: string;
  let legacy: string;

  it('a subscription\'s secret is in the database encrypted under the current key, and its deliveries verify', async () => {
    const created = await h.http('POST', '/v1/webhooks', { url: `${base}/a`, events: ['update.started'], secret: SECRETS['/a'] });
    expect(created.status).toBe(201);
    a = created.body.id;
    const [row] = await rows();
    // The embedded default's key: generated into the data directory, readable by its owner only.
    expect(statSync(join(h.dataDir, 'secrets-key')).mode & 0o777).toBe(0o600);
    expect(row).toMatchObject({ id: a, secret_key_id: localKey().split(':')[0] });
    const table = JSON.stringify(await rows());
    for (const form of [SECRETS['/a'], Buffer.from(SECRETS['/a']).toString('base64'), Buffer.from(SECRETS['/a']).toString('hex')]) expect(table).not.toContain(form);

    await tell('first');
    expect((await heard('/a', 'first')).signed).toBe(true);
  });

  it('a secret 0.1.0 kept in clear is encrypted by the next API start, and still signs', async () => {
    legacy = randomUUID();
    await h.db.insertInto('webhooks').values({ id: legacy, url: `${base}/legacy`, events: JSON.stringify(['update.started']), secret: SECRETS['/legacy'], secret_key_id: null, created_by: 'alice-admin', created_at: new Date().toISOString() }).execute();
    await apiStores(h.db, h.dataDir); // what every API replica runs as it starts
    const row = (await rows()).find((r) => r.id === legacy)!;
    expect(row.secret_key_id).toBe(localKey().split(':')[0]);
    expect(JSON.stringify(row)).not.toContain(SECRETS['/legacy']);
    await tell('after-upgrade');
    expect((await heard('/legacy', 'after-upgrade')).signed).toBe(true);
  });

  it('a rotation: the new key current, rows encrypted again, the old key removed; every subscription still verifies', { timeout: 240_000 }, async () => {
    const k2 = `k2:${randomBytes(32).toString('base64')}`;
    // 1. Every replica and worker given the new key first and the old one after it; an API start encrypts again.
    await apiStores(h.db, h.dataDir, { CELLSHIFT_SECRETS_KEY: `${k2},${localKey()}` });
    expect((await rows()).map((r) => [r.id, r.secret_key_id]).sort()).toEqual([[a, 'k2'], [legacy, 'k2']].sort());
    // 2. The old key removed: a worker (its own process, as an operator starts one) with the new key only.
    await h.stopWorker();
    const bundle = { CELLSHIFT_WORKFLOW_BUNDLE: inject('workflowBundlePath') };
    worker = h.spawnWorkerProcess({ ...bundle, CELLSHIFT_SECRETS_KEY: k2 });
    await tell('after-rotation');
    expect((await heard('/a', 'after-rotation')).signed).toBe(true);
    expect((await heard('/legacy', 'after-rotation')).signed).toBe(true);

    // A worker not given the key: the delivery fails naming the key, and waits for one that has it.
    await h.kill(worker);
    worker = h.spawnWorkerProcess({ ...bundle, CELLSHIFT_SECRETS_KEY: `k3:${randomBytes(32).toString('base64')}` });
    await tell('keyless');
    const failed = await h.waitFor('the delivery failing for its key', async () => {
      const deliveries = (await h.http('GET', `/v1/webhooks/${a}/deliveries`)).body.deliveries as { type: string; lastError: string | null; deliveredAt: string | null }[];
      return deliveries.find((d) => d.lastError && !d.deliveredAt);
    }, 90_000);
    expect(failed.lastError).toContain('encrypted under key k2, which this process was not given (it has k3');
    expect(received.some((r) => r.id === 'update.started/keyless')).toBe(false);
  });
});

// Webhook deliveries to a local receiver: signed (HMAC-SHA256 over timestamp and body), with a
// Slack-compatible text, retried until the receiver answers 2xx; a dead endpoint delays no update.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { sendEvent } from '../src/adapters/notify/webhook-sender';
import type { FleetEvent } from '../src/domain/events';
import { Harness } from './helpers/harness';

interface Received {
  path: string;
  event: { id: string; type: string; text: string; cellId?: string; data: Record<string, unknown> };
  signed: boolean;
}

const SECRET = 'a-subscriber-chosen-secret';

describe('webhooks', () => {
  let h: Harness;
  let receiver: Server;
  let base: string;
  const received: Received[] = [];
  const calls: Record<string, number> = {};

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        calls[path] = (calls[path] ?? 0) + 1;
        const expected = `sha256=${createHmac('sha256', SECRET).update(`${req.headers['x-cellshift-timestamp']}.${body}`).digest('hex')}`;
        // /flaky fails its first two calls; /dead always; /redirect sends elsewhere.
        if (path === '/dead' || (path === '/flaky' && calls[path] <= 2)) {
          res.writeHead(500).end();
          return;
        }
        if (path === '/redirect') {
          res.writeHead(302, { location: `${base}/redirected` }).end();
          return;
        }
        if (path === '/redirected') {
          res.writeHead(204).end();
          return;
        }
        received.push({ path, event: JSON.parse(body), signed: req.headers['x-cellshift-signature'] === expected });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    h = await Harness.start();
    for (const id of ['wh-1', 'wh-2']) await h.registerCell(id);
  });
  afterAll(async () => {
    await h?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const subscribe = (path: string, events: string[]) => h.http('POST', '/v1/webhooks', { url: `${base}${path}`, events, secret: SECRET });
  const at = (path: string, type: string, cellId?: string) => received.find((r) => r.path === path && r.event.type === type && (!cellId || r.event.cellId === cellId));

  it('subscribes with a valid URL, known events and a long enough secret; never shows the secret', async () => {
    const bad = await h.http('POST', '/v1/webhooks', { url: 'ftp://x', events: ['update.exploded'], secret: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['body.url', 'body.events.0', 'body.secret']));
    expect((await h.http('POST', '/v1/webhooks', { url: 'https://user:pw@example.com/hook', events: ['update.started'], secret: SECRET })).status).toBe(400);
    expect((await h.http('POST', '/v1/webhooks', { url: `${base}/ok`, events: ['update.started'], secret: SECRET }, 'operator')).status).toBe(403);
    const ok = await subscribe('/ok', ['update.started', 'update.succeeded', 'update.rolled-back', 'rollout.finished']);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ url: `${base}/ok`, createdBy: 'alice-admin' });
    expect(JSON.stringify((await h.http('GET', '/v1/webhooks')).body)).not.toContain(SECRET);
  });

  it('tells of an update\'s start and end, signed, retried to a flaky receiver; a dead one delays nothing', { timeout: 120_000 }, async () => {
    const flaky = (await subscribe('/flaky', ['update.succeeded'])).body.id;
    const dead = (await subscribe('/dead', ['update.started', 'update.succeeded'])).body.id;
    const redirect = (await subscribe('/redirect', ['update.succeeded'])).body.id;
    const started = Date.now();
    const update = await h.requestUpdate('wh-1', { version: '1.2.0', window: 'now' });
    expect((await h.waitForUpdate(update.body.id)).status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(30_000);

    await h.waitFor('the start and end at /ok', async () => (at('/ok', 'update.started', 'wh-1') && at('/ok', 'update.succeeded', 'wh-1') ? true : undefined), 30_000);
    const end = at('/ok', 'update.succeeded', 'wh-1')!;
    expect(end.signed).toBe(true);
    expect(end.event).toMatchObject({ id: `update.succeeded/${update.body.id}`, cellId: 'wh-1', data: { updateId: update.body.id, toVersion: '1.2.0' } });
    expect(end.event.text).toContain(`update ${update.body.id} of wh-1 (1.1.0 → 1.2.0, maintenance-window) succeeded`);

    // Two failures, then taken: the third attempt, after backing off.
    await h.waitFor('the flaky receiver taking it', async () => (at('/flaky', 'update.succeeded') ? true : undefined), 60_000);
    expect(calls['/flaky']).toBe(3);
    const flakyDeliveries = (await h.http('GET', `/v1/webhooks/${flaky}/deliveries`)).body.deliveries;
    expect(flakyDeliveries).toEqual([expect.objectContaining({ type: 'update.succeeded', attempts: 3, deliveredAt: expect.any(String) })]);
    const deadDeliveries = (await h.http('GET', `/v1/webhooks/${dead}/deliveries`)).body.deliveries;
    expect(deadDeliveries.every((d: { deliveredAt: string | null; lastError: string }) => d.deliveredAt === null && d.lastError.includes('answered 500'))).toBe(true);

    // A redirect is a failed attempt: the receiver it names hears nothing.
    const redirected = await h.waitFor('the redirect answered', async () => {
      const [delivery] = (await h.http('GET', `/v1/webhooks/${redirect}/deliveries`)).body.deliveries;
      return delivery?.attempts >= 1 ? delivery : undefined;
    });
    expect(redirected).toMatchObject({ deliveredAt: null, lastError: expect.stringContaining('answered 302: redirects are not followed') });
    expect(calls['/redirected']).toBeUndefined();

    expect((await h.http('DELETE', `/v1/webhooks/${dead}`)).status).toBe(204);
    expect((await h.http('GET', `/v1/webhooks/${dead}/deliveries`)).status).toBe(404);
  });

  it('tells of a compensated update and of a rollout\'s end', { timeout: 120_000 }, async () => {
    await h.http('PUT', '/v1/sim/cells/wh-2/faults', { verify: { mode: 'fail' } });
    const update = await h.requestUpdate('wh-2', { version: '1.2.0', window: 'now' });
    expect((await h.waitForUpdate(update.body.id)).status).toBe('rolled-back');
    await h.waitFor('the rollback at /ok', async () => (at('/ok', 'update.rolled-back', 'wh-2') ? true : undefined), 30_000);
    expect(at('/ok', 'update.rolled-back', 'wh-2')!.event.text).toMatch(/rolled back: .*verify/i);

    await h.http('PUT', '/v1/sim/cells/wh-2/faults', {});
    // A release of its own: rollouts are one per version on the test server every file shares.
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '1.2.10' }, { rings: ['staging', 'saas', 'dedicated'] });
    expect((await h.http('POST', '/v1/rollouts', { version: '1.2.10', rings: ['saas'], waves: { maxConcurrent: 2, maxFailures: 1 }, window: 'now' }, 'operator')).status).toBe(202);
    await h.waitFor('the rollout\'s end at /ok', async () => (at('/ok', 'rollout.finished') ? true : undefined), 90_000);
    expect(at('/ok', 'rollout.finished')!.event).toMatchObject({ data: { rolloutId: '1.2.10', status: 'succeeded' }, text: expect.stringContaining('rollout 1.2.10 finished') });
  });
});

describe('webhook targets: no delivery into the control plane\'s own network', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ worker: false, webhooksAllowLoopback: false }); // as in production
  });
  afterAll(() => h?.stop());

  it('refuses loopback, private, link-local, CGNAT, multicast, reserved and metadata addresses, and plain http, naming url; keeps none', async () => {
    const refused: [string, RegExp][] = [
      ['http://10.0.0.1/hook', /^10\.0\.0\.1 is a private address/],
      ['https://192.168.1.20/hook', /is a private address/],
      ['http://169.254.169.254/latest/meta-data/', /^169\.254\.169\.254 is a link-local address/],
      ['https://[fd00:ec2::254]/latest/meta-data/', /^fd00:ec2::254 is a unique-local address/],
      ['https://metadata.google.internal/computeMetadata/v1/', /^metadata\.google\.internal is a cloud metadata service/],
      ['https://100.100.100.200/latest/meta-data/', /is a carrier-grade NAT address/],
      ['http://[::1]:8080/hook', /^::1 is a loopback address/],
      ['https://[::ffff:127.0.0.1]/hook', /is a loopback address/],
      ['https://localhost:8443/hook', /^localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/],
      ['https://2130706433/hook', /^127\.0\.0\.1 is a loopback address/], // 127.0.0.1 spelt as a number
      ['https://224.0.0.251/hook', /is a multicast address/],
      ['https://0.0.0.0/hook', /is a reserved or special-purpose address/],
      ['http://hooks.example.com/cellshift', /^must be https$/],
      [`https://${'a'.repeat(64)}.example/hook`, /is not a valid host name$/], // a label over 63 characters
    ];
    for (const [url, reason] of refused) {
      const res = await h.http('POST', '/v1/webhooks', { url, events: ['update.failed'], secret: SECRET });
      expect(res.status, url).toBe(400);
      expect(res.headers.get('content-type'), url).toContain('application/problem+json');
      expect(res.body.errors, url).toEqual([{ field: 'body.url', reason: expect.stringMatching(reason) }]);
    }
    expect((await h.http('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
  });
});

describe('a delivery: checked again, to the address checked', () => {
  let receiver: Server;
  let port: number;
  const heard: { host?: string; event: string }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const headers: IncomingHttpHeaders = req.headers;
      heard.push({ host: headers.host, event: String(headers['x-cellshift-event']) });
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => receiver?.close(resolve)));

  const event: FleetEvent = { id: 'update.succeeded/x-u1', type: 'update.succeeded', at: new Date().toISOString(), text: 'done', data: {} };

  it('connects to the address it checked, never to a fresh lookup of the name', async () => {
    // hooks.test resolves nowhere on this machine: only the checked answer can reach the receiver.
    await sendEvent(`http://hooks.test:${port}/hook`, SECRET, event, { allowLoopback: true }, async () => [{ address: '127.0.0.1', family: 4 }]);
    expect(heard).toEqual([{ host: `hooks.test:${port}`, event: 'update.succeeded' }]);
  });

  it('refuses a name that resolves to a private address by the time of the delivery (DNS rebinding), connecting nowhere', async () => {
    heard.length = 0;
    const answers = [[{ address: '127.0.0.1', family: 4 as const }], [{ address: '10.0.0.7', family: 4 as const }]];
    await sendEvent(`http://hooks.test:${port}/hook`, SECRET, event, { allowLoopback: true }, async () => answers[0]);
    await expect(sendEvent(`http://hooks.test:${port}/hook`, SECRET, event, { allowLoopback: true }, async () => answers[1])).rejects.toThrow(
      `http://hooks.test:${port}/hook refused: hooks.test resolves to 10.0.0.7, which is a private address`,
    );
    expect(heard).toHaveLength(1);
  });
});

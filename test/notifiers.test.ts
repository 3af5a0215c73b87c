// The log notifier writes what tests read; the webhook notifier posts the notification only and
// throws on anything but a 2xx, so the activity retries.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { LogNotifier } from '../src/adapters/notify/log-notifier';
import { WebhookNotifier } from '../src/adapters/notify/webhook-notifier';
import type { Notification } from '../src/domain/ports';

const published: Notification = {
  cellId: 'acme',
  kind: 'infra-update-published',
  subject: 'Template 2.0.0 is ready for your stack',
  body: 'Apply it by the deadline.',
  deadline: '2026-12-01T00:00:00.000Z',
};

it('the log notifier appends one JSON line per notification', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-notify-'));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const notifier = new LogNotifier(dataDir);
    await notifier.notify(published);
    await notifier.notify({ ...published, kind: 'infra-update-reminder', deadline: undefined });
  } finally {
    stderr.mockRestore();
  }
  const lines = readFileSync(join(dataDir, 'notifications.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const { deadline: _, ...reminder } = published;
  expect(lines).toEqual([
    { at: expect.any(String), ...published },
    { at: expect.any(String), ...reminder, kind: 'infra-update-reminder' },
  ]);
});

it('the webhook notifier posts the notification and throws on a non-2xx', async () => {
  const received: { body: unknown; auth?: string }[] = [];
  let status = 204;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      received.push({ body: JSON.parse(body), auth: req.headers.authorization });
      res.writeHead(status).end(status === 204 ? undefined : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/secret-path-token`;
    const notifier = new WebhookNotifier(url, { headers: { authorization: 'Bearer hook-token' } });
    await notifier.notify(published);
    expect(received[0]).toEqual({ body: published, auth: 'Bearer hook-token' }); // the token in a header, never the body

    status = 503;
    const err = await notifier.notify(published).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/answered 503 Service Unavailable: try later/);
    expect((err as Error).message).not.toContain('secret-path-token'); // webhook URLs often carry a secret
  } finally {
    server.close();
  }
});

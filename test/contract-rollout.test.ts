// A rollout under its cells' change contracts, on a real Temporal server: a cell in an operator's
// blackout and a cell its customer postponed wait for them, each starting when the contract lets it
// (not when its window opens), as the plan computed before the rollout said; a cell that follows
// its ring one minor version behind is held.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { everyDay, Harness } from './helpers/harness';

/** A zone's local wall clock `offsetMs` from now, HH:MM:SS: a window there opening then. */
function localClock(timezone: string, offsetMs: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(Date.now() + offsetMs));
}

describe('a rollout under the change contract', () => {
  let h: Harness;
  let receiver: Server;
  /** What a webhook subscriber received. */
  const received: { type: string; cellId?: string; data: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    h = await Harness.start();
    const hook = await h.http('POST', '/v1/webhooks', { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/notices`, events: ['update.scheduled'], secret: 'a-long-random-secret-for-notices' });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    // A version no other test rolls out: a rollout's workflow id is its release's, and test files share one Temporal server.
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '3.7.0' }, { rings: ['staging', 'saas', 'dedicated'] });
  });
  afterAll(async () => {
    await h?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('a blackout and a postponement hold their cells until they end; the plan said when', { timeout: 240_000 }, async () => {
    // Every window opened a minute ago, for ten minutes, each in its own time zone.
    const windows = { 'cr-free': 'Europe/Berlin', 'cr-blackout': 'America/New_York', 'cr-postponed': 'Asia/Kolkata', 'cr-lag': 'UTC' } as const;
    const contracts: Record<string, unknown> = { 'cr-postponed': { postponement: { maxDays: 1 } }, 'cr-lag': { lag: 1 } };
    await Promise.all(
      Object.entries(windows).map(([id, zone]) =>
        h.registerCell(id, { maintenanceWindow: everyDay(localClock(zone, -60_000), 10, zone), expectedUpdateMinutes: 1, ...(contracts[id] ? { contract: contracts[id] } : {}) }),
      ),
    );
    const now = Math.ceil(Date.now() / 1000) * 1000;
    const blackoutEnds = now + 60_000;
    const postponedUntil = now + 90_000;
    expect((await h.http('POST', '/v1/cells/cr-blackout/blackouts', { startsAt: new Date(now - 120_000).toISOString(), endsAt: new Date(blackoutEnds).toISOString(), scope: 'all-but-emergency', reason: 'a migration of our own' }, 'operator')).status).toBe(201);
    const postponed = await h.http('POST', '/v1/cells/cr-postponed/postponements', { until: new Date(postponedUntil).toISOString(), reason: 'a demo to our board' }, 'contractCustomer');
    expect(postponed.status, JSON.stringify(postponed.body)).toBe(201);

    const body = { version: '3.7.0', rings: ['saas'], waves: { maxConcurrent: 3 }, bakeMinutes: 0 };
    const planned = await h.http('POST', '/v1/rollouts/plan', body, 'viewer');
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    const plannedAt = Object.fromEntries(planned.body.rings[0].cells.map((c: { id: string; startsAt: string }) => [c.id, Date.parse(c.startsAt)]));
    expect(plannedAt['cr-free']).toBeLessThan(now + 5_000);
    expect(Math.abs(plannedAt['cr-blackout'] - blackoutEnds)).toBeLessThan(1_500);
    expect(Math.abs(plannedAt['cr-postponed'] - postponedUntil)).toBeLessThan(1_500);
    // A cell one minor version behind its ring does not take the ring's newest line.
    expect(planned.body.rings[0].held).toEqual([{ id: 'cr-lag', reason: expect.stringContaining('follows its ring 1 minor version behind: 3.7.0 is ahead of its line (2.1.x, newest 2.1.0') }]);

    expect((await h.http('POST', '/v1/rollouts', body, 'operator')).status).toBe(202);
    // Each cell was told of the release, with the rollout as the reason.
    const upcoming = await h.waitFor('the notice of the rollout', async () => (await h.http('GET', '/v1/cells/cr-postponed/upcoming', undefined, 'contractCustomer')).body.upcoming ?? undefined);
    expect(upcoming).toMatchObject({ version: '3.7.0', why: 'rollout 3.7.0', waits: [expect.objectContaining({ rule: 'postponement' })] });
    // Each cell that will take the release was told of it, as a webhook subscriber hears; the lagging one was not.
    const notices = await h.waitFor('the notices delivered', async () => {
      const got = received.filter((e) => e.type === 'update.scheduled');
      return got.length >= 3 ? got : undefined;
    });
    expect(notices.map((e) => e.cellId).sort()).toEqual(['cr-blackout', 'cr-free', 'cr-postponed']);
    const toPostponed = notices.find((e) => e.cellId === 'cr-postponed')!;
    expect(toPostponed.data).toMatchObject({ version: '3.7.0', why: 'rollout 3.7.0', upcoming: '/v1/cells/cr-postponed/upcoming' });
    expect(Math.abs(Date.parse(toPostponed.data.startsAt as string) - postponedUntil)).toBeLessThan(1_500);
    const done = await h.waitFor('the rollout done', async () => {
      const res = await h.http('GET', '/v1/rollouts/3.7.0', undefined, 'viewer');
      return ['succeeded', 'halted', 'aborted'].includes(res.body?.status) ? res.body : undefined;
    }, 200_000);
    expect(done.status).toBe('succeeded');
    const cells = done.rings[0].cells as { id: string; state: string; startedAt: string; error?: string }[];
    expect(cells.find((c) => c.id === 'cr-lag')).toMatchObject({ state: 'held', error: expect.stringContaining('1 minor version behind') });
    expect((await h.simulated.read('cr-lag')).version).toBe('1.1.0');
    for (const cell of cells.filter((c) => c.id !== 'cr-lag')) {
      const started = Date.parse(cell.startedAt);
      expect(started, `${cell.id} started ${cell.startedAt}, planned ${new Date(plannedAt[cell.id]).toISOString()}`).toBeGreaterThanOrEqual(plannedAt[cell.id] - 1_000);
      expect(started - plannedAt[cell.id], cell.id).toBeLessThan(5_000);
      expect((await h.simulated.read(cell.id)).version).toBe('3.7.0');
    }
  });
});

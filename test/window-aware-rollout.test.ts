// Rollouts that respect every cell's window: a sliding limit, each cell starting when its own
// window opens in its own time zone, canaries first, a deadline; and the plan that says so first.
import { afterEach, describe, expect, it } from 'vitest';
import { maxOverlap } from '../src/domain/rollout';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { Harness, everyDay } from './helpers/harness';

/** A zone's local wall clock `offsetMs` from now, HH:MM:SS: a window there opening then. */
function localClock(timezone: string, offsetMs: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(Date.now() + offsetMs));
}

describe('window-aware rollouts', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  async function publish(version: string) {
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version }, { rings: ['staging', 'saas', 'dedicated'] });
  }

  async function waitForRollout(version: string, statuses: string[], timeoutMs = 180_000) {
    return h.waitFor(`rollout ${version} ${statuses.join('/')}`, async () => {
      const res = await h.http('GET', `/v1/rollouts/${version}`, undefined, 'viewer');
      return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
    }, timeoutMs);
  }

  it('8 cells, 4 open now in Los Angeles and 4 opening in 90 s in Tokyo, 4 at once: the plan, then the rollout doing it', { timeout: 240_000 }, async () => {
    h = await Harness.start();
    await publish('3.1.0');
    const opensAt = Math.ceil((Date.now() + 90_000) / 1000) * 1000; // whole seconds, as windows are
    const tokyo = everyDay(localClock('Asia/Tokyo', opensAt - Date.now()), 600, 'Asia/Tokyo');
    const losAngeles = everyDay(localClock('America/Los_Angeles', -60_000), 600, 'America/Los_Angeles');
    await Promise.all(
      [1, 2, 3, 4].flatMap((i) => [
        h.registerCell(`wa-la-${i}`, { maintenanceWindow: losAngeles, expectedUpdateMinutes: 1 }),
        h.registerCell(`wa-tk-${i}`, { maintenanceWindow: tokyo, expectedUpdateMinutes: 1 }),
      ]),
    );
    // The test's own premise: the open cells' expected minute ends before Tokyo's window opens.
    expect(Date.now()).toBeLessThan(opensAt - 62_000);
    const body = { version: '3.1.0', rings: ['saas'], waves: { maxConcurrent: 4 }, bakeMinutes: 0 };

    const planned = await h.http('POST', '/v1/rollouts/plan', body, 'viewer');
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    const [saas] = planned.body.rings;
    expect(saas.held).toEqual([]);
    const plannedAt = Object.fromEntries(saas.cells.map((c: { id: string; startsAt: string }) => [c.id, Date.parse(c.startsAt)]));
    expect(saas.cells.slice(0, 4).map((c: { id: string }) => c.id).sort()).toEqual(['wa-la-1', 'wa-la-2', 'wa-la-3', 'wa-la-4']);
    for (let i = 1; i <= 4; i++) {
      expect(plannedAt[`wa-la-${i}`]).toBeLessThan(opensAt - 60_000); // now
      expect(Math.abs(plannedAt[`wa-tk-${i}`] - opensAt)).toBeLessThan(1_500); // when Tokyo's window opens (whole seconds)
    }
    expect(Date.parse(planned.body.endsAt) - plannedAt['wa-tk-1']).toBe(60_000); // its expected minute
    expect((await h.http('GET', '/v1/rollouts/3.1.0')).status).toBe(404); // a plan starts nothing

    expect((await h.http('POST', '/v1/rollouts', body, 'operator')).status).toBe(202);
    const done = await waitForRollout('3.1.0', ['succeeded', 'halted', 'aborted']);
    expect(done.status).toBe('succeeded');
    const cells = done.rings[0].cells as { id: string; state: 'succeeded'; startedAt: string; endedAt: string }[];
    const byId = Object.fromEntries(cells.map((c) => [c.id, c]));
    for (let i = 1; i <= 4; i++) {
      // The open ones were all updated before Tokyo's window opened …
      expect(Date.parse(byId[`wa-la-${i}`].endedAt)).toBeLessThan(opensAt);
      // … and no late cell started before its window, nor much after (the rollout's timer).
      expect(Date.parse(byId[`wa-tk-${i}`].startedAt)).toBeGreaterThanOrEqual(opensAt - 1_000);
      expect(Date.parse(byId[`wa-tk-${i}`].startedAt) - plannedAt[`wa-tk-${i}`]).toBeLessThan(5_000);
    }
    expect(maxOverlap(cells)).toBeLessThanOrEqual(4);
    for (const c of cells) expect((await h.simulated.read(c.id)).version).toBe('3.1.0');
  });

  it('sends a canary alone, bakes it, checks it, then slides the rest through the limit', { timeout: 180_000 }, async () => {
    h = await Harness.start();
    await publish('3.2.0');
    const open = { maintenanceWindow: everyDay(localClock('Europe/Berlin', -60_000), 600, 'Europe/Berlin'), expectedUpdateMinutes: 1 };
    for (let i = 1; i <= 5; i++) await h.registerCell(`wa-cn-${i}`, open);
    for (let i = 1; i <= 5; i++) await h.http('PUT', `/v1/sim/cells/wa-cn-${i}/faults`, { apply: { mode: 'none', latencyMs: 500 } });
    const body = { version: '3.2.0', rings: ['saas'], waves: { maxConcurrent: 2 }, canary: { cells: 1, bakeMinutes: 0.05 } };
    const plan = (await h.http('POST', '/v1/rollouts/plan', body, 'viewer')).body.rings[0];
    expect(plan.cells.filter((c: { canary?: boolean }) => c.canary).map((c: { id: string }) => c.id)).toEqual(['wa-cn-1']);
    expect(Date.parse(plan.canariesBakedAt) - Date.parse(plan.cells[0].endsAt)).toBe(3_000);

    expect((await h.http('POST', '/v1/rollouts', body, 'operator')).status).toBe(202);
    const done = await waitForRollout('3.2.0', ['succeeded', 'halted', 'aborted']);
    expect(done.status).toBe('succeeded');
    const ring = done.rings[0];
    expect(ring).toMatchObject({ canaries: ['wa-cn-1'], canariesBaked: true, health: '1 cells healthy' });
    const canary = ring.cells.find((c: { id: string }) => c.id === 'wa-cn-1');
    const rest = ring.cells.filter((c: { id: string }) => c.id !== 'wa-cn-1');
    // The rest waited for the canary's end and its bake (3 s).
    for (const cell of rest) expect(Date.parse(cell.startedAt) - Date.parse(canary.endedAt)).toBeGreaterThanOrEqual(3_000);
    expect(maxOverlap(rest)).toBe(2);
  });

  it('over its failure budget, starts no new cell and lets the ones in flight finish; a closed window past the deadline is held', { timeout: 180_000 }, async () => {
    h = await Harness.start();
    await publish('3.3.0');
    const open = { maintenanceWindow: everyDay(localClock('UTC', -60_000), 600), expectedUpdateMinutes: 1 };
    for (let i = 1; i <= 4; i++) await h.registerCell(`wa-bd-${i}`, open);
    // Opens in two hours: after the rollout's one-hour deadline.
    await h.registerCell('wa-bd-late', { maintenanceWindow: everyDay(localClock('Asia/Kolkata', 2 * 3_600_000), 120, 'Asia/Kolkata'), expectedUpdateMinutes: 1 });
    await h.http('PUT', '/v1/sim/cells/wa-bd-1/faults', { verify: { mode: 'fail' } });
    await h.http('PUT', '/v1/sim/cells/wa-bd-2/faults', { apply: { mode: 'none', latencyMs: 4_000 } });
    const deadline = new Date(Date.now() + 3_600_000).toISOString();
    const body = { version: '3.3.0', rings: ['saas'], waves: { maxConcurrent: 2, maxFailures: 0 }, deadline };

    const plan = (await h.http('POST', '/v1/rollouts/plan', body, 'viewer')).body.rings[0];
    expect(plan.held).toEqual([{ id: 'wa-bd-late', reason: expect.stringContaining("after the rollout's deadline") }]);
    expect((await h.http('POST', '/v1/rollouts/plan', { ...body, deadline: '2020-01-01T00:00:00Z' }, 'viewer')).body.errors).toEqual([{ field: 'body.deadline', reason: 'must be in the future' }]);

    expect((await h.http('POST', '/v1/rollouts', body, 'operator')).status).toBe(202);
    const halted = await waitForRollout('3.3.0', ['halted']);
    expect(halted.haltReason).toContain('more than the budget of 0');
    // wa-bd-2 was in flight when wa-bd-1 failed: it finishes; nothing else started.
    const settled = await h.waitFor('wa-bd-2 finished', async () => {
      const res = (await h.http('GET', '/v1/rollouts/3.3.0')).body;
      return res.rings[0].cells.find((c: { id: string }) => c.id === 'wa-bd-2').state === 'succeeded' ? res : undefined;
    });
    const states = Object.fromEntries(settled.rings[0].cells.map((c: { id: string; state: string }) => [c.id, c.state]));
    expect(states).toMatchObject({ 'wa-bd-1': 'failed', 'wa-bd-2': 'succeeded', 'wa-bd-3': 'pending', 'wa-bd-4': 'pending' });
    expect((await h.simulated.read('wa-bd-3')).version).toBe('1.1.0');

    expect((await h.http('POST', '/v1/rollouts/3.3.0/resume', {}, 'operator')).status).toBe(202);
    const done = await waitForRollout('3.3.0', ['succeeded']);
    const late = done.rings[0].cells.find((c: { id: string }) => c.id === 'wa-bd-late');
    expect(late).toMatchObject({ state: 'held', error: expect.stringContaining("after the rollout's deadline") });
    expect(done.counts).toMatchObject({ succeeded: 3, failed: 1, held: 1 });
  });
});

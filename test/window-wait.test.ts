import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, everyDay, utcClock } from './helpers/harness';

describe('waiting for the maintenance window', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  it('sleeps until a window a few seconds away, then runs inside it', async () => {
    const opensAt = Date.now() + 6_000;
    await h.registerCell('window-soon', { maintenanceWindow: everyDay(utcClock(6_000), 10), expectedUpdateMinutes: 5 });
    const accepted = await h.requestUpdate('window-soon', { version: '1.2.0' });

    const waiting = await h.waitForUpdate(accepted.body.id, ['scheduled']);
    expect(Math.abs(Date.parse(waiting.window.startsAt) - opensAt)).toBeLessThan(1_500);
    expect(waiting.steps.every((s: any) => s.status === 'pending')).toBe(true);
    expect((await h.simulated.read('window-soon')).log.map((e) => e.op)).toEqual(['register']);
    expect(await h.updateSearchStatus(accepted.body.id)).toBe('scheduled');

    const update = await h.waitForUpdate(accepted.body.id);
    expect(update.status).toBe('succeeded');
    // The read model has the end before the workflow's last task (with its search attribute) is recorded.
    await h.waitForSearchStatus(accepted.body.id, 'succeeded');
    expect(Date.parse(update.steps[0].startedAt)).toBeGreaterThanOrEqual(Date.parse(waiting.window.startsAt));
    expect(Date.parse(update.endedAt)).toBeLessThan(Date.parse(waiting.window.endsAt));
  });

  it('skips an open window with less time left than the update needs (cut-off) and waits for the next', async () => {
    // Opened 25 minutes ago, 30 minutes long: 5 minutes left for a 10-minute update.
    const start = utcClock(-25 * 60_000);
    await h.registerCell('window-cutoff', { maintenanceWindow: everyDay(start, 30), expectedUpdateMinutes: 10 });
    const accepted = await h.requestUpdate('window-cutoff', { version: '1.2.0' });
    const waiting = await h.waitForUpdate(accepted.body.id, ['scheduled']);
    const next = Date.parse(waiting.window.startsAt);
    const expected = Date.now() - 25 * 60_000 + 24 * 3600_000;
    expect(Math.abs(next - expected)).toBeLessThan(5_000);

    // `window: "now"` on a second cell with the same window skips the wait.
    await h.registerCell('window-now', { maintenanceWindow: everyDay(start, 30), expectedUpdateMinutes: 10 });
    // Its search attribute says `running` from the start (set as it starts), while its steps run.
    await h.http('PUT', '/v1/sim/cells/window-now/faults', { pull: { mode: 'none', latencyMs: 1_500 } });
    const now = await h.requestUpdate('window-now', { version: '1.2.0', window: 'now' });
    await h.waitForStep(now.body.id, 'pull');
    expect(await h.updateSearchStatus(now.body.id)).toBe('running');
    expect((await h.waitForUpdate(now.body.id)).status).toBe('succeeded');
    await h.waitForSearchStatus(now.body.id, 'succeeded');

    await h.http('POST', `/v1/updates/${accepted.body.id}/cancel`, {}, 'operator');
    expect((await h.waitForUpdate(accepted.body.id)).status).toBe('cancelled');
    await h.waitForSearchStatus(accepted.body.id, 'cancelled');
  });
});

import { describe, expect, it } from 'vitest';
import { canaryCells, planRing, ringLowerBound, startNow, type RingPolicy, type SchedulableCell } from '../../src/domain/schedule';
import { WEEKDAYS } from '../../src/domain/window';

// Wednesday 2 December 2026, 12:00 UTC: 04:00 in Los Angeles, 21:00 in Tokyo.
const NOON = Date.UTC(2026, 11, 2, 12, 0);
const MIN = 60_000;
const everyDay = (start: string, durationMinutes: number, timezone: string) => ({ days: [...WEEKDAYS], start, durationMinutes, timezone });
const cell = (id: string, window = everyDay('03:30', 120, 'America/Los_Angeles'), expectedMinutes = 5): SchedulableCell => ({ id, window, expectedMs: expectedMinutes * MIN });
const policy = (overrides: Partial<RingPolicy> = {}): RingPolicy => ({ maxConcurrent: 4, ignoreWindows: false, ...overrides });

describe('startNow: which cells start, given their windows and the free slots', () => {
  it('starts open cells up to the limit; a cell whose window is closed takes no slot and sets the wake-up', () => {
    const tokyo = everyDay('21:10', 60, 'Asia/Tokyo'); // opens in 10 minutes
    const cells = [cell('la-1'), cell('tk-1', tokyo), cell('la-2')];
    const decision = startNow(cells, 0, NOON, policy({ maxConcurrent: 1 }));
    expect(decision.start).toEqual(['la-1']);
    expect(decision.wakeAt).toBe(NOON + 10 * MIN);
    expect(startNow(cells, 1, NOON, policy({ maxConcurrent: 1 })).start).toEqual([]); // no free slot
  });

  it('starts the cell whose window closes first, so a short window is not spent waiting', () => {
    const closesSoon = everyDay('03:30', 45, 'America/Los_Angeles'); // 04:15 local
    const decision = startNow([cell('a-long'), cell('b-short', closesSoon)], 0, NOON, policy({ maxConcurrent: 1 }));
    expect(decision.start).toEqual(['b-short']);
  });

  it('holds a cell whose window opens after the deadline, and one no window can hold', () => {
    const tomorrow = everyDay('03:00', 60, 'Asia/Tokyo'); // next opening: Thursday 03:00 Tokyo = Wednesday 18:00 UTC
    const tooShort = cell('tiny', everyDay('03:30', 10, 'America/Los_Angeles'), 30);
    const decision = startNow([cell('late', tomorrow), tooShort], 0, NOON, policy({ deadline: NOON + 60 * MIN }));
    expect(decision.start).toEqual([]);
    expect(decision.held.map((h) => h.id)).toEqual(['late', 'tiny']);
    expect(decision.held[0].reason).toBe("its next window opens at 2026-12-02T18:00:00.000Z, after the rollout's deadline 2026-12-02T13:00:00.000Z");
    expect(decision.held[1].reason).toMatch(/no window of 10 min can hold an update of 30 min/);
  });

  it('ignores windows for an urgent fix', () => {
    const closed = everyDay('10:00', 60, 'Europe/Berlin');
    expect(startNow([cell('b', closed), cell('a', closed)], 0, NOON, policy({ ignoreWindows: true })).start).toEqual(['a', 'b']);
  });
});

describe('planRing: the schedule the rollout will follow', () => {
  it('8 cells, 4 open now in Los Angeles and 4 opening in 10 minutes in Tokyo, 4 at once: the open ones first, no late one early', () => {
    const tokyo = everyDay('21:10', 60, 'Asia/Tokyo');
    const cells = [...[1, 2, 3, 4].map((i) => cell(`la-${i}`)), ...[1, 2, 3, 4].map((i) => cell(`tk-${i}`, tokyo))];
    const plan = planRing(cells, policy(), NOON);
    const at = Object.fromEntries(plan.cells.map((c) => [c.id, c]));
    for (const i of [1, 2, 3, 4]) {
      expect(at[`la-${i}`]).toMatchObject({ startsAt: NOON, endsAt: NOON + 5 * MIN });
      expect(at[`tk-${i}`]).toMatchObject({ startsAt: NOON + 10 * MIN, endsAt: NOON + 15 * MIN });
    }
    expect(plan.endsAt).toBe(NOON + 15 * MIN);
    expect(plan.held).toEqual([]);
  });

  it('is a sliding limit, not a barrier: a cell starts as soon as any slot frees', () => {
    const cells = [cell('a', undefined, 30), cell('b', undefined, 5), cell('c', undefined, 5), cell('d', undefined, 5)];
    const plan = planRing(cells, policy({ maxConcurrent: 2 }), NOON);
    const at = Object.fromEntries(plan.cells.map((c) => [c.id, c.startsAt - NOON]));
    expect(at).toEqual({ a: 0, b: 0, c: 5 * MIN, d: 10 * MIN });
    expect(plan.endsAt).toBe(NOON + 30 * MIN);
    // never more than two at once
    for (const t of [0, 5, 10, 14].map((m) => NOON + m * MIN)) expect(plan.cells.filter((c) => c.startsAt <= t && t < c.endsAt).length).toBeLessThanOrEqual(2);
  });

  it('sends the canaries alone, bakes them, then the rest', () => {
    const cells = Array.from({ length: 10 }, (_, i) => cell(`c-${i}`));
    const p = policy({ maxConcurrent: 4, canary: { cells: 2, bakeMinutes: 30 } });
    expect(canaryCells(cells, NOON, p)).toEqual(['c-0', 'c-1']);
    const plan = planRing(cells, p, NOON);
    const canaries = plan.cells.filter((c) => c.canary);
    expect(canaries.map((c) => c.id)).toEqual(['c-0', 'c-1']);
    expect(plan.bakedAt).toBe(NOON + 5 * MIN + 30 * MIN);
    const rest = plan.cells.filter((c) => !c.canary);
    expect(Math.min(...rest.map((c) => c.startsAt))).toBe(plan.bakedAt);
    expect(plan.endsAt).toBe(plan.bakedAt! + 10 * MIN); // 8 cells, 4 at once, 5 minutes each
    expect(canaryCells(cells, NOON, policy({ canary: { percent: 25, bakeMinutes: 0 } }))).toHaveLength(3);
  });

  it('comes within 5% of the lower bound for 1,000 cells whose windows spread over 24 hours, when the limit leaves room', () => {
    const zones = ['America/Los_Angeles', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney', 'Asia/Kolkata'];
    const cells = Array.from({ length: 1000 }, (_, i) => {
      const hour = String(i % 24).padStart(2, '0');
      return cell(`f-${String(i).padStart(4, '0')}`, everyDay(`${hour}:${i % 2 ? '30' : '00'}`, 240, zones[i % zones.length]), 20);
    });
    const p = policy({ maxConcurrent: 50 });
    const plan = planRing(cells, p, NOON);
    expect(plan.cells).toHaveLength(1000);
    const bound = ringLowerBound(cells, p, NOON);
    expect((plan.endsAt - NOON) / (bound - NOON)).toBeLessThanOrEqual(1.05);
  });
});

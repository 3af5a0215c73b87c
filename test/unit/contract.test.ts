// The change contract's one decision: when an update of a cell may start, in the cell's own time
// zone, across daylight-saving changes, past blackouts, notice and postponements, and what an
// emergency overrides.
import { describe, expect, it } from 'vitest';
import { customerBlackoutRefusal, laggedTarget, lagRefusal, mayStart, nextStart, postponementRefusal, type Blackout, type ChangeFacts } from '../../src/domain/contract';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const REGULAR = { version: '2.1.0', breaking: false, emergency: false };
const blackout = (startsAt: string, endsAt: string, scope: Blackout['scope'], fleetWide = false): Blackout => ({ id: `b-${startsAt}`, ...(fleetWide ? {} : { cellId: 'acme' }), startsAt, endsAt, scope, setBy: 'carla', reason: 'quarter end' });

function facts(overrides: Partial<ChangeFacts>): ChangeFacts {
  return { window: { days: ['sun'], start: '04:00', durationMinutes: 120, timezone: 'UTC' }, expectedMs: 30 * 60_000, blackouts: [], noticeMs: 0, change: REGULAR, ...overrides };
}
function startsAt(f: ChangeFacts, now: number): string {
  const answer = nextStart(f, now);
  if ('held' in answer) throw new Error(`held: ${answer.held.reason}`);
  return iso(answer.startsAt);
}

describe('the change contract decides when an update may start', () => {
  it('Europe/Berlin: a blackout over one Sunday moves the update to the next, which daylight saving time has moved an hour in UTC', () => {
    const window = { days: ['sun' as const], start: '04:00', durationMinutes: 120, timezone: 'Europe/Berlin' };
    const now = at('2026-03-20T00:00:00Z');
    // Without the blackout: Sunday 22 March, 04:00 CET (03:00 UTC).
    expect(startsAt(facts({ window }), now)).toBe('2026-03-22T03:00:00.000Z');
    // Over it: Sunday 29 March, 04:00 CEST, after the clocks went forward that night (02:00 UTC).
    const answer = nextStart(facts({ window, blackouts: [blackout('2026-03-21T00:00:00Z', '2026-03-23T00:00:00Z', 'all')] }), now);
    expect('startsAt' in answer && iso(answer.startsAt)).toBe('2026-03-29T02:00:00.000Z');
    expect('waits' in answer && answer.waits.map((w) => w.rule)).toEqual(['blackout', 'window']);
  });

  it('America/New_York: notice given on Thursday, owed two days, starts in the first window after it, the night the clocks go back', () => {
    const window = { days: ['sun' as const, 'mon' as const, 'tue' as const, 'wed' as const, 'thu' as const, 'fri' as const, 'sat' as const], start: '01:30', durationMinutes: 60, timezone: 'America/New_York' };
    const given = at('2026-10-29T12:00:00Z');
    const f = facts({ window, noticeMs: 2 * D, noticeGivenAt: given });
    // Without notice, Friday 01:30 EDT; with it, Sunday 1 November 01:30, the first of the two 01:30s (EDT, 05:30 UTC).
    expect(startsAt(facts({ window }), given)).toBe('2026-10-30T05:30:00.000Z');
    expect(startsAt(f, given)).toBe('2026-11-01T05:30:00.000Z');
    // A week on, the window is at 01:30 EST (06:30 UTC).
    expect(startsAt(f, at('2026-11-05T00:00:00Z'))).toBe('2026-11-05T06:30:00.000Z');
    // Notice not yet given counts from now.
    expect(startsAt(facts({ window, noticeMs: 2 * D }), given)).toBe('2026-11-01T05:30:00.000Z');
  });

  it("Asia/Tokyo: a blackout of breaking releases holds a breaking one, not a regular one; an emergency overrides it and the window; 'all' holds even an emergency", () => {
    const window = { days: ['mon' as const, 'tue' as const, 'wed' as const, 'thu' as const, 'fri' as const], start: '10:00', durationMinutes: 60, timezone: 'Asia/Tokyo' };
    const now = at('2026-06-01T00:00:00Z'); // Monday 09:00 JST
    const week = blackout('2026-05-31T15:00:00Z', '2026-06-05T15:00:00Z', 'breaking');
    expect(startsAt(facts({ window, blackouts: [week] }), now)).toBe('2026-06-01T01:00:00.000Z');
    expect(startsAt(facts({ window, blackouts: [week], change: { ...REGULAR, breaking: true } }), now)).toBe('2026-06-08T01:00:00.000Z');
    const emergency = { version: '2.1.1', breaking: true, emergency: true };
    expect(startsAt(facts({ window, blackouts: [week], noticeMs: 7 * D, postponedUntil: at('2026-07-01T00:00:00Z'), change: emergency }), now)).toBe(iso(now));
    const freeze = blackout('2026-05-31T15:00:00Z', '2026-06-02T15:00:00Z', 'all', true);
    const held = nextStart(facts({ window, blackouts: [freeze], change: emergency }), now);
    expect('waits' in held && held.waits[0]).toMatchObject({ rule: 'blackout', reason: expect.stringContaining('a fleet-wide freeze (all)') });
    expect('startsAt' in held && iso(held.startsAt)).toBe('2026-06-02T15:00:00.000Z');
  });

  it('Australia/Sydney: a freeze inside the time the update would run pushes it past the freeze, still in the same window, the night daylight saving begins', () => {
    // Sunday 4 October 2026, 01:00 AEST (15:00 UTC the day before); clocks go forward at 02:00.
    const window = { days: ['sun' as const], start: '01:00', durationMinutes: 240, timezone: 'Australia/Sydney' };
    const now = at('2026-10-03T00:00:00Z');
    const f = facts({ window, expectedMs: H, blackouts: [blackout('2026-10-03T15:30:00Z', '2026-10-03T16:00:00Z', 'all-but-emergency', true)] });
    expect(startsAt(facts({ window, expectedMs: H }), now)).toBe('2026-10-03T15:00:00.000Z');
    expect(startsAt(f, now)).toBe('2026-10-03T16:00:00.000Z');
    // A freeze that leaves less than the update's time in the window: the next Sunday.
    const late = facts({ window, expectedMs: H, blackouts: [blackout('2026-10-03T15:30:00Z', '2026-10-03T18:30:00Z', 'all', true)] });
    expect(startsAt(late, now)).toBe('2026-10-10T14:00:00.000Z');
  });

  it('a postponement moves the start to the first window after it; the SLA, the agent and a window too short hold it, saying so', () => {
    const now = at('2026-06-01T00:00:00Z'); // a Monday
    expect(startsAt(facts({ postponedUntil: at('2026-06-10T00:00:00Z') }), now)).toBe('2026-06-14T04:00:00.000Z');
    expect(nextStart(facts({ sla: 'out-of-sla' }), now)).toEqual({ held: { rule: 'sla', reason: expect.stringContaining('out of SLA') } });
    expect(nextStart(facts({ sla: 'out-of-sla', change: { ...REGULAR, emergency: true } }), now)).toMatchObject({ startsAt: now });
    expect(nextStart(facts({ agent: 'offline' }), now)).toEqual({ held: { rule: 'agent', reason: 'its agent is offline' } });
    expect(nextStart(facts({ expectedMs: 3 * H }), now)).toMatchObject({ held: { rule: 'window' } });
  });

  it('may an update start now? yes in its window; otherwise what holds it and when to look again', () => {
    const open = at('2026-06-07T04:10:00Z'); // Sunday, in the window
    expect(mayStart(facts({}), open)).toEqual({ ok: true, endsAt: at('2026-06-07T06:00:00Z') });
    const during = mayStart(facts({ blackouts: [blackout('2026-06-07T00:00:00Z', '2026-06-08T00:00:00Z', 'all')] }), open);
    expect(during).toMatchObject({ ok: false, hold: { rule: 'blackout' }, retryAt: at('2026-06-14T04:00:00Z') });
    expect(mayStart(facts({ noticeMs: D }), open)).toMatchObject({ ok: false, hold: { rule: 'notice', until: open + D }, retryAt: at('2026-06-14T04:00:00Z') });
  });

  it('a cell one minor version behind its ring takes the newest of the line before; nothing ahead of it', () => {
    const visible = ['1.9.4', '2.0.0', '2.0.3', '2.1.0', '2.1.2'].map((version) => ({ version }));
    expect(laggedTarget(visible, 0)?.version).toBe('2.1.2');
    expect(laggedTarget(visible, 1)?.version).toBe('2.0.3');
    expect(laggedTarget(visible, 2)?.version).toBe('1.9.4');
    expect(laggedTarget(visible.slice(3), 1)).toBeUndefined();
    expect(lagRefusal('2.0.3', visible, 1)).toBeUndefined();
    expect(lagRefusal('2.1.0', visible, 1)).toBe("the cell follows its ring 1 minor version behind: 2.1.0 is ahead of its line (2.0.x, newest 2.0.3; the ring's newest is 2.1.2)");
    expect(lagRefusal('2.1.0', visible, 0)).toBeUndefined();
  });

  it("what the customer may set: blackouts within the contract's notice and days per quarter, postponements within its days and the infrastructure deadline", () => {
    const now = at('2026-03-01T00:00:00Z');
    const contract = { customerBlackouts: { maxDaysPerQuarter: 10, minNoticeDays: 7 }, postponement: { maxDays: 14 } };
    const ask = (startsAt: string, endsAt: string, scope: Blackout['scope'] = 'breaking') => ({ startsAt, endsAt, scope });
    expect(customerBlackoutRefusal(undefined, 'acme', [], ask('2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z'), now)?.rule).toBe('customer-blackouts');
    expect(customerBlackoutRefusal(contract, 'acme', [], ask('2026-03-05T00:00:00Z', '2026-03-06T00:00:00Z'), now)?.rule).toBe('blackout-notice');
    expect(customerBlackoutRefusal(contract, 'acme', [], ask('2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z', 'all'), now)?.rule).toBe('emergency-override');
    // Eight days used in Q1 already: three more from 30 March are two in Q1 (ten in all) and one in Q2.
    const used = [{ startsAt: '2026-03-10T00:00:00Z', endsAt: '2026-03-18T00:00:00Z' }];
    expect(customerBlackoutRefusal(contract, 'acme', used, ask('2026-03-30T00:00:00Z', '2026-04-02T00:00:00Z'), now)).toBeUndefined();
    expect(customerBlackoutRefusal(contract, 'acme', used, ask('2026-03-28T00:00:00Z', '2026-04-01T00:00:00Z'), now)).toEqual({ rule: 'blackout-allowance', reason: 'the customer of acme may set 10 days of blackout in 2026-Q1: 8 used, 4 asked' });
    const regular = { change: { version: '2.1.0', breaking: false, emergency: false }, startsAt: at('2026-03-08T02:00:00Z') };
    expect(postponementRefusal(contract, 'acme', regular, at('2026-03-22T02:00:00Z'), undefined, now)).toBeUndefined();
    expect(postponementRefusal(contract, 'acme', regular, at('2026-03-22T02:00:01Z'), undefined, now)?.rule).toBe('postponement-limit');
    expect(postponementRefusal(contract, 'acme', regular, at('2026-03-20T00:00:00Z'), at('2026-03-15T00:00:00Z'), now)?.rule).toBe('infrastructure-deadline');
    expect(postponementRefusal(contract, 'acme', { ...regular, change: { ...regular.change, emergency: true } }, at('2026-03-10T00:00:00Z'), undefined, now)?.rule).toBe('emergency-release');
    expect(postponementRefusal(undefined, 'acme', undefined, at('2026-03-02T00:00:00Z'), undefined, now)?.rule).toBe('postponement-limit');
  });
});

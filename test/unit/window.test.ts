import { describe, expect, it } from 'vitest';
import { isTimezone, nextWindowSlot, timeZones, windowProblems, type MaintenanceWindow } from '../../src/domain/window';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const minutes = (n: number) => n * 60_000;

describe('maintenance windows', () => {
  const berlinSaturday: MaintenanceWindow = { days: ['sat'], start: '02:30', durationMinutes: 120, timezone: 'Europe/Berlin' };

  it('finds the next weekly slot in the cell’s timezone', () => {
    // Wednesday 2026-11-18 → Saturday 2026-11-21, 02:30 CET = 01:30Z
    const slot = nextWindowSlot(at('2026-11-18T12:00:00Z'), berlinSaturday, minutes(30));
    expect(iso(slot.startsAt)).toBe('2026-11-21T01:30:00.000Z');
    expect(iso(slot.endsAt)).toBe('2026-11-21T03:30:00.000Z');
  });

  it('uses the open window when enough of it remains, from now', () => {
    const slot = nextWindowSlot(at('2026-11-21T02:00:00Z'), berlinSaturday, minutes(60));
    expect(iso(slot.startsAt)).toBe('2026-11-21T02:00:00.000Z');
  });

  it('skips the open window when less than the expected duration remains (cut-off)', () => {
    const slot = nextWindowSlot(at('2026-11-21T03:00:00Z'), berlinSaturday, minutes(60));
    expect(iso(slot.startsAt)).toBe('2026-11-28T01:30:00.000Z');
  });

  it('keeps local time across the switch to summer time', () => {
    const window: MaintenanceWindow = { days: ['sun'], start: '04:00', durationMinutes: 60, timezone: 'Europe/Berlin' };
    // 2026-03-29 is the DST switch in Europe: 04:00 local is 02:00Z (CEST), not 03:00Z.
    expect(iso(nextWindowSlot(at('2026-03-25T00:00:00Z'), window, minutes(10)).startsAt)).toBe('2026-03-29T02:00:00.000Z');
    expect(iso(nextWindowSlot(at('2026-03-20T00:00:00Z'), window, minutes(10)).startsAt)).toBe('2026-03-22T03:00:00.000Z');
  });

  it('moves a start inside the skipped hour forward by the jump', () => {
    const window: MaintenanceWindow = { days: ['sun'], start: '02:30', durationMinutes: 60, timezone: 'Europe/Berlin' };
    // 02:30 does not exist on 2026-03-29 in Berlin; 03:30 CEST = 01:30Z.
    expect(iso(nextWindowSlot(at('2026-03-28T12:00:00Z'), window, minutes(10)).startsAt)).toBe('2026-03-29T01:30:00.000Z');
  });

  it('keeps local time across the switch back in the United States', () => {
    const window: MaintenanceWindow = { days: ['sun'], start: '22:00', durationMinutes: 60, timezone: 'America/New_York' };
    // 2026-11-01 ends DST in the US: 22:00 EST = 03:00Z next day; the week before, 22:00 EDT = 02:00Z.
    expect(iso(nextWindowSlot(at('2026-10-30T00:00:00Z'), window, minutes(10)).startsAt)).toBe('2026-11-02T03:00:00.000Z');
    expect(iso(nextWindowSlot(at('2026-10-23T00:00:00Z'), window, minutes(10)).startsAt)).toBe('2026-10-26T02:00:00.000Z');
  });

  it('reports a window that can never hold the update', () => {
    expect(() => nextWindowSlot(at('2026-11-18T12:00:00Z'), berlinSaturday, minutes(180))).toThrow(/no window/);
  });

  it('names bad fields', () => {
    expect(windowProblems({ days: [], start: '25:00', durationMinutes: 10, timezone: 'Mars/Olympus' }).map((p) => p.field)).toEqual([
      'start',
      'timezone',
      'days',
    ]);
  });

  it('takes one IANA name per zone, today\'s included, and none of the other spellings Intl takes', () => {
    const zones = timeZones();
    expect(zones).toEqual(expect.arrayContaining(['UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Europe/Kyiv', 'Asia/Calcutta']));
    expect(zones.every(isTimezone)).toBe(true);
    for (const other of ['US/Pacific', 'EST', 'europe/berlin', '+01:00', 'Etc/UTC', 'Mars/Olympus']) expect(zones, other).not.toContain(other);
    expect(windowProblems({ days: ['mon'], start: '02:00', durationMinutes: 60, timezone: 'US/Pacific' })).toEqual([{ field: 'timezone', reason: 'unknown IANA timezone US/Pacific' }]);
  });
});

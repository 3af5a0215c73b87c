// Weekly maintenance windows in the cell's own timezone, correct across DST changes.
// Pure arithmetic on epoch milliseconds, so workflows can use it with their deterministic clock.
import type { MaintenanceWindow } from './schemas/cell';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

// The window's shape is a TypeBox schema (./schemas/cell.ts); this is its type.
export type { MaintenanceWindow } from './schemas/cell';

export interface WindowSlot {
  startsAt: number;
  endsAt: number;
}

const START = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

export function windowProblems(window: MaintenanceWindow): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  if (!START.test(window.start)) problems.push({ field: 'start', reason: 'must be a local time HH:MM or HH:MM:SS' });
  if (!timeZones().includes(window.timezone)) problems.push({ field: 'timezone', reason: `unknown IANA timezone ${window.timezone}` });
  if (window.days.length === 0) problems.push({ field: 'days', reason: 'must name at least one weekday' });
  return problems;
}

/**
 * IANA's current names for zones ICU's list still gives under an older one (Asia/Calcutta):
 * accepted by Intl, absent from `Intl.supportedValuesOf` (the tz database's zone1970.tab against
 * ICU 78's list). A name here is the one people type today.
 */
const RENAMED_ZONES = [
  'America/Argentina/Buenos_Aires', 'America/Argentina/Catamarca', 'America/Argentina/Cordoba', 'America/Argentina/Jujuy', 'America/Argentina/Mendoza',
  'America/Indiana/Indianapolis', 'America/Kentucky/Louisville', 'America/Nuuk', 'Asia/Ho_Chi_Minh', 'Asia/Kathmandu', 'Asia/Kolkata', 'Asia/Yangon',
  'Atlantic/Faroe', 'Europe/Kyiv', 'Pacific/Kanton',
];

let zones: readonly string[] | undefined;

/**
 * The time zones a maintenance window may name, as the API's schema lists them: this runtime's
 * IANA names, UTC, and the current names above. Aliases (US/Pacific), abbreviations (EST) and
 * offsets (+01:00), which Intl also takes, are not: one name per zone, as a client can list them.
 */
export function timeZones(): readonly string[] {
  zones ??= [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone'), ...RENAMED_ZONES.filter(isTimezone)])].sort();
  return zones;
}

export function isTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first window slot in which an update of `expectedMs` still fits: the slot that is open now
 * when enough of it remains (the cut-off), otherwise the next one. `startsAt` is never before `now`.
 */
export function nextWindowSlot(now: number, window: MaintenanceWindow, expectedMs: number): WindowSlot {
  const durationMs = window.durationMinutes * 60_000;
  const [hour, minute, second] = window.start.split(':').map(Number);
  const today = localDate(now, window.timezone);
  // Start one day back: a window that opened yesterday may still be open.
  for (let offset = -1; offset <= 15; offset++) {
    const day = addDays(today, offset);
    if (!window.days.includes(WEEKDAYS[weekday(day)])) continue;
    const startsAt = zonedToEpoch(day, hour, minute, second ?? 0, window.timezone);
    const endsAt = startsAt + durationMs;
    const from = Math.max(now, startsAt);
    if (endsAt - from >= expectedMs) return { startsAt: from, endsAt };
  }
  throw new RangeError(`no window of ${window.durationMinutes} min can hold an update of ${Math.ceil(expectedMs / 60_000)} min`);
}

interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

function localDate(epoch: number, timezone: string): LocalDate {
  const parts = zonedParts(epoch, timezone);
  return { year: parts.year, month: parts.month, day: parts.day };
}

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function weekday(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

/** Local wall-clock time → epoch. A time skipped by a DST jump moves forward by the jump. */
export function zonedToEpoch(date: LocalDate, hour: number, minute: number, second: number, timezone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute, second);
  const first = wall - offsetAt(wall, timezone);
  const second_ = wall - offsetAt(first, timezone);
  if (first === second_) return first;
  // A wall time skipped by a DST jump has no valid instant: take the later candidate.
  const valid = [first, second_].filter((t) => wallClock(t, timezone) === wall);
  return valid.length > 0 ? Math.min(...valid) : Math.max(first, second_);
}

function offsetAt(epoch: number, timezone: string): number {
  return wallClock(epoch, timezone) - Math.floor(epoch / 1000) * 1000;
}

function wallClock(epoch: number, timezone: string): number {
  const p = zonedParts(epoch, timezone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

const formatters: Record<string, Intl.DateTimeFormat> = {};

function zonedParts(epoch: number, timezone: string) {
  formatters[timezone] ??= new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const values: Record<string, number> = {};
  for (const part of formatters[timezone].formatToParts(new Date(epoch))) {
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  }
  return values as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

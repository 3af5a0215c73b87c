// The window-aware scheduler on a simulated clock: a ring of 1,000 cells whose windows spread over
// 24 hours in six time zones, planned by the same function the rollout runs (domain/schedule.ts),
// against the lower bound the windows and the limit allow (no cell before its first window, no more
// than `maxConcurrent` at once). With `contract`, the cells' change contracts too: a tenth in a
// blackout over the first day, a fifth owed three days of notice (told when the rollout starts), one
// in twenty postponed two days; the lower bound then starts each cell where its contract lets it.
import type { ContractFacts } from '../src/domain/contract';
import { planRing, ringLowerBound, type SchedulableCell } from '../src/domain/schedule';
import { WEEKDAYS } from '../src/domain/window';

const ZONES = ['America/Los_Angeles', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Tokyo', 'Australia/Sydney'];

export interface ScheduleFigures {
  cells: number;
  windowMinutes: number;
  expectedMinutes: number;
  contract: boolean;
  cases: { maxConcurrent: number; hours: number; lowerBoundHours: number; ratio: number; planMs: number }[];
}

export function scheduleCase(cells = 1000, windowMinutes = 240, expectedMinutes = 20, contract = false): ScheduleFigures {
  const startsAt = Date.UTC(2026, 11, 2, 12, 0);
  const fleet: SchedulableCell[] = Array.from({ length: cells }, (_, i) => {
    const minuteOfDay = Math.floor((i * 1440) / cells);
    const start = `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
    const id = `s-${String(i).padStart(4, '0')}`;
    return { id, window: { days: [...WEEKDAYS], start, durationMinutes: windowMinutes, timezone: ZONES[i % ZONES.length] }, expectedMs: expectedMinutes * 60_000, ...(contract ? { contract: contractOf(id, i, startsAt) } : {}) };
  });
  const cases = [20, 50].map((maxConcurrent) => {
    const policy = { maxConcurrent, ignoreWindows: false };
    const began = performance.now();
    const plan = planRing(fleet, policy, startsAt);
    const planMs = performance.now() - began;
    const bound = ringLowerBound(fleet, policy, startsAt);
    return { maxConcurrent, hours: (plan.endsAt - startsAt) / 3_600_000, lowerBoundHours: (bound - startsAt) / 3_600_000, ratio: (plan.endsAt - startsAt) / (bound - startsAt), planMs };
  });
  return { cells, windowMinutes, expectedMinutes, contract, cases };
}

const DAY = 86_400_000;

function contractOf(id: string, i: number, startsAt: number): ContractFacts {
  return {
    blackouts: i % 10 === 3 ? [{ id: `b-${id}`, cellId: id, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + DAY).toISOString(), scope: 'all-but-emergency', setBy: 'bench', reason: 'a day of blackout' }] : [],
    noticeMs: i % 5 === 1 ? 3 * DAY : 0,
    noticeGivenAt: startsAt,
    ...(i % 20 === 7 ? { postponedUntil: startsAt + 2 * DAY } : {}),
    change: { version: '2.1.0', breaking: false, emergency: false },
  };
}

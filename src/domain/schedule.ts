// Window-aware scheduling of a ring's cells: a sliding limit of cells in flight, each cell starting
// when its own maintenance window opens (earliest first), a waiting cell taking no slot. One pure
// function decides what starts now; the rollout calls it at every cell's end and every window's
// opening, and the plan calls it over a simulated clock, so the two cannot disagree.
import { nextStart, type ContractFacts } from './contract';
import { nextWindowSlot, type MaintenanceWindow } from './window';

export interface SchedulableCell {
  id: string;
  window: MaintenanceWindow;
  /** how long its update is expected to take (its expectedUpdateMinutes) */
  expectedMs: number;
  /** what its change contract adds (blackouts, notice, postponement), as its records said when it was listed; absent: its window alone (rollouts started before 0.3.0) */
  contract?: ContractFacts;
}

export interface CanarySettings {
  /** how many cells go first, alone … */
  cells?: number;
  /** … or which share of the ring, in percent (at least one cell) */
  percent?: number;
  /** how long the canaries bake before the ring's health check and the rest */
  bakeMinutes: number;
}

export interface RingPolicy {
  /** cells in flight at once (a sliding limit, not a barrier) */
  maxConcurrent: number;
  canary?: CanarySettings;
  /** an urgent fix (`window: "now"`): every cell may start at once */
  ignoreWindows: boolean;
  /** epoch ms after which no cell starts: a cell whose window opens later is held */
  deadline?: number;
}

export interface StartDecision {
  /** the cells to start now, in order */
  start: string[];
  /** when to look again if no cell ends first: the next window opening among the waiting cells */
  wakeAt?: number;
  /** cells that cannot start before the deadline (or ever: no window holds their update) */
  held: { id: string; reason: string }[];
}

/** When a cell may start, at `now` or later (now if its window is open with room for its update, else when its next one opens), and when that window closes. */
export function slotOf(cell: SchedulableCell, now: number, ignoreWindows: boolean): { startsAt: number; endsAt: number } {
  if (ignoreWindows && !cell.contract) return { startsAt: now, endsAt: Number.POSITIVE_INFINITY };
  // A slot found before stays the answer until its cut-off passes: until then the cell's next
  // opening cannot change. Reading windows (time zones) is the costly part of a large ring's plan.
  const known = slots.get(cell);
  if (known && now + cell.expectedMs <= known.endsAt) return { startsAt: Math.max(now, known.startsAt), endsAt: known.endsAt };
  const slot = cell.contract ? contractSlot(cell, now, ignoreWindows) : nextWindowSlot(now, cell.window, cell.expectedMs);
  slots.set(cell, slot);
  return slot;
}

/** The first slot the cell's contract allows (src/domain/contract.ts); a held cell throws its reason, as a window too short does. */
function contractSlot(cell: SchedulableCell, now: number, ignoreWindows: boolean): { startsAt: number; endsAt: number } {
  const answer = nextStart({ window: cell.window, expectedMs: cell.expectedMs, ignoreWindows, ...cell.contract! }, now);
  if ('held' in answer) throw new RangeError(answer.held.reason);
  return { startsAt: answer.startsAt, endsAt: answer.endsAt };
}

/** Each cell's last slot found (pure: the same cell and clock always give the same slot). */
const slots = new WeakMap<SchedulableCell, { startsAt: number; endsAt: number }>();

export function opensAt(cell: SchedulableCell, now: number, ignoreWindows: boolean): number {
  return slotOf(cell, now, ignoreWindows).startsAt;
}

/**
 * Which of a ring's waiting cells start now, with `running` of them in flight: as many as the free
 * slots allow among those whose window is open, the one whose window closes first first (ties by
 * id), so a short window is not spent waiting behind a long one.
 */
export function startNow(waiting: SchedulableCell[], running: number, now: number, policy: RingPolicy): StartDecision {
  const held: StartDecision['held'] = [];
  const ready: { id: string; closes: number }[] = [];
  let wakeAt: number | undefined;
  for (const cell of waiting) {
    let slot: { startsAt: number; endsAt: number };
    try {
      slot = slotOf(cell, now, policy.ignoreWindows);
    } catch (err) {
      held.push({ id: cell.id, reason: (err as Error).message });
      continue;
    }
    const at = slot.startsAt;
    if (policy.deadline !== undefined && at > policy.deadline) {
      held.push({ id: cell.id, reason: `its next window opens at ${new Date(at).toISOString()}, after the rollout's deadline ${new Date(policy.deadline).toISOString()}` });
    } else if (at <= now) {
      ready.push({ id: cell.id, closes: slot.endsAt });
    } else {
      wakeAt = Math.min(wakeAt ?? at, at);
    }
  }
  ready.sort((a, b) => (a.closes === b.closes ? 0 : a.closes < b.closes ? -1 : 1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const free = Math.max(0, policy.maxConcurrent - running);
  return { start: ready.slice(0, free).map((c) => c.id), ...(wakeAt !== undefined ? { wakeAt } : {}), held };
}

/** The ring's canaries: the first cells whose windows open, as many as the canary asks (at least one). */
export function canaryCells(cells: SchedulableCell[], now: number, policy: RingPolicy): string[] {
  if (!policy.canary || cells.length === 0) return [];
  const count = Math.min(cells.length, Math.max(1, policy.canary.cells ?? Math.ceil(((policy.canary.percent ?? 0) / 100) * cells.length)));
  const order = cells
    .map((cell) => {
      try {
        return { id: cell.id, at: opensAt(cell, now, policy.ignoreWindows) };
      } catch {
        return { id: cell.id, at: Number.POSITIVE_INFINITY };
      }
    })
    .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  return order.slice(0, count).map((c) => c.id);
}

export interface PlannedCell {
  id: string;
  canary?: boolean;
  startsAt: number;
  endsAt: number;
}

export interface RingPlan {
  cells: PlannedCell[];
  held: { id: string; reason: string }[];
  /** when the canaries have baked, for a ring with a canary */
  bakedAt?: number;
  startsAt: number;
  endsAt: number;
}

/**
 * A ring's schedule on a simulated clock from `startsAt`, every update taking its expected time:
 * canaries first (alone, up to their number at once), their bake, then the rest, each step decided
 * by `startNow` exactly as the rollout decides it.
 */
export function planRing(cells: SchedulableCell[], policy: RingPolicy, startsAt: number): RingPlan {
  const planned: PlannedCell[] = [];
  const held: RingPlan['held'] = [];
  const canaries = new Set(canaryCells(cells, startsAt, policy));
  let clock = startsAt;
  let bakedAt: number | undefined;
  const phases = canaries.size > 0 ? [cells.filter((c) => canaries.has(c.id)), cells.filter((c) => !canaries.has(c.id))] : [cells];
  for (const [i, phase] of phases.entries()) {
    const limit = canaries.size > 0 && i === 0 ? Math.min(policy.maxConcurrent, canaries.size) : policy.maxConcurrent;
    clock = runPhase(phase, { ...policy, maxConcurrent: limit }, clock, planned, held);
    if (canaries.size > 0 && i === 0) clock = bakedAt = clock + policy.canary!.bakeMinutes * 60_000;
  }
  const endsAt = Math.max(startsAt, bakedAt ?? startsAt, ...planned.map((c) => c.endsAt));
  for (const cell of planned) if (canaries.has(cell.id)) cell.canary = true;
  return { cells: planned, held, ...(bakedAt !== undefined ? { bakedAt } : {}), startsAt, endsAt };
}

/** One phase on the simulated clock; returns when its last cell ends. */
function runPhase(cells: SchedulableCell[], policy: RingPolicy, from: number, planned: PlannedCell[], held: RingPlan['held']): number {
  const byId = new Map(cells.map((c) => [c.id, c]));
  let waiting = [...cells];
  let running: number[] = []; // end times
  let clock = from;
  let last = from;
  while (waiting.length > 0 || running.length > 0) {
    const decision = startNow(waiting, running.length, clock, policy);
    held.push(...decision.held);
    const gone = new Set([...decision.start, ...decision.held.map((h) => h.id)]);
    for (const id of decision.start) {
      const endsAt = clock + byId.get(id)!.expectedMs;
      planned.push({ id, startsAt: clock, endsAt });
      running.push(endsAt);
      last = Math.max(last, endsAt);
    }
    waiting = waiting.filter((c) => !gone.has(c.id));
    if (waiting.length === 0 && running.length === 0) break;
    const next = Math.min(...running, decision.wakeAt ?? Number.POSITIVE_INFINITY);
    if (!Number.isFinite(next)) break; // nothing runs and nothing opens: every waiting cell was held
    clock = next;
    running = running.filter((end) => end > clock);
  }
  return last;
}

/**
 * The least a ring can take: no cell before its first window, no more than `maxConcurrent` at once.
 * A benchmark's yardstick for the scheduler (the plan should come within a few percent of it).
 */
export function ringLowerBound(cells: SchedulableCell[], policy: RingPolicy, startsAt: number): number {
  const earliestEnds = cells.map((c) => opensAt(c, startsAt, policy.ignoreWindows) + c.expectedMs);
  const work = cells.reduce((sum, c) => sum + c.expectedMs, 0);
  return Math.max(startsAt + work / Math.max(1, policy.maxConcurrent), ...earliestEnds);
}

export interface RingFleet {
  ring: string;
  /** the ring's cells that would take the release */
  cells: SchedulableCell[];
  /** cells that would not, with the reason (drifted, out of SLA, agent offline, no upgrade path) */
  held: { id: string; reason: string }[];
}

export interface RolloutPlanSettings {
  policy: RingPolicy;
  /** the bake after each ring but the last, before its health check */
  bakeMs: number;
  approvalBetweenRings: boolean;
}

export interface RingPlanned extends RingPlan {
  ring: string;
  /** the next ring waits for an operator's approval after this one (the plan assumes it comes at once) */
  waitsForApproval: boolean;
}

/** The rollout's schedule: rings in order, each from the previous one's end and bake (approvals taken as immediate). */
export function planRollout(fleet: RingFleet[], settings: RolloutPlanSettings, startsAt: number): { rings: RingPlanned[]; endsAt: number } {
  const rings: RingPlanned[] = [];
  let clock = startsAt;
  for (const [i, ring] of fleet.entries()) {
    const plan = planRing(ring.cells, settings.policy, clock);
    const last = i === fleet.length - 1;
    rings.push({ ring: ring.ring, ...plan, held: [...ring.held, ...plan.held], waitsForApproval: !last && settings.approvalBetweenRings });
    clock = plan.endsAt + (last ? 0 : settings.bakeMs);
  }
  return { rings, endsAt: rings.at(-1)?.endsAt ?? startsAt };
}

// The customer's change contract decides when an update of a cell may start: its maintenance
// window, blackouts (the cell's and fleet-wide freezes), the notice it is owed, a postponement, its
// SLA and its agent. One pure function answers, for a cell and a moment, the first moment an
// update may start and what held it until then; the rollout, its plan, a cell's plan and the
// update's own wait all ask it, so none can disagree. Pure arithmetic on epoch milliseconds, so
// workflows use it with their deterministic clock.
import type { BlackoutScope, CellContract } from './schemas/contract';
import { compareVersions } from './version';
import { nextWindowSlot, type MaintenanceWindow } from './window';

export type { BlackoutScope, CellContract } from './schemas/contract';

/** A period in which (some) updates may not run: a cell's own, or a fleet-wide freeze (no cellId). */
export interface Blackout {
  id: string;
  /** absent: a freeze of the whole fleet */
  cellId?: string;
  startsAt: string;
  endsAt: string;
  scope: BlackoutScope;
  setBy: string;
  reason: string;
}

/** The change an update makes, as the contract tells it apart. */
export interface ChangeKind {
  version: string;
  breaking: boolean;
  /** an emergency release, as an admin marked it: it overrides windows, postponements and blackouts but `all` */
  emergency: boolean;
}

/** A release as the contract tells it apart (an emergency is one an admin marked). */
export function changeOf(release: { version: string; breaking?: boolean; emergency?: unknown }): ChangeKind {
  return { version: release.version, breaking: release.breaking === true, emergency: release.emergency !== undefined && release.emergency !== null };
}

/** Everything the decision reads: plain data, read once by whoever asks. */
export interface ChangeFacts {
  window: MaintenanceWindow;
  expectedMs: number;
  /** an update asked to run now (`window: "now"`): no window to wait for */
  ignoreWindows?: boolean;
  /** the cell's blackouts and the fleet's freezes */
  blackouts: readonly Blackout[];
  /** how much notice the cell is owed before an update starts */
  noticeMs: number;
  /** when the cell was told of this update (absent: it has not been yet; telling it now is assumed) */
  noticeGivenAt?: number;
  /** no update starts before this (the customer postponed) */
  postponedUntil?: number;
  change: ChangeKind;
  /** an overdue infrastructure update holds app updates */
  sla?: string;
  /** an agent cell's agent, as last seen */
  agent?: 'online' | 'offline' | 'never-seen';
  /** each update waits for the customer's approval, up to a deadline (the update's wait; not a start time) */
  approval?: CellContract['approval'];
}

/** What the contract adds to a cell's window and expected time, as its records say: read by whoever asks. */
export type ContractFacts = Omit<ChangeFacts, 'window' | 'expectedMs' | 'ignoreWindows'>;

export type HoldRule = 'window' | 'blackout' | 'notice' | 'postponement' | 'sla' | 'agent';

/** What keeps an update from starting: the rule, in words, and until when (absent: until something changes). */
export interface Hold {
  rule: HoldRule;
  reason: string;
  until?: number;
}

export type StartAnswer =
  /** the first moment it may start (≥ now), when its slot closes, and what it waited for before */
  | { startsAt: number; endsAt: number; waits: Hold[] }
  /** it cannot start until something changes (its SLA, its agent, a window too short for it) */
  | { held: Hold };

/** How many blackouts, postponements and windows one answer steps over at most: a contract that needs more is held. */
const MAX_STEPS = 200;

/** Whether a blackout keeps this change out: `all` every change, `all-but-emergency` all but emergencies, `breaking` breaking releases but emergencies. */
export function blackoutApplies(blackout: Pick<Blackout, 'scope'>, change: ChangeKind): boolean {
  if (blackout.scope === 'all') return true;
  if (change.emergency) return false;
  return blackout.scope === 'all-but-emergency' || change.breaking;
}

/**
 * The first moment from `now` an update may start under the contract, and what it waits for until
 * then; or why it is held. An update that starts must also end before a blackout that applies:
 * a slot whose update would run into one is passed over.
 */
export function nextStart(facts: ChangeFacts, now: number): StartAnswer {
  const { change } = facts;
  if (facts.sla === 'out-of-sla' && !change.emergency) return { held: { rule: 'sla', reason: 'out of SLA: an overdue infrastructure update holds app updates' } };
  if (facts.agent && facts.agent !== 'online') return { held: { rule: 'agent', reason: `its agent is ${facts.agent}` } };
  const waits: Hold[] = [];
  let from = now;
  // An emergency tells the cell at once and waits for neither its notice nor a postponement.
  if (!change.emergency) {
    const noticeEnds = (facts.noticeGivenAt ?? now) + facts.noticeMs;
    if (noticeEnds > from) {
      from = noticeEnds;
      waits.push({ rule: 'notice', reason: `${Math.round(facts.noticeMs / 3_600_000)} h of notice, given ${new Date(facts.noticeGivenAt ?? now).toISOString()}`, until: noticeEnds });
    }
    if (facts.postponedUntil !== undefined && facts.postponedUntil > from) {
      from = facts.postponedUntil;
      waits.push({ rule: 'postponement', reason: `postponed until ${new Date(facts.postponedUntil).toISOString()}`, until: facts.postponedUntil });
    }
  }
  const ignoreWindows = facts.ignoreWindows === true || change.emergency;
  const blackouts = facts.blackouts
    .filter((b) => blackoutApplies(b, change))
    .map((b) => ({ ...b, from: Date.parse(b.startsAt), to: Date.parse(b.endsAt) }))
    .filter((b) => b.to > from)
    .sort((a, b) => a.from - b.from);
  for (let step = 0; step < MAX_STEPS; step++) {
    let slot: { startsAt: number; endsAt: number };
    try {
      slot = ignoreWindows ? { startsAt: from, endsAt: Number.POSITIVE_INFINITY } : nextWindowSlot(from, facts.window, facts.expectedMs);
    } catch (err) {
      return { held: { rule: 'window', reason: (err as Error).message } };
    }
    // The update runs from its start for its expected time: a blackout in that time pushes it past the blackout.
    const runsUntil = slot.startsAt + Math.max(facts.expectedMs, 1);
    const blocking = blackouts.find((b) => b.from < runsUntil && b.to > slot.startsAt);
    if (!blocking) {
      if (slot.startsAt > now && !ignoreWindows && !waits.some((w) => w.until === slot.startsAt)) waits.push({ rule: 'window', reason: `its window opens ${new Date(slot.startsAt).toISOString()}`, until: slot.startsAt });
      return { startsAt: slot.startsAt, endsAt: slot.endsAt, waits };
    }
    waits.push({ rule: 'blackout', reason: `${blocking.cellId ? 'a blackout' : 'a fleet-wide freeze'} (${blocking.scope}) until ${blocking.endsAt}: ${blocking.reason}`, until: blocking.to });
    from = blocking.to;
  }
  return { held: { rule: 'blackout', reason: `no window clear of blackouts in the next ${MAX_STEPS} tries` } };
}

/** What held an update, as people and the API read it: each rule, why, and until when (ISO 8601). */
export function shownHolds(holds: readonly Hold[]): { rule: HoldRule | 'approval'; reason: string; until?: string }[] {
  return holds.map((h) => ({ rule: h.rule, reason: h.reason, ...(h.until !== undefined ? { until: new Date(h.until).toISOString() } : {}) }));
}

/** Whether an update may start at `now`, and if not, why and when to look again. */
export function mayStart(facts: ChangeFacts, now: number): { ok: true; endsAt: number } | { ok: false; hold: Hold; retryAt?: number } {
  const answer = nextStart(facts, now);
  if ('held' in answer) return { ok: false, hold: answer.held };
  if (answer.startsAt <= now) return { ok: true, endsAt: answer.endsAt };
  const first = answer.waits[0] ?? { rule: 'window' as const, reason: 'its window is closed' };
  return { ok: false, hold: first, retryAt: answer.startsAt };
}

/** A rule of the contract a person's request breaks: the API answers 409 naming it. */
export interface ContractRefusal {
  rule: 'customer-blackouts' | 'blackout-notice' | 'blackout-allowance' | 'emergency-override' | 'postponement-limit' | 'infrastructure-deadline' | 'emergency-release';
  reason: string;
}

const DAY_MS = 86_400_000;

/** The calendar quarters (UTC) a period touches, each as [start, end). */
function quarters(from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  const start = new Date(from);
  let q = Date.UTC(start.getUTCFullYear(), Math.floor(start.getUTCMonth() / 3) * 3, 1);
  while (q < to) {
    const d = new Date(q);
    const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 3, 1);
    out.push([q, next]);
    q = next;
  }
  return out;
}

/**
 * Whether the cell's customer may set this blackout under the contract: the contract lets the
 * customer set blackouts at all, it starts at least the minimum notice ahead, it does not hold
 * emergencies (scope `all` is the operator's), and the customer's blackouts stay within the days
 * allowed in each calendar quarter it touches.
 */
export function customerBlackoutRefusal(contract: CellContract | undefined, cellId: string, existing: readonly Pick<Blackout, 'startsAt' | 'endsAt'>[], proposed: Pick<Blackout, 'startsAt' | 'endsAt' | 'scope'>, now: number): ContractRefusal | undefined {
  const policy = contract?.customerBlackouts;
  if (!policy) return { rule: 'customer-blackouts', reason: `the contract of ${cellId} lets its customer set no blackouts` };
  if (proposed.scope === 'all') return { rule: 'emergency-override', reason: 'a customer blackout cannot hold emergency releases: its scope is breaking or all-but-emergency' };
  const from = Date.parse(proposed.startsAt);
  const to = Date.parse(proposed.endsAt);
  if (from < now + policy.minNoticeDays * DAY_MS) return { rule: 'blackout-notice', reason: `a blackout of ${cellId} starts at least ${policy.minNoticeDays} days ahead (from ${new Date(now + policy.minNoticeDays * DAY_MS).toISOString()})` };
  for (const [qFrom, qTo] of quarters(from, to)) {
    const days = (b: Pick<Blackout, 'startsAt' | 'endsAt'>) => Math.max(0, Math.min(qTo, Date.parse(b.endsAt)) - Math.max(qFrom, Date.parse(b.startsAt))) / DAY_MS;
    const used = existing.reduce((sum, b) => sum + days(b), 0);
    const wanted = days(proposed);
    if (used + wanted > policy.maxDaysPerQuarter + 1e-9) {
      const quarter = `${new Date(qFrom).getUTCFullYear()}-Q${Math.floor(new Date(qFrom).getUTCMonth() / 3) + 1}`;
      return { rule: 'blackout-allowance', reason: `the customer of ${cellId} may set ${policy.maxDaysPerQuarter} days of blackout in ${quarter}: ${round(used)} used, ${round(wanted)} asked` };
    }
  }
  return undefined;
}

function round(days: number): string {
  return (Math.round(days * 10) / 10).toString();
}

/**
 * Whether the cell's customer may postpone its next update until `until`: it is no emergency,
 * `until` is within the contract's days past the update's first allowed start (past now when none
 * is scheduled yet: the postponement holds the next one), and before the cell's infrastructure
 * deadline.
 */
export function postponementRefusal(contract: CellContract | undefined, cellId: string, scheduled: { change: ChangeKind; startsAt?: number } | undefined, until: number, infraDeadline: number | undefined, now: number): ContractRefusal | undefined {
  if (scheduled?.change.emergency) return { rule: 'emergency-release', reason: `release ${scheduled!.change.version} is an emergency release: it is not postponed` };
  const maxDays = contract?.postponement?.maxDays ?? 0;
  const base = Math.max(now, scheduled?.startsAt ?? now);
  if (until > base + maxDays * DAY_MS) return { rule: 'postponement-limit', reason: maxDays === 0 ? `the contract of ${cellId} allows no postponement` : `the contract of ${cellId} allows postponing up to ${maxDays} days past ${new Date(base).toISOString()}` };
  if (infraDeadline !== undefined && until > infraDeadline) return { rule: 'infrastructure-deadline', reason: `${cellId} has an infrastructure update due by ${new Date(infraDeadline).toISOString()}: no postponement past it` };
  return undefined;
}

/** A version's minor line, as numbers: [2, 1] of 2.1.3. */
function minorLine(version: string): [number, number] {
  const [major, minor] = version.split(/[.+-]/).map(Number);
  return [major ?? 0, minor ?? 0];
}

function compareLines(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * The newest release a cell that follows its ring `lag` minor versions behind may run, among the
 * releases its ring sees: the newest of the minor line `lag` lines before the newest line (2.0.x
 * while the ring has 2.1.x, with lag 1). Undefined when the ring has no line that far back.
 */
export function laggedTarget<T extends { version: string }>(visible: readonly T[], lag: number): T | undefined {
  const sorted = [...visible].sort((a, b) => compareVersions(a.version, b.version));
  if (lag <= 0) return sorted.at(-1);
  const lines: [number, number][] = [];
  for (const r of sorted) {
    const l = minorLine(r.version);
    if (lines.length === 0 || compareLines(lines.at(-1)!, l) !== 0) lines.push(l);
  }
  const allowed = lines.at(-1 - lag);
  if (!allowed) return undefined;
  return sorted.filter((r) => compareLines(minorLine(r.version), allowed) <= 0).at(-1);
}

/** Why a cell that lags its ring may not take `version` (newer than its line), or undefined when it may. */
export function lagRefusal(version: string, visible: readonly { version: string }[], lag: number): string | undefined {
  if (lag <= 0) return undefined;
  const target = laggedTarget(visible, lag);
  if (target && compareLines(minorLine(version), minorLine(target.version)) <= 0) return undefined;
  const newest = laggedTarget(visible, 0);
  return `the cell follows its ring ${lag} minor version${lag === 1 ? '' : 's'} behind: ${version} is ahead of its line (${target ? `${minorLine(target.version).join('.')}.x, newest ${target.version}` : 'none yet'}; the ring's newest is ${newest?.version ?? 'none'})`;
}

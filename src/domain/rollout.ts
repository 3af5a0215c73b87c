import type { CellConnection } from './agent';
import type { ClusterRef } from './cell';
import type { ReleaseVeto, Ring } from './release';
import type { CanarySettings, RingPolicy } from './schedule';

export interface WaveSettings {
  /** cells updated at the same time within a ring */
  maxConcurrent: number;
  /** failures that halt the rollout (absolute) … */
  maxFailures?: number;
  /** … or as a share of the rollout's cells, in percent */
  maxFailurePercent?: number;
}

export interface RolloutInput {
  id: string;
  version: string;
  rings: Ring[];
  waves: WaveSettings;
  /** wait after a ring, then check its health, before the next ring */
  bakeSeconds: number;
  approvalBetweenRings: boolean;
  /** `now`: each cell updates at once, not in its next maintenance window */
  window?: 'now';
  /** per ring: the first cells go alone and bake before the rest */
  canary?: CanarySettings;
  /** ISO time after which no cell starts */
  deadline?: string;
  /** over its failure budget, the rollout vetoes its release instead of halting */
  autoVeto?: boolean;
  /** takes the cells that run `version` back to the version each ran before (after a veto) */
  rollback?: boolean;
  requestedBy: string;
}

/** How a ring's cells are scheduled, from the rollout's settings: the same for the rollout and its plan. */
export function ringPolicy(input: Pick<RolloutInput, 'waves' | 'window' | 'canary' | 'deadline'>): RingPolicy {
  return {
    maxConcurrent: input.waves.maxConcurrent,
    ignoreWindows: input.window === 'now',
    ...(input.canary ? { canary: input.canary } : {}),
    ...(input.deadline ? { deadline: Date.parse(input.deadline) } : {}),
  };
}

export type CellRolloutState = 'pending' | 'running' | 'succeeded' | 'failed' | 'held' | 'rolled-back';
export type RingRolloutState = 'pending' | 'running' | 'baking' | 'waiting-approval' | 'done' | 'halted' | 'aborted';
export type RolloutStatus = 'running' | 'paused' | 'halted' | 'waiting-approval' | 'succeeded' | 'aborted' | 'vetoed';

export interface CellRollout {
  id: string;
  state: CellRolloutState;
  startedAt?: string;
  endedAt?: string;
  error?: string;
}

export interface RingRollout {
  ring: Ring;
  state: RingRolloutState;
  /** known once the ring starts: the cells registered in it then */
  cells?: CellRollout[];
  startedAt?: string;
  endedAt?: string;
  health?: string;
  /** the ring's canaries, chosen when it started (the first windows to open) */
  canaries?: string[];
  /** the canaries have baked and passed the health check: the rest of the ring follows */
  canariesBaked?: boolean;
}

export interface RolloutCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  held: number;
}

export interface RolloutProgress {
  id: string;
  version: string;
  status: RolloutStatus;
  rings: RingRollout[];
  counts: RolloutCounts;
  /** failures the budget allows before halting (grows by the budget on each resume) */
  failuresAllowed: number;
  haltReason?: string;
  /** its release was vetoed: no cell started since, the cells in flight then finished */
  veto?: ReleaseVeto;
  /** a rollback of the cells on `version` to the versions they ran before */
  rollback?: boolean;
  actions: { action: string; by: string; at: string; reason?: string }[];
  startedAt: string;
  endedAt?: string;
}

export function waves<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** How many failures halt the rollout, given how many cells it covers. */
export function failureBudget(settings: WaveSettings, totalCells: number): number {
  const budgets = [settings.maxFailures, settings.maxFailurePercent === undefined ? undefined : Math.floor((settings.maxFailurePercent / 100) * totalCells)];
  const set = budgets.filter((b): b is number => b !== undefined);
  return set.length === 0 ? 0 : Math.min(...set);
}

export function countCells(rings: RingRollout[]): RolloutCounts {
  const counts: RolloutCounts = { pending: 0, running: 0, succeeded: 0, failed: 0, held: 0 };
  for (const ring of rings) {
    for (const cell of ring.cells ?? []) {
      if (cell.state === 'rolled-back') counts.succeeded++;
      else counts[cell.state]++;
    }
  }
  return counts;
}

/** The largest number of cells whose [startedAt, endedAt] intervals overlap at any instant. */
export function maxOverlap(cells: CellRollout[]): number {
  const events: [number, number][] = [];
  for (const cell of cells) {
    if (!cell.startedAt) continue;
    events.push([Date.parse(cell.startedAt), 1]);
    events.push([cell.endedAt ? Date.parse(cell.endedAt) : Number.POSITIVE_INFINITY, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of events) max = Math.max(max, (current += delta));
  return max;
}

/** How a cell of a rollout ended: told by its controller, or found when the rollout asked it. */
export interface CellOutcome {
  cellId: string;
  /** held: the cell could not take the release now (drifted, updates held for an overdue infrastructure update) */
  outcome: 'succeeded' | 'failed' | 'held';
  error?: string;
  at: string;
  /** where an updated cell runs: the ring's health check reaches it without asking its controller */
  cluster?: ClusterRef;
  /** an updated agent cell: its health is checked through its agent */
  connection?: CellConnection;
  /** the first run of the rollout that asked (told by a controller): a rollout takes only answers to its own requests */
  run?: string;
}

import type { AgentRegistration } from './agent';
import type { CellFlag } from './flags';
import type { SlaStatus } from './infra';
import type { CellOutcome } from './rollout';
import type { CellSpec, ClusterRef } from './schemas/cell';
import type { UpdateKind } from './update';

// A cell's spec and cluster reference are TypeBox schemas (./schemas/cell.ts); these are their types.
export type { CellSpec, ClusterRef, KubernetesClusterRef, SimulatedClusterRef } from './schemas/cell';

/** The version a simulated cluster starts with; a real cluster says for itself what it runs. */
export function initialVersionOf(ref: ClusterRef): string | undefined {
  return ref.kind === 'simulated' ? ref.initialVersion : undefined;
}

export const DEFAULT_CHECK_INTERVAL_SECONDS = 3600;

export type CellState = 'awaiting-agent' | 'registering' | 'installing' | 'ready' | 'updating' | 'drifted' | 'install-failed' | 'registration-failed' | 'removing' | 'removed';

export interface VersionHistoryEntry {
  version: string;
  fromVersion?: string;
  at: string;
  updateId?: string;
  strategy?: UpdateKind;
  result: 'registered' | 'succeeded' | 'rolled-back' | 'cancelled' | 'rejected' | 'failed' | 'drift-accepted';
}

export interface CellRemoval {
  by: string;
  at: string;
  reason?: string;
  /** the update that ran when the removal was asked for, cancelled first (it compensated) */
  cancelledUpdate?: string;
}

/** Maintenance mode as the controller last read or set it. */
export interface Maintenance {
  enabled: boolean;
  /** on with no update running: since when the controller has found it so, and how */
  leftOn?: { since: string; reason: string };
}

export interface CurrentUpdate {
  id: string;
  toVersion: string;
  strategy: UpdateKind;
}

export interface CellStatus {
  state: CellState;
  version?: string;
  maintenance: Maintenance;
  currentUpdate?: CurrentUpdate;
  history: VersionHistoryEntry[];
  error?: string;
  /** the version the cell should run: set by the API, a rollout, or the update check */
  desiredVersion?: string;
  /** `now` when whoever set the desired version asked for it without waiting for the window */
  desiredWindow?: 'now';
  /** the desired version is one the cell ran before: it goes back by a rollback, not an upgrade */
  desiredRollback?: boolean;
  /** the hops still to go to the desired version (stepping stones first) */
  plan?: string[];
  /** why reconciliation stopped (a failed hop, an unsatisfiable path) until the desired version changes or an operator asks again */
  reconcileError?: string;
  /** the reconcile error holds the cell rather than failing it: nothing was changed (its agent away or too old) */
  reconcileHeld?: boolean;
  /** what the cluster runs when it differs from what cellshift installed: someone changed it by hand */
  drift?: { recorded?: string; actual?: string; detectedAt: string };
  /** the last update and drift check: the newest release offered, or why the cluster could not be read */
  lastCheck?: { at: string; newest?: string; error?: string };
  /** feature flags as last pushed to the cluster, with where each value came from */
  flags?: Record<string, CellFlag>;
  /** support SLA: out-of-sla holds app updates until the overdue infrastructure update is applied */
  sla?: SlaStatus;
  /** infrastructure updates published and not yet applied */
  infraUpdates?: { templateVersion: string; deadline: string; sla: SlaStatus; workflowId: string }[];
  /** the cell is being removed (or was): who asked, when, why */
  removal?: CellRemoval;
  /** an agent cell: what its agent said of itself when it registered */
  agent?: AgentRegistration;
  /** the fleet rollout that set the desired version, answered when the cell gets there or cannot */
  rollout?: { id: string; version: string; /** asked by signal (the rollout's first run): told by signal */ run?: string };
  /** how the cell ended for the last rollout that awaited it: asked again, the controller answers the same */
  rolloutOutcome?: CellOutcome & { rolloutId: string };
  /** the cell's configuration: the revision of its values it should run, the one it runs (absent: none set yet) */
  config?: CellConfigStatus;
}

/** Revisions of a cell's configuration values (the values themselves stay in the database, and in the cell). */
export interface CellConfigStatus {
  /** the newest revision set (PUT /v1/cells/:id/config) */
  desired: number;
  /** the revision the cell's last successful update rendered its release with */
  applied?: number;
  /** `now` when whoever set it asked for it without waiting for the window */
  window?: 'now';
  /** who set the desired revision */
  requestedBy?: string;
  /** the revision whose change ended without succeeding, and how: not tried again until another is set */
  failed?: { revision: number; reason: string };
}

export interface CellView extends CellStatus {
  spec: CellSpec;
}

export const CELL_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

// What an update is made of and how its progress reads, shared by workflows, API and tests.
import type { CellConnection } from './agent';
import type { ClusterRef } from './cell';
import type { StackRef } from './ports';
import type { LiveOptions, StagingFirstOptions } from './strategy-options';
import type { MaintenanceWindow } from './window';

export type Strategy = 'maintenance-window' | 'staging-first' | 'live';
export const STRATEGIES: readonly Strategy[] = ['maintenance-window', 'staging-first', 'live'];

/** An update's kind as history records it: one of the strategies, a rollback on demand, or a change of the cell's configuration. */
export type UpdateKind = Strategy | 'rollback' | 'config';

export const UPDATE_STEPS = ['preflight', 'maintenanceOn', 'pull', 'apply', 'verify', 'maintenanceOff'] as const;
export const STAGING_FIRST_STEPS = ['staging', 'soak', 'approval', 'primary'] as const;

/** What undoes a step's effect, when a later step fails. `rollback:<batch>` undoes one batch of a live update. */
export type CompensationName = 'rollback' | 'maintenanceOff' | 'rollbackStaging' | `rollback:${number}`;

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
export type CompensationStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export type UpdateStatus =
  | 'scheduled'
  | 'running'
  | 'soaking'
  | 'waiting-approval'
  | 'paused'
  | 'compensating'
  | 'succeeded'
  | 'rolled-back'
  | 'cancelled'
  | 'rejected'
  | 'needs-attention'
  | 'failed';

export const FINAL_STATUSES: readonly UpdateStatus[] = ['succeeded', 'rolled-back', 'cancelled', 'rejected', 'failed'];
export type FinalStatus = Extract<UpdateStatus, 'succeeded' | 'rolled-back' | 'cancelled' | 'rejected' | 'failed'>;

export interface StepProgress {
  name: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  attempts: number;
  error?: string;
  /** for a step carried out by another update (staging, primary): that update's id */
  updateId?: string;
  /** what the step found, in a line (a health analysis, an operator's decision) */
  detail?: string;
}

export interface CompensationProgress {
  name: CompensationName;
  status: CompensationStatus;
  startedAt?: string;
  endedAt?: string;
  attempts: number;
  error?: string;
}

export type OperatorActionName = 'cancel' | 'retry' | 'abandon' | 'pause' | 'resume' | 'approve' | 'reject' | 'customer-approve' | 'customer-deny';

export interface OperatorAction {
  action: OperatorActionName;
  by: string;
  at: string;
  reason?: string;
}

export interface UpdateProgress {
  id: string;
  cellId: string;
  fromVersion?: string;
  toVersion: string;
  strategy: UpdateKind;
  status: UpdateStatus;
  /** when the update waits for a maintenance window: the slot it waits for */
  window?: { startsAt: string; endsAt: string };
  /** a cell whose contract asks its customer's approval: asked when, decided by when, and what happens without a decision */
  approval?: { askedAt: string; deadline: string; onDeadline: 'proceed' | 'skip'; decision?: { approve: boolean; by: string; at: string; reason?: string } };
  /** while it waits: what the cell's change contract holds it for (notice, postponement, blackout, window), each until when */
  waitingFor?: { rule: string; reason: string; until?: string }[];
  /** when it waits for an operator's decision: until when */
  decisionDeadline?: string;
  steps: StepProgress[];
  compensations: CompensationProgress[];
  failedStep?: string;
  error?: string;
  actions: OperatorAction[];
  /** staging-first: where the staging cell stands */
  staging?: StagingOutcome;
  /** whether this update has the cell in maintenance mode now (absent before the first switch) */
  maintenance?: boolean;
  startedAt: string;
  endedAt?: string;
}

export interface StagingOutcome {
  cellId: string;
  updateId?: string;
  version?: string;
  /** true when staging runs the new release and stays on it */
  keptNewVersion: boolean;
}

export interface UpdateResult {
  id: string;
  cellId: string;
  fromVersion?: string;
  toVersion: string;
  strategy: UpdateKind;
  status: FinalStatus;
  /** the version installed on the cell when the update ended */
  installedVersion?: string;
  failedStep?: string;
  error?: string;
  /** compensations that ran to completion, in the order they ran */
  undone: CompensationName[];
  /** compensations given up by an operator's `abandon`: the cell may need manual repair */
  abandoned: CompensationName[];
  /** staging-first: where the staging cell ended; it keeps the new version when only the primary failed */
  staging?: StagingOutcome;
  /** the revision of the cell's configuration the update rendered its release with (what the cell runs, when it succeeded) */
  configRevision?: number;
  endedAt: string;
}

/** What an update workflow is started with. References and versions only, never credentials. */
export interface UpdateInput {
  id: string;
  cellId: string;
  cluster: ClusterRef;
  /** `agent`: every step on the cluster runs on the cell's agent */
  connection?: CellConnection;
  /** an agent cell: how long a step waits for the agent (the cell's agentWaitSeconds) */
  agentWaitSeconds?: number;
  strategy: UpdateKind;
  fromVersion?: string;
  toVersion: string;
  /**
   * the digest of the release's document, as the controller read it from the catalog: every step
   * fetches the release by version and checks it against this (absent in updates started by 0.1.0).
   * An update never carries a release's content: what a cell applies is decided by the catalog.
   */
  digest?: string;
  /** the cell's maintenance window, or 'now' to skip the wait */
  window: MaintenanceWindow | 'now';
  expectedUpdateMinutes: number;
  requestedBy: string;
  /** set when this update runs as part of another one (the primary of a staging-first update): the id the controller knows */
  parentUpdateId?: string;
  stagingFirst?: StagingFirstOptions & { stagingCellId: string; primaryUpdateId: string };
  live?: LiveOptions;
  /** the cell's configuration its release is rendered with (a revision, never values); absent in updates started before 0.2.0 */
  config?: ConfigRef;
}

/**
 * Which of the cell's configuration values an update renders its release with: a revision of them
 * (read where the release's content is read, in the cell on an agent cell) and the cell's stack for
 * items read from its outputs. An update's history carries this, never a value.
 */
export interface ConfigRef {
  revision: number;
  /** the revision the cell runs now: a configuration change compares the two (maintenance mode for the items that ask for it) */
  previous?: number;
  stack?: StackRef;
}

// Every signal, query and update, typed once and shared by workflows, API, activities and tests.
import type { CellContract } from '../domain/schemas/contract';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentRegistration } from '../domain/agent';
import type { CellView } from '../domain/cell';
import type { ConsentSignature, DebugAccessView } from '../domain/debug-access';
import type { SlaStatus } from '../domain/infra';
import type { StackChange } from '../domain/ports';
import type { CatalogRelease, ReleaseVeto } from '../domain/release';
import type { CellOutcome, RolloutProgress } from '../domain/rollout';
import type { LiveOverrides, StagingFirstOptions } from '../domain/strategy-options';
import type { Strategy, UpdateKind, UpdateProgress, UpdateResult } from '../domain/update';

export interface UpdateRequest {
  version: string;
  strategy?: Strategy;
  window?: 'next' | 'now';
  requestedBy: string;
  stagingFirst?: Partial<StagingFirstOptions>;
  live?: LiveOverrides;
  /** set when another update asks for this one (a staging-first update asking its staging cell) */
  onBehalfOf?: string;
}

export interface RollbackRequest {
  /** a version from the cell's history; the previous installed version when absent */
  toVersion?: string;
  requestedBy: string;
  onBehalfOf?: string;
}

export interface UpdateAccepted {
  id: string;
  cellId: string;
  status: 'scheduled';
  strategy: UpdateKind;
  fromVersion?: string;
  toVersion: string;
}

export interface OperatorCommand {
  by: string;
  reason?: string;
}

// cell controller
export const cellStatusQuery = defineQuery<CellView>('cellStatus');
export const requestUpdate = defineUpdate<UpdateAccepted, [UpdateRequest]>('requestUpdate');
export const requestRollback = defineUpdate<UpdateAccepted, [RollbackRequest]>('requestRollback');
/** From the API, once an agent exchanged its bootstrap token: the cell's agent is there; an awaiting cell registers. */
export const agentRegistered = defineUpdate<CellView, [AgentRegistration]>('agentRegistered');
/** An admin's removal of the cell: refused while an update runs unless it may be cancelled first. */
export const removeCell = defineUpdate<CellView, [OperatorCommand & { cancelUpdate?: boolean }]>('removeCell');
/** From an update whose controller continued as new while it ran (update/end.ts): how it ended. */
export const updateFinishedSignal = defineSignal<[UpdateResult]>('updateFinished');
/** From an update to its cell's controller, the owner of the fact: it switched maintenance mode on or off. */
/** The records of an update's change contract changed (a blackout, a postponement, an emergency mark): read them again. Carries no fact. */
export const contractChangedSignal = defineSignal('contractChanged');
export const maintenanceSwitchedSignal = defineSignal<[{ updateId: string; enabled: boolean }]>('maintenanceSwitched');
/** To an update whose controller awaited its result and now continues as new: report the end by signal instead. */
export const reportEndSignal = defineSignal('reportEnd');

export interface DesiredConfigRequest {
  revision: number;
  window?: 'now';
  requestedBy: string;
  /** the release this change renders nothing new for (none of its items changed value): a cell that runs it, with nothing pending, needs no update */
  unchangedOn?: string;
}

export interface DesiredVersionRequest {
  version: string;
  requestedBy: string;
  /** set by a fleet rollout: the request completes when the cell gets there or cannot (its `outcome`) */
  rolloutId?: string;
  /** `now`: the hops to the desired version run at once, not in the next maintenance window */
  window?: 'now';
  /** the catalog as a rollout read it for the wave: the controller plans from it instead of reading the catalog itself */
  releases?: CatalogRelease[];
  /** back from `version` (a rollback rollout): the cell goes to the version it ran before; a cell not on `version` is done */
  rollback?: boolean;
}

export interface DesiredVersionAccepted {
  desiredVersion: string;
  /** the hops from the installed version, stepping stones first */
  plan: string[];
  /** for a rollout: how the cell ended; absent when the controller continued as new first (ask again) */
  outcome?: CellOutcome;
}

export interface CellSettings {
  autoUpdate?: boolean;
  checkIntervalSeconds?: number;
  /** the cell's change contract, whole (src/domain/contract.ts): what the customer agreed to, replaced */
  contract?: CellContract;
}

export interface DriftDecision {
  /** reconcile: put back the recorded version; accept: record what the cluster runs */
  action: 'reconcile' | 'accept';
  requestedBy: string;
}

export const setDesiredVersion = defineUpdate<DesiredVersionAccepted, [DesiredVersionRequest]>('setDesiredVersion');

/**
 * From a fleet rollout to a cell's controller: take the release. The controller answers by
 * signalling the rollout (`cellOutcomesSignal`) once the cell gets there or cannot, or at once
 * when it refuses; asked again, it answers the same.
 */
export interface RolloutCellRequest {
  rolloutId: string;
  /** the rollout's first run: an answer names it, so a later rollout of the same release never takes an earlier one's */
  run: string;
  version: string;
  requestedBy: string;
  window?: 'now';
  rollback?: boolean;
}
export const rolloutCellSignal = defineSignal<[RolloutCellRequest]>('rolloutCell');
export const configureCell = defineUpdate<CellView, [CellSettings]>('configureCell');
/** From the API, once new configuration values are stored: the revision the cell should run (a change starts in the window unless `now`). */
export const setDesiredConfig = defineUpdate<CellView, [DesiredConfigRequest]>('setDesiredConfig');
export const resolveDrift = defineUpdate<CellView, [DriftDecision]>('resolveDrift');
/** the flag rules changed: push the cell's flags again */
export const flagsChangedSignal = defineSignal('flagsChanged');
/** run the update and drift checks now instead of at the next interval */
export const checkNowSignal = defineSignal('checkNow');

// update workflows
export const progressQuery = defineQuery<UpdateProgress>('progress');
export const cancelUpdate = defineUpdate<void, [OperatorCommand]>('cancel');
export const pauseUpdate = defineUpdate<void, [OperatorCommand]>('pause');
export const resumeUpdate = defineUpdate<void, [OperatorCommand]>('resume');
export const retryCompensation = defineUpdate<void, [OperatorCommand]>('retry');
export const abandonCompensation = defineUpdate<void, [OperatorCommand]>('abandon');
export const approveUpdate = defineUpdate<void, [OperatorCommand]>('approve');
/** The cell's customer decides on an update its change contract asks approval for. */
export const customerDecision = defineUpdate<void, [OperatorCommand & { approve: boolean }]>('customerDecision');
export const rejectUpdate = defineUpdate<void, [OperatorCommand]>('reject');

// fleet rollouts
export const rolloutProgressQuery = defineQuery<RolloutProgress>('rolloutProgress');
/** from the cells' controllers (and, for rollouts that asked through an activity, that activity): how cells ended */
export const cellOutcomesSignal = defineSignal<[CellOutcome[]]>('cellOutcomes');
export const pauseRollout = defineUpdate<void, [OperatorCommand]>('pauseRollout');
export const resumeRollout = defineUpdate<void, [OperatorCommand]>('resumeRollout');
export const abortRollout = defineUpdate<void, [OperatorCommand & { rollback?: boolean }]>('abortRollout');
export const approveRing = defineUpdate<void, [OperatorCommand]>('approveRing');
/** from a release's veto: a rollout of it starts no more cells */
export const releaseVetoedSignal = defineSignal<[ReleaseVeto]>('releaseVetoed');

// release vetoes
export interface VetoSweep {
  version: string;
  veto: ReleaseVeto;
  /** whether a running rollout of the release was told to stop */
  rolloutHalted: boolean;
  /** updates to it that waited for a window or an approval, cancelled */
  cancelledUpdates: string[];
}

// infrastructure updates
export interface InfraUpdateRequest {
  templateVersion: string;
  templateUrl: string;
  /** when the template was published; the deadline counts from here (default: now) */
  publishedAt?: string;
  /** the install's rule, 14 days by default (CELLSHIFT_INFRA_DEADLINE_DAYS) */
  deadlineDays: number;
  requestedBy: string;
}

export interface InfraUpdateProgress {
  cellId: string;
  templateVersion: string;
  templateUrl: string;
  status: 'preparing' | 'waiting' | 'applying' | 'applied' | 'superseded';
  sla: SlaStatus;
  publishedAt: string;
  deadline: string;
  changes: StackChange[];
  changeSetName?: string;
  reminders: { daysBefore: number; sentAt: string }[];
  attempts: { by: string; at: string; result: 'applied' | 'failed'; error?: string }[];
  appliedBy?: 'cellshift' | 'customer';
  appliedAt?: string;
  lastCheck?: { at: string; templateVersion?: string; error?: string };
}

export interface InfraStatusReport {
  templateVersion: string;
  sla: SlaStatus;
  deadline: string;
  done: boolean;
}

export const infraProgressQuery = defineQuery<InfraUpdateProgress>('infraProgress');
export const applyInfraUpdate = defineUpdate<void, [OperatorCommand]>('applyInfraUpdate');
/** the stack may have changed (the customer ran the template): check now */
export const stackChangedSignal = defineSignal('stackChanged');
export const publishInfraUpdate = defineUpdate<{ workflowId: string; deadline: string }, [InfraUpdateRequest]>('publishInfraUpdate');
export const infraStatusSignal = defineSignal<[InfraStatusReport]>('infraStatus');

// debug access
export interface DebugDecision {
  approve: boolean;
  reason: string;
  by: string;
  /** the customer's signature over the request's terms (src/crypto/debug-approval.ts) */
  signature?: ConsentSignature;
}

export const debugAccessQuery = defineQuery<DebugAccessView>('debugAccess');
/** the customer's decision on a request for debug access */
export const decideDebugAccess = defineUpdate<DebugAccessView, [DebugDecision]>('decideDebugAccess');
/** ends the access now (or withdraws the request), by the customer or an operator */
export const revokeDebugAccess = defineUpdate<DebugAccessView, [OperatorCommand]>('revokeDebugAccess');

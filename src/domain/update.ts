// What an update is made of and how its progress reads, shared by workflows, API and tests.

export type Strategy = 'maintenance-window' | 'staging-first' | 'live';
export const STRATEGIES: readonly Strategy[] = ['maintenance-window', 'staging-first', 'live'];

export type StepName = 'preflight' | 'maintenanceOn' | 'pull' | 'apply' | 'verify' | 'maintenanceOff';
export const UPDATE_STEPS: readonly StepName[] = ['preflight', 'maintenanceOn', 'pull', 'apply', 'verify', 'maintenanceOff'];

/** What undoes a step's effect, when a later step fails. */
export type CompensationName = 'rollback' | 'maintenanceOff';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
export type CompensationStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export type UpdateStatus =
  | 'scheduled'
  | 'running'
  | 'compensating'
  | 'succeeded'
  | 'rolled-back'
  | 'cancelled'
  | 'needs-attention'
  | 'failed';

export const FINAL_STATUSES: readonly UpdateStatus[] = ['succeeded', 'rolled-back', 'cancelled', 'failed'];

export interface StepProgress {
  name: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  attempts: number;
  error?: string;
}

export interface CompensationProgress {
  name: CompensationName;
  status: CompensationStatus;
  startedAt?: string;
  endedAt?: string;
  attempts: number;
  error?: string;
}

export interface OperatorAction {
  action: 'cancel' | 'retry' | 'abandon';
  by: string;
  at: string;
}

export interface UpdateProgress {
  id: string;
  cellId: string;
  fromVersion?: string;
  toVersion: string;
  strategy: Strategy;
  status: UpdateStatus;
  /** when the update waits for a maintenance window: the slot it waits for */
  window?: { startsAt: string; endsAt: string };
  steps: StepProgress[];
  compensations: CompensationProgress[];
  failedStep?: string;
  error?: string;
  actions: OperatorAction[];
  startedAt: string;
  endedAt?: string;
}

export interface UpdateResult {
  id: string;
  cellId: string;
  fromVersion?: string;
  toVersion: string;
  strategy: Strategy;
  status: Extract<UpdateStatus, 'succeeded' | 'rolled-back' | 'cancelled' | 'failed'>;
  /** the version installed on the cell when the update ended */
  installedVersion?: string;
  failedStep?: string;
  error?: string;
  /** compensations that ran to completion, in the order they ran */
  undone: CompensationName[];
  /** compensations given up by an operator's `abandon`: the cell may need manual repair */
  abandoned: CompensationName[];
  endedAt: string;
}

/** What an update workflow is started with. References and versions only, never credentials. */
export interface UpdateInput {
  id: string;
  cellId: string;
  cluster: import('./cell').ClusterRef;
  strategy: Strategy;
  fromVersion?: string;
  toVersion: string;
  /** the cell's maintenance window, or 'now' to skip the wait */
  window: import('./window').MaintenanceWindow | 'now';
  expectedUpdateMinutes: number;
  requestedBy: string;
}

import type { CellOutcome } from '../../domain/rollout';
import { now } from '../update/progress';
import type { Cell } from './cell';

/**
 * A rollout asks a cell's controller to take a release (setDesiredVersion) and waits for the
 * answer: the request completes when the cell gets there or cannot. The answer is kept, so a
 * rollout that asks again (its activity retried, or the controller's next run) gets the same.
 */
export function answerFor(cell: Cell, rolloutId: string): CellOutcome | undefined {
  const kept = cell.status.rolloutOutcome;
  if (kept?.rolloutId !== rolloutId) return undefined;
  const { rolloutId: _, ...outcome } = kept;
  return outcome;
}

/** Whether the cell got where the rollout wanted it, or cannot: then the rollout's answer is kept. */
export function settleRollout(cell: Cell): void {
  const { spec, status } = cell;
  const rollout = status.rollout;
  if (!rollout) return;
  let outcome: CellOutcome['outcome'] | undefined;
  if (status.version === rollout.version && !status.currentUpdate) outcome = 'succeeded';
  else if (status.reconcileError && status.reconcileHeld) outcome = 'held';
  else if (status.reconcileError || status.desiredVersion !== rollout.version) outcome = 'failed';
  if (!outcome) return;
  delete status.rollout;
  status.rolloutOutcome = {
    rolloutId: rollout.id,
    cellId: spec.id,
    outcome,
    at: now(),
    ...(outcome === 'succeeded'
      ? { cluster: spec.cluster, ...(spec.connection === 'agent' ? { connection: spec.connection } : {}) }
      : { error: status.reconcileError ?? `desired version changed to ${status.desiredVersion}` }),
  };
}

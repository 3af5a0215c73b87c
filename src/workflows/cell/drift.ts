import { ErrorType } from '../../domain/errors';
import { refuse } from '../failures';
import type { DriftDecision, UpdateAccepted } from '../messages';
import { now } from '../update/progress';
import type { Cell } from './cell';
import { startRollback } from './updates';

export function requireDrifted(cell: Cell, decision: DriftDecision): void {
  const { spec, status } = cell;
  if (status.state !== 'drifted' || !status.drift) refuse(ErrorType.InvalidState, `cell ${spec.id} has not drifted`);
  if (decision.action === 'reconcile' && status.drift.recorded === undefined) {
    refuse(ErrorType.InvalidState, `cell ${spec.id} had no recorded version to put back: accept the drift instead`);
  }
}

/** An operator's answer to a drift: accept what the cluster runs, or put the recorded version back with a rollback. */
export async function resolveDrift(cell: Cell, decision: DriftDecision): Promise<UpdateAccepted | undefined> {
  const { status } = cell;
  const drift = status.drift!;
  if (decision.action === 'accept') {
    cell.record({ version: drift.actual ?? 'none', fromVersion: drift.recorded, at: now(), result: 'drift-accepted' });
    status.version = drift.actual;
    delete status.drift;
    status.state = 'ready';
    cell.wake = true;
    cell.publish();
    return undefined;
  }
  // The rollback starts from what the cluster runs now.
  status.version = drift.actual;
  const accepted = await startRollback(cell, drift.recorded!, decision.requestedBy);
  delete status.drift;
  return accepted;
}

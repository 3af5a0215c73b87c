// Removing a cell: an admin asks its controller, which refuses while an update runs unless told to
// cancel it first (the update compensates, the cell is left as it was). Once no update runs, the
// cell's other workflows end (debug grants revoked in the cell, infrastructure updates cancelled),
// its rows leave the read model for the audit table, and the controller ends: the id is free.
import { upsertSearchAttributes } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import { refuse } from '../failures';
import type { OperatorCommand } from '../messages';
import { now } from '../update/progress';
import { CellStatusKey } from '../search-attributes';
import { cancelCellUpdate, endCellWorkflows, retireCellRecords } from './activities';
import type { Cell } from './cell';
import { leaveRollout } from './rollout-link';

export type RemovalRequest = OperatorCommand & { cancelUpdate?: boolean };

export function requireRemovable(cell: Cell, request: RemovalRequest): void {
  const running = cell.status.currentUpdate;
  if (running && !request.cancelUpdate && !cell.status.removal) {
    refuse(ErrorType.InvalidState, `update ${running.id} to ${running.toVersion} runs on cell ${cell.spec.id}: cancel it first, or remove with cancelUpdate`);
  }
}

/** Accepts the removal (a second request gets the first one's answer); the main loop ends and `retire` does the rest. */
export async function acceptRemoval(cell: Cell, request: RemovalRequest): Promise<void> {
  const { status } = cell;
  if (status.removal) return;
  const running = status.currentUpdate;
  status.removal = { by: request.by, at: now(), ...(request.reason ? { reason: request.reason } : {}), ...(running ? { cancelledUpdate: running.id } : {}) };
  status.state = 'removing';
  cell.publish();
  if (running) await cancelCellUpdate(running.id, request.by);
  cell.wake = true;
}

/** The controller's last steps once its removal was accepted. */
export async function retire(cell: Cell, flushed: () => Promise<void>): Promise<void> {
  const { spec, status } = cell;
  // The cancelled update compensates first; its end reaches this run as a result or a signal.
  await cell.until(() => status.currentUpdate === undefined);
  status.state = 'removing';
  await endCellWorkflows(spec.id, status.removal!);
  await leaveRollout(cell);
  status.state = 'removed';
  upsertSearchAttributes([{ key: CellStatusKey, value: 'removed' }]);
  // The read model has the last view before it is moved to the audit table: nothing writes it back.
  await flushed();
  await retireCellRecords(cell.view(), cell.carry().nextUpdate!);
}

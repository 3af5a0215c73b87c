import { getExternalWorkflowHandle } from '@temporalio/workflow';
import type { UpdateResult } from '../domain/update';
import { cellWorkflowId } from './ids';
import { maintenanceChangedSignal, updateFinishedSignal } from './messages';

/**
 * An update tells its cell's controller what changed. The controller may be gone (a cell
 * removed, an update started on its own): that must not fail the update.
 */
export async function tellControllerFinished(cellId: string, result: UpdateResult): Promise<void> {
  try {
    await getExternalWorkflowHandle(cellWorkflowId(cellId)).signal(updateFinishedSignal, result);
  } catch {
    // the controller is not running: nothing to tell
  }
}

/**
 * Maintenance changes are news, not a step: sent without waiting, so the signal leaves with the
 * next command instead of costing a round trip of its own.
 */
export function tellControllerMaintenance(cellId: string, updateId: string, enabled: boolean): void {
  getExternalWorkflowHandle(cellWorkflowId(cellId))
    .signal(maintenanceChangedSignal, { updateId, enabled })
    .catch(() => undefined);
}

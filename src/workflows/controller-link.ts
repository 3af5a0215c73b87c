import { getExternalWorkflowHandle } from '@temporalio/workflow';
import type { UpdateResult } from '../domain/update';
import { cellWorkflowId } from './ids';
import { maintenanceChangedSignal, updateFinishedSignal } from './messages';

/**
 * An update tells its cell's controller what changed. The controller may be gone (a cell
 * removed, an update started on its own in a benchmark): that must not fail the update.
 */
export async function tellController(cellId: string, message: { maintenance: boolean; updateId: string } | { finished: UpdateResult }): Promise<void> {
  const controller = getExternalWorkflowHandle(cellWorkflowId(cellId));
  try {
    if ('finished' in message) await controller.signal(updateFinishedSignal, message.finished);
    else await controller.signal(maintenanceChangedSignal, { updateId: message.updateId, enabled: message.maintenance });
  } catch {
    // the controller is not running: nothing to tell
  }
}

// An update's client side: its handle (progress, operator commands) and the workflow types that
// run updates, for visibility queries.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { updateWorkflowId } from '../ids';
import { contractChangedSignal } from '../messages';

/** Every workflow type that runs an update, one per strategy (and rollback). */
export const UPDATE_WORKFLOWS = ['maintenanceWindowUpdate', 'stagingFirstUpdate', 'liveUpdate', 'rollbackUpdate'] as const;

/** The workflow of an update (`update/<cell>/u<n>`), by its id (`<cell>-u<n>`). */
export function updateOf(client: Client, updateId: string): WorkflowHandle {
  return client.workflow.getHandle(updateWorkflowId(updateId));
}

/**
 * Tells waiting updates that the records of their change contract changed, so each reads them
 * again now rather than when its timer fires (best effort: one that ended meanwhile is skipped;
 * one not told reads them when it wakes).
 */
export async function tellContractChanged(client: Client, updateIds: string[]): Promise<void> {
  await Promise.all(updateIds.map((id) => updateOf(client, id).signal(contractChangedSignal).catch(() => undefined)));
}

// An update's client side: its handle (progress, operator commands) and the workflow types that
// run updates, for visibility queries.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { updateWorkflowId } from '../ids';

/** Every workflow type that runs an update, one per strategy (and rollback). */
export const UPDATE_WORKFLOWS = ['maintenanceWindowUpdate', 'stagingFirstUpdate', 'liveUpdate', 'rollbackUpdate'] as const;

/** The workflow of an update (`update/<cell>/u<n>`), by its id (`<cell>-u<n>`). */
export function updateOf(client: Client, updateId: string): WorkflowHandle {
  return client.workflow.getHandle(updateWorkflowId(updateId));
}

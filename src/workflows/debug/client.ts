// A debug access request's client side: its start (numbered per cell), its handle, and the counts
// visibility gives.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { debugAccessWorkflowId } from '../ids';
import { CellIdKey, DebugAccessStatusKey } from '../search-attributes';
import type { debugAccess, DebugAccessWorkflowInput } from './debug-access';

/** A cell's `n`th debug access request (`debug/<cell>/<n>`). */
export function debugAccessOf(client: Client, cellId: string, n: number): WorkflowHandle<typeof debugAccess> {
  return client.workflow.getHandle<typeof debugAccess>(debugAccessWorkflowId(cellId, n));
}

/** Starts request `n` of the cell; fails with WorkflowExecutionAlreadyStartedError when that number is taken. */
export function startDebugAccess(client: Client, taskQueue: string, input: DebugAccessWorkflowInput, summary: string): Promise<WorkflowHandle<typeof debugAccess>> {
  return client.workflow.start<typeof debugAccess>('debugAccess', {
    workflowId: debugAccessWorkflowId(input.cellId, input.n),
    taskQueue,
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: CellIdKey, value: input.cellId },
      { key: DebugAccessStatusKey, value: 'waiting-decision' },
    ],
    staticSummary: summary,
    args: [input],
  });
}

/** How many debug access requests of the cell the server still keeps. */
export async function countDebugAccess(client: Client, cellId: string): Promise<number> {
  return (await client.workflow.count(`WorkflowType = 'debugAccess' AND CellId = '${cellId}'`)).count;
}

/** The visibility query of the task queue's grants in force. */
export function activeGrants(taskQueue: string): string {
  return `WorkflowType = 'debugAccess' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}' AND DebugAccessStatus = 'active'`;
}

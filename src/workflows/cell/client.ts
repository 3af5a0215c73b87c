// A cell controller's client side: its handle, its start at registration, and the visibility
// queries that find controllers (what runs outside workflows: the API, activities, scripts).
import type { Client, WorkflowHandle } from '@temporalio/client';
import { cellWorkflowId } from '../ids';
import { CellIdKey, CellStatusKey, RingKey } from '../search-attributes';
import type { CellControllerInput, cellController } from './controller';

/** The controller of a cell (`cell/<id>`): its queries, signals and Temporal updates. */
export function controllerOf(client: Client, cellId: string): WorkflowHandle<typeof cellController> {
  return client.workflow.getHandle<typeof cellController>(cellWorkflowId(cellId));
}

/** Starts a cell's controller: the cell is registered from here on. */
export async function startController(client: Client, taskQueue: string, input: CellControllerInput, state: string): Promise<void> {
  const { spec } = input;
  await client.workflow.start<typeof cellController>('cellController', {
    workflowId: cellWorkflowId(spec.id),
    taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: CellIdKey, value: spec.id },
      { key: RingKey, value: spec.ring },
      { key: CellStatusKey, value: state },
    ],
  });
}

/** Whether a cell is registered: its controller runs. */
export async function controllerRuns(client: Client, cellId: string): Promise<boolean> {
  try {
    return (await controllerOf(client, cellId).describe()).status.name === 'RUNNING';
  } catch {
    return false;
  }
}

/** The visibility query of the running controllers of a task queue. */
export function runningControllers(taskQueue: string): string {
  return `WorkflowType = 'cellController' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`;
}

/** Ids of the running cell controllers of a ring, served by the task queue. */
export async function ringCellIds(client: Client, taskQueue: string, ring: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query: `${runningControllers(taskQueue)} AND Ring = '${ring}'` })) ids.push(execution.workflowId.replace(/^cell\//, ''));
  return ids;
}

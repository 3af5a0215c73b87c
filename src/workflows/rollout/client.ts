// A rollout's client side: its start, its handle, and the count of running rollouts.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { RolloutInput } from '../../domain/rollout';
import { rolloutWorkflowId } from '../ids';
import type { fleetRollout } from './fleet-rollout';

/** A rollout's workflow (`rollout/<id>`). */
export function rolloutOf(client: Client, rolloutId: string): WorkflowHandle<typeof fleetRollout> {
  return client.workflow.getHandle<typeof fleetRollout>(rolloutWorkflowId(rolloutId));
}

export async function startRollout(client: Client, taskQueue: string, input: RolloutInput): Promise<void> {
  await client.workflow.start<typeof fleetRollout>('fleetRollout', { workflowId: rolloutWorkflowId(input.id), taskQueue, args: [input] });
}

/** The visibility query of the task queue's running rollouts. */
export function runningRollouts(taskQueue: string): string {
  return `WorkflowType = 'fleetRollout' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`;
}

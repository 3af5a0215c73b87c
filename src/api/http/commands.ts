import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { HttpProblem } from './problem';

/**
 * Sends an operator's command (a Temporal update with a validator) to a workflow. Temporal
 * answers "not found" for a workflow that has completed: that is a 409 (nothing left to steer),
 * not a 404.
 */
export async function sendCommand<Args extends [unknown, ...unknown[]]>(
  handle: WorkflowHandle,
  definition: UpdateDefinition<unknown, Args>,
  args: Args,
  what: string,
  action: string,
): Promise<void> {
  try {
    await handle.executeUpdate(definition, { args });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError && (await exists(handle))) {
      throw new HttpProblem(409, 'Already ended', `${what} has ended: there is nothing to ${action}`);
    }
    throw err;
  }
}

async function exists(handle: WorkflowHandle): Promise<boolean> {
  try {
    await handle.describe();
    return true;
  } catch {
    return false;
  }
}

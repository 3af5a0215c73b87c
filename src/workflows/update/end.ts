// How an update's end reaches its cell's controller: the controller awaits the update's result (it
// started the update as a child), and does not continue as new while it runs. Controllers from
// before 'controller-work-in-order' did, and asked the update (`reportEnd`) to signal its end to
// their next run instead: both sides of that hand-over stay until those runs are gone (0.2.0).
import { ChildWorkflowFailure, getExternalWorkflowHandle, setHandler, type ChildWorkflowHandle } from '@temporalio/workflow';
import type { UpdateInput, UpdateResult } from '../../domain/update';
import { describeFailure, isTargetGone } from '../failures';
import { cellWorkflowId, updateWorkflowId } from '../ids';
import { reportEndSignal, updateFinishedSignal } from '../messages';

/** The update's side: signals its end to the controller, if the controller asked. */
export class EndReport {
  private asked = false;

  constructor() {
    setHandler(reportEndSignal, () => {
      this.asked = true;
    });
  }

  async deliver(result: UpdateResult): Promise<void> {
    if (!this.asked) return;
    try {
      await getExternalWorkflowHandle(cellWorkflowId(result.cellId)).signal(updateFinishedSignal, result);
    } catch (err) {
      // The controller is gone (the cell was removed): nobody is left to tell.
      if (!isTargetGone(err)) throw err;
    }
  }
}

/** The controller's side: the update this run awaits. */
export interface AwaitedUpdate {
  id: string;
  result: Promise<UpdateResult>;
}

export function awaitEnd(update: UpdateInput, child: ChildWorkflowHandle<(input: UpdateInput) => Promise<UpdateResult>>): AwaitedUpdate {
  const result = child.result().catch((err: unknown): UpdateResult => {
    if (!(err instanceof ChildWorkflowFailure)) throw err;
    // Terminated or timed out as a workflow, it reported nothing: the cell is taken to be where it
    // was, and the next drift check compares that with its cluster.
    return {
      id: update.id,
      cellId: update.cellId,
      fromVersion: update.fromVersion,
      toVersion: update.toVersion,
      strategy: update.strategy,
      status: 'failed',
      installedVersion: update.fromVersion,
      error: describeFailure(err),
      undone: [],
      abandoned: [],
      endedAt: new Date().toISOString(),
    };
  });
  return { id: update.id, result };
}

/**
 * Before the controller continues as new: the update will signal its end to the next run. An
 * update that has already ended cannot be asked; its result is on its way to this run instead.
 */
export async function handOver(awaited: AwaitedUpdate): Promise<void> {
  try {
    await getExternalWorkflowHandle(updateWorkflowId(awaited.id)).signal(reportEndSignal);
  } catch (err) {
    if (!isTargetGone(err)) throw err;
    await awaited.result;
  }
}

import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { AgentCheck, AgentPolicy } from '../../domain/agent';
import type { ClusterTarget } from '../../domain/ports';
import { agentPresence } from '../../workflows/agents/client';
import type { UpdateResult } from '../../domain/update';
import { cancelUpdate, cellStatusQuery, requestRollback, requestUpdate, type RollbackRequest, type UpdateAccepted, type UpdateRequest } from '../../workflows/messages';
import { controllerOf } from '../../workflows/cell/client';
import { updateOf } from '../../workflows/update/client';

/**
 * Updates that act on other cells go through those cells' controllers, like any request: the
 * controller stays the one authority on its cell (one update at a time, upgrade paths).
 */
export function createCellActivities(client: Client, agents: AgentPolicy) {
  return {
    /** Whether a cell's agent polls its queue, and which version (from the server's pollers), with the oldest version the workflows need. */
    async checkAgent(cellId: string): Promise<AgentCheck> {
      return { presence: await agentPresence(client, cellId, agents.offlineAfterSeconds), minVersion: agents.minVersion };
    },
    async requestCellUpdate(cellId: string, request: UpdateRequest): Promise<UpdateAccepted> {
      return refusalsAsFailures(() => controllerOf(client, cellId).executeUpdate(requestUpdate, { args: [request] }));
    },
    async requestCellRollback(cellId: string, request: RollbackRequest): Promise<UpdateAccepted> {
      return refusalsAsFailures(() => controllerOf(client, cellId).executeUpdate(requestRollback, { args: [request] }));
    },
    /** Where another cell's cluster is, from its controller. */
    async cellTarget(cellId: string): Promise<ClusterTarget> {
      const view = await controllerOf(client, cellId).query(cellStatusQuery);
      return { cellId, cluster: view.spec.cluster, ...(view.spec.connection ? { connection: view.spec.connection } : {}) };
    },
    /** Cancels another update; one that has already ended is left as it is. */
    async cancelCellUpdate(updateId: string, by: string): Promise<void> {
      try {
        await updateOf(client, updateId).executeUpdate(cancelUpdate, { args: [{ by }] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) return;
        throw err;
      }
    },
    /** Waits for another update's result, heartbeating; a retry after a crash simply waits again. */
    async awaitUpdateResult(updateId: string): Promise<UpdateResult> {
      const activity = Context.current();
      const beat = setInterval(() => activity.heartbeat(), 5_000);
      try {
        return await updateOf(client, updateId).result();
      } finally {
        clearInterval(beat);
      }
    },
  };
}

/** A controller's refusal (busy, bad path) is permanent for this request: no retry. */
async function refusalsAsFailures<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({ type: err.cause.type ?? 'Refused', message: err.cause.message, nonRetryable: true, details: err.cause.details as unknown[] });
    }
    throw err;
  }
}

export type CellActivities = ReturnType<typeof createCellActivities>;

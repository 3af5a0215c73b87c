import { CellConfigStore } from '../../adapters/db/cell-config';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Db } from '../../adapters/db/database';
import type { CellRemoval, CellView } from '../../domain/cell';
import { debugWorkflowPrefix, infraWorkflowPrefix } from '../../workflows/ids';
import { revokeDebugAccess } from '../../workflows/messages';

/**
 * The last steps of a cell's removal, run by its controller once no update runs: what else runs
 * for the cell ends, and its rows leave the read model for the audit table. Each step is
 * idempotent: a retry after a crash finds done what was done.
 */
export function createCellRemovalActivities(client: Client, db: Db) {
  return {
    /** Revokes the cell's debug grants in the cell (each grant's workflow does it and ends) and cancels its infrastructure updates. */
    async endCellWorkflows(cellId: string, removal: CellRemoval): Promise<{ revoked: string[]; cancelled: string[] }> {
      const activity = Context.current();
      const ended = { revoked: [] as string[], cancelled: [] as string[] };
      // By id: an infrastructure update (a child of the controller) carries no CellId attribute.
      const running = client.workflow.list({ query: `(WorkflowId STARTS_WITH '${debugWorkflowPrefix(cellId)}' OR WorkflowId STARTS_WITH '${infraWorkflowPrefix(cellId)}') AND ExecutionStatus = 'Running'` });
      for await (const execution of running) {
        activity.heartbeat(execution.workflowId);
        const handle = client.workflow.getHandle(execution.workflowId);
        if (execution.type === 'debugAccess') {
          await handle.executeUpdate(revokeDebugAccess, { args: [{ by: removal.by, reason: `cell ${cellId} removed` }] }).catch(endedMeanwhile);
          await handle.result().catch(() => undefined); // revoked in the cell: the grant's workflow ends
          ended.revoked.push(execution.workflowId);
        } else {
          await handle.cancel().catch(endedMeanwhile);
          ended.cancelled.push(execution.workflowId);
        }
      }
      return ended;
    },

    /** Keeps the cell's last view and its updates in the audit table, then takes them out of the read model, drops its bootstrap token and revokes its agent's certificates. */
    async retireCellRecords(view: CellView, nextUpdate: number): Promise<void> {
      const cellId = view.spec.id;
      const removal = view.removal!;
      const updates = await db.selectFrom('updates').select('view').where('cell_id', '=', cellId).orderBy('id').execute();
      await db
        .insertInto('removed_cells')
        .values({ cell_id: cellId, removed_at: removal.at, removed_by: removal.by, reason: removal.reason ?? null, view: JSON.stringify(view), updates: JSON.stringify(updates.map((u) => u.view)), next_update: nextUpdate })
        .onConflict((c) => c.columns(['cell_id', 'removed_at']).doNothing())
        .execute();
      await db.deleteFrom('updates').where('cell_id', '=', cellId).execute();
      await db.deleteFrom('bootstrap_tokens').where('cell_id', '=', cellId).execute();
      // Its configuration values (their change log stays, as its debug access audit does).
      await new CellConfigStore(db).removeValues(cellId);
      // Its agent's certificates: the agent endpoint refuses it within seconds.
      await db.updateTable('agent_credentials').set({ revoked_at: new Date().toISOString(), revoked_because: `cell ${cellId} removed` }).where('cell_id', '=', cellId).where('revoked_at', 'is', null).execute();
      await db.deleteFrom('cells').where('id', '=', cellId).execute();
    },
  };
}

/** A workflow that ended, or refused the command because it is ending anyway, needs nothing more. */
function endedMeanwhile(err: unknown): void {
  if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) return;
  throw err;
}

export type CellRemovalActivities = ReturnType<typeof createCellRemovalActivities>;

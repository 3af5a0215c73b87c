import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateReadModel } from '../../adapters/db/update-read-model';
import type { ReleaseCatalog } from '../../domain/ports';
import type { ReleaseVeto } from '../../domain/release';
import { vetoRelease } from '../../workflows/veto/client';
import { cancelUpdate } from '../../workflows/messages';
import { updateOf } from '../../workflows/update/client';

/** A veto's side effects outside its workflow: recording one (a rollout's autoVeto), cancelling updates to the release. */
export function createVetoActivities(client: Client, catalog: ReleaseCatalog, updateReadModel: UpdateReadModel) {
  return {
    /** Vetoes a release from inside a workflow (a rollout over its budget with autoVeto): the veto that stands. */
    async vetoRelease(version: string, veto: ReleaseVeto): Promise<ReleaseVeto> {
      const recorded = await vetoRelease(client, Context.current().info.taskQueue, catalog, version, veto);
      if (!recorded) throw new Error(`release ${version} is not in the catalog`);
      return recorded;
    },

    /**
     * Cancels every update to the release that waits for a maintenance window or an approval
     * (each compensates what it did); one that moved on meanwhile refuses, and finishes. Returns
     * the updates cancelled.
     */
    async cancelUpdatesTo(version: string, veto: ReleaseVeto): Promise<string[]> {
      const cancelled: string[] = [];
      for (const id of await updateReadModel.waitingFor(version)) {
        try {
          await updateOf(client, id).executeUpdate(cancelUpdate, { args: [{ by: veto.by, reason: `release ${version} vetoed: ${veto.reason}` }] });
          cancelled.push(id);
        } catch (err) {
          if (!(err instanceof WorkflowUpdateFailedError) && !(err instanceof WorkflowNotFoundError)) throw err;
        }
        Context.current().heartbeat();
      }
      return cancelled;
    },
  };
}

export type VetoActivities = ReturnType<typeof createVetoActivities>;

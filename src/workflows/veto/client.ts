// A release's veto, made durable: recorded in the catalog (the first stands), then swept through
// the fleet by the `releaseVeto` workflow. The API and a rollout's autoVeto both come here; either
// called again finds the recorded veto and the sweep already started.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { ReleaseCatalog } from '../../domain/ports';
import type { ReleaseVeto } from '../../domain/release';
import { vetoWorkflowId } from '../ids';
import { AppVersionKey } from '../search-attributes';
import type { releaseVeto } from './release-veto';

/** Records the veto and starts its sweep; the veto that stands, or undefined when there is no such release. */
export async function vetoRelease(client: Client, taskQueue: string, catalog: ReleaseCatalog, version: string, veto: ReleaseVeto): Promise<ReleaseVeto | undefined> {
  const recorded = await catalog.veto(version, veto);
  if (!recorded) return undefined;
  try {
    await client.workflow.start<typeof releaseVeto>('releaseVeto', {
      workflowId: vetoWorkflowId(version),
      taskQueue,
      args: [{ version, veto: recorded }],
      typedSearchAttributes: [{ key: AppVersionKey, value: version }],
      staticSummary: `release ${version} vetoed by ${recorded.by}: ${recorded.reason}`,
    });
  } catch (err) {
    // The sweep of this veto already ran or runs.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return recorded;
}

import { ActivityFailure } from '@temporalio/workflow';
import { initialVersionOf } from '../../domain/cell';
import { describeFailure } from '../failures';
import { now } from '../update/progress';
import { cellClusterActivities, listReleases } from './activities';
import type { Cell } from './cell';

/**
 * A cell's first contact: its cluster (and stack) connected, the version it runs read. A cell that
 * runs nothing is installed by its first check. A cluster that cannot be reached leaves the cell
 * `registration-failed`, with the reason, for an operator to fix and register again.
 */
export async function register(cell: Cell): Promise<void> {
  const { spec, status } = cell;
  try {
    const initialVersion = initialVersionOf(spec.cluster);
    // An agent cell's step names the release by its digest: the agent endpoint serves a cell only the releases its tasks name.
    const initial = initialVersion && spec.connection === 'agent' ? (await listReleases()).find((r) => r.version === initialVersion) : initialVersion;
    const { registerCluster, registerStack } = cellClusterActivities(cell.target, spec.agentWaitSeconds);
    const reported = await registerCluster(cell.target, initial);
    if (spec.stack) await registerStack({ cellId: spec.id, stack: spec.stack }, spec.stack.kind === 'simulated' ? (spec.stack.templateVersion ?? '1') : '');
    status.version = reported.version;
    status.state = 'ready';
    if (reported.version) cell.record({ version: reported.version, at: now(), result: 'registered' });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    status.state = 'registration-failed';
    status.error = describeFailure(err);
  }
  cell.publish();
}

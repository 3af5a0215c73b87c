import { ActivityFailure } from '@temporalio/workflow';
import { describeFailure } from '../failures';
import { cellClusterActivities, cellFlags, syncFlags } from './activities';
import type { Cell } from './cell';

/** Pushes the cell's feature flags to its cluster (no redeploy); a push that fails is tried again at the next wake-up. */
export async function pushFlags(cell: Cell): Promise<void> {
  const { spec, status } = cell;
  if (status.currentUpdate || (status.state !== 'ready' && status.state !== 'drifted')) return;
  cell.flagsStale = false;
  try {
    if (spec.connection === 'agent') {
      // The flag rules are the control plane's; the cluster only the agent reaches.
      const flags = await cellFlags(spec.id, spec.ring, status.version);
      await cellClusterActivities(cell.target, spec.agentWaitSeconds).setFlags(cell.target, Object.fromEntries(Object.entries(flags).map(([flag, value]) => [flag, value.enabled])));
      status.flags = flags;
    } else {
      status.flags = await syncFlags(cell.target, spec.ring, status.version);
    }
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    cell.flagsStale = true;
    status.error = `feature flags not pushed: ${describeFailure(err)}`;
  }
}

import { ActivityFailure } from '@temporalio/workflow';
import { describeFailure } from '../failures';
import { syncFlags } from './activities';
import type { Cell } from './cell';

/** Pushes the cell's feature flags to its cluster (no redeploy); a push that fails is tried again at the next wake-up. */
export async function pushFlags(cell: Cell): Promise<void> {
  const { spec, status } = cell;
  if (status.currentUpdate || (status.state !== 'ready' && status.state !== 'drifted')) return;
  cell.flagsStale = false;
  try {
    status.flags = await syncFlags({ cellId: spec.id, cluster: spec.cluster }, spec.ring, status.version);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    cell.flagsStale = true;
    status.error = `feature flags not pushed: ${describeFailure(err)}`;
  }
}

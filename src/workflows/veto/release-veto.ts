import { getExternalWorkflowHandle, isCancellation, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { VetoActivities } from '../../activities';
import { rolloutWorkflowId } from '../ids';
import { releaseVetoedSignal, type VetoSweep } from '../messages';
import { UNTIL_DONE } from '../retry';

const { cancelUpdatesTo } = proxyActivities<Pick<VetoActivities, 'cancelUpdatesTo'>>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: UNTIL_DONE,
});

/** Sweeps from before 'veto-one-pass': an update started just before the veto may reach the read model a moment after the first sweep. */
const SECOND_SWEEP_AFTER_MS = 10_000;

/**
 * A vetoed release, swept from the fleet (`veto/<version>`, started once the veto is recorded):
 * the rollout of it starts no more cells (those in flight finish), and the updates to it that wait
 * for a window or an approval are cancelled, each compensating what it did. Update checks, new
 * updates, rollouts and bundles refuse the release from the catalog's record of the veto itself.
 */
export async function releaseVeto({ version, veto }: Pick<VetoSweep, 'version' | 'veto'>): Promise<VetoSweep> {
  let rolloutHalted = true;
  try {
    await getExternalWorkflowHandle(rolloutWorkflowId(version)).signal(releaseVetoedSignal, veto);
  } catch (err) {
    if (isCancellation(err)) throw err;
    // No rollout of it runs (none was started, or it ended).
    rolloutHalted = false;
  }
  const cancelled = await cancelUpdatesTo(version, veto);
  // Sweeps from before 'veto-checked-after-window' looked again for an update the read model did
  // not have yet; such an update now refuses itself when its wait ends (update/window.ts).
  if (!patched('veto-one-pass')) {
    await sleep(SECOND_SWEEP_AFTER_MS);
    cancelled.push(...(await cancelUpdatesTo(version, veto)));
  }
  return { version, veto, rolloutHalted, cancelledUpdates: cancelled };
}

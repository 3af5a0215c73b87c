// The activities an update calls, each proxied with its own profile. One activity per side
// effect: each is a step of its own in the update's history and progress.
import { proxyActivities } from '@temporalio/workflow';
import type { CellActivities, ClusterActivities } from '../../activities';
import { DEFAULT_AGENT_WAIT_SECONDS } from '../../domain/agent';
import type { ClusterTarget } from '../../domain/ports';
import { routedTo } from '../agents/routing';
import { OWN, PATIENT, STEP, UNTIL_DONE } from '../retry';

// Every step heartbeats while it runs (runStep), so a dead worker is noticed in 10 s, not at its timeout.
const HEARTBEAT = '10s';

/**
 * The steps on a cell's cluster, each with its own profile. A direct cell's run on the control
 * plane's workers; an agent cell's on its own task queue, which only its agent polls.
 */
export function clusterActivities(target: ClusterTarget, agentWaitSeconds = DEFAULT_AGENT_WAIT_SECONDS) {
  const queue = routedTo(target, agentWaitSeconds);
  const step = { ...queue, heartbeatTimeout: HEARTBEAT, retry: STEP };

  // Preflight reads the cluster; its refusals (PreflightFailed, ReleaseNotFound) are not retried.
  const { preflight } = proxyActivities<Pick<ClusterActivities, 'preflight'>>({ ...step, startToCloseTimeout: '2m' });
  // The maintenance switch is one idempotent write; leaving maintenance is also every update's last undo.
  const { enterMaintenance, leaveMaintenance } = proxyActivities<Pick<ClusterActivities, 'enterMaintenance' | 'leaveMaintenance'>>({ ...step, startToCloseTimeout: '1m' });
  // Pulls reach every node and may take long; the next attempt resumes from the last heartbeat's details.
  const { pullImages } = proxyActivities<Pick<ClusterActivities, 'pullImages'>>({ ...step, startToCloseTimeout: '30m' });
  // Apply writes the release's objects; applying again under the same key is a no-op.
  const { applyRelease } = proxyActivities<Pick<ClusterActivities, 'applyRelease'>>({ ...step, startToCloseTimeout: '5m' });
  // Verify and rollback wait for rollouts to complete, which takes as long as the cluster needs.
  const { verifyRollout, rollbackRelease } = proxyActivities<Pick<ClusterActivities, 'verifyRollout' | 'rollbackRelease'>>({ ...step, startToCloseTimeout: '30m' });
  // One health reading; the workflow judges it. A reading that fails is a failed check after the retries.
  const { checkHealth } = proxyActivities<Pick<ClusterActivities, 'checkHealth'>>({ ...step, startToCloseTimeout: '1m' });

  // What the cluster runs, read once an update has ended; it changes nothing, so it is retried longer.
  const { readActualVersion } = proxyActivities<Pick<ClusterActivities, 'readActualVersion'>>({
    ...queue,
    startToCloseTimeout: '1m',
    retry: PATIENT,
  });

  return { preflight, enterMaintenance, leaveMaintenance, pullImages, applyRelease, verifyRollout, rollbackRelease, checkHealth, readActualVersion };
}

export type ClusterSteps = ReturnType<typeof clusterActivities>;

// Asking another cell's controller (staging-first asks its staging cell's): a refusal is permanent.
export const { requestCellUpdate, requestCellRollback, cellTarget, cancelCellUpdate } = proxyActivities<
  Pick<CellActivities, 'requestCellUpdate' | 'requestCellRollback' | 'cellTarget' | 'cancelCellUpdate'>
>({ startToCloseTimeout: '30s', retry: OWN });

// Waiting for another update may take as long as that update: it heartbeats, and a retry waits again.
export const { awaitUpdateResult } = proxyActivities<Pick<CellActivities, 'awaitUpdateResult'>>({
  startToCloseTimeout: '30d',
  heartbeatTimeout: '30s',
  retry: UNTIL_DONE,
});

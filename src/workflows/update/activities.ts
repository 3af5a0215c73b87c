// The activities an update calls, each proxied with its own profile. One activity per side
// effect: each is a step of its own in the update's history and progress.
import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { CellActivities, ClusterActivities } from '../../activities';
import { NON_RETRYABLE } from '../../domain/errors';

// Cluster steps change a live system: a few quick retries absorb a blip, then the saga takes over.
// Every step heartbeats while it runs (runStep), so a dead worker is noticed in 10 s, not at its timeout.
const STEP_RETRY: RetryPolicy = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE };
const HEARTBEAT = '10s';

// Preflight reads the catalog and the cluster; its refusals (PreflightFailed, ReleaseNotFound) are not retried.
export const { preflight } = proxyActivities<Pick<ClusterActivities, 'preflight'>>({ startToCloseTimeout: '2m', heartbeatTimeout: HEARTBEAT, retry: STEP_RETRY });

// The maintenance switch is one idempotent write; leaving maintenance is also every update's last undo.
export const { enterMaintenance, leaveMaintenance } = proxyActivities<Pick<ClusterActivities, 'enterMaintenance' | 'leaveMaintenance'>>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: HEARTBEAT,
  retry: STEP_RETRY,
});

// Pulls reach every node and may take long; the next attempt resumes from the last heartbeat's details.
export const { pullImages } = proxyActivities<Pick<ClusterActivities, 'pullImages'>>({ startToCloseTimeout: '30m', heartbeatTimeout: HEARTBEAT, retry: STEP_RETRY });

// Apply writes the release's objects; applying again under the same key is a no-op.
export const { applyRelease } = proxyActivities<Pick<ClusterActivities, 'applyRelease'>>({ startToCloseTimeout: '5m', heartbeatTimeout: HEARTBEAT, retry: STEP_RETRY });

// Verify and rollback wait for rollouts to complete, which takes as long as the cluster needs.
export const { verifyRollout, rollbackRelease } = proxyActivities<Pick<ClusterActivities, 'verifyRollout' | 'rollbackRelease'>>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: HEARTBEAT,
  retry: STEP_RETRY,
});

// One health reading; the workflow judges it. A reading that fails is a failed check after the retries.
export const { checkHealth } = proxyActivities<Pick<ClusterActivities, 'checkHealth'>>({ startToCloseTimeout: '1m', heartbeatTimeout: HEARTBEAT, retry: STEP_RETRY });

// What the cluster runs, read once an update has ended; it changes nothing, so it is retried longer.
export const { readActualVersion } = proxyActivities<Pick<ClusterActivities, 'readActualVersion'>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

// Asking another cell's controller (staging-first asks its staging cell's): a refusal is permanent.
export const { requestCellUpdate, requestCellRollback, cellTarget, cancelCellUpdate } = proxyActivities<
  Pick<CellActivities, 'requestCellUpdate' | 'requestCellRollback' | 'cellTarget' | 'cancelCellUpdate'>
>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10 } });

// Waiting for another update may take as long as that update: it heartbeats, and a retry waits again.
export const { awaitUpdateResult } = proxyActivities<Pick<CellActivities, 'awaitUpdateResult'>>({
  startToCloseTimeout: '30d',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

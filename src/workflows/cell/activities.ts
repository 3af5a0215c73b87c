// The activities a cell's controller calls, each proxied with its own profile.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CatalogActivities, ClusterActivities, FlagActivities, InfraActivities } from '../../activities';
import { NON_RETRYABLE } from '../../domain/errors';

// Registration may meet a cluster or stack that is still coming up: keep trying for a while.
export const { registerCluster, registerStack } = proxyActivities<Pick<ClusterActivities, 'registerCluster'> & Pick<InfraActivities, 'registerStack'>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE },
});

// The drift check reads what the cluster runs: it changes nothing; a check that fails waits for the next interval.
export const { readActualVersion } = proxyActivities<Pick<ClusterActivities, 'readActualVersion'>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

// Pushing flags replaces the whole set (idempotent); one that keeps failing is pushed again at the next wake-up.
export const { syncFlags } = proxyActivities<Pick<FlagActivities, 'syncFlags'>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

// The catalog is cellshift's own store, read without a round trip through the server (a local activity).
export const { listReleases } = proxyLocalActivities<Pick<CatalogActivities, 'listReleases'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10 },
});

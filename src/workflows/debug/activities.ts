// The activities a grant of debug access calls, each proxied with its own profile.
import { proxyActivities } from '@temporalio/workflow';
import type { ClusterActivities } from '../../activities';
import { NON_RETRYABLE } from '../../domain/errors';
import type { ClusterTarget } from '../../domain/ports';
import { routedTo } from '../agent-routing';

/**
 * Granting, on the cell (its agent's queue for an agent cell): a few retries, and an agent that
 * does not take it within its wait fails the grant. Revoking: retried until the cell answers,
 * however long its agent is away (no wait for it to take the task, no attempt limit).
 */
export function debugActivities(target: ClusterTarget, agentWaitSeconds?: number) {
  const { grantDebugAccess } = proxyActivities<Pick<ClusterActivities, 'grantDebugAccess'>>({
    ...routedTo(target, agentWaitSeconds),
    startToCloseTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  const { revokeDebugAccess } = proxyActivities<Pick<ClusterActivities, 'revokeDebugAccess'>>({
    ...routedTo(target),
    startToCloseTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  return { grantDebugAccess, revokeDebugAccess };
}

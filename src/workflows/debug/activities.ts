// The activities a grant of debug access calls, each proxied with its own profile.
import { proxyActivities } from '@temporalio/workflow';
import type { ClusterActivities } from '../../activities';
import type { ClusterTarget } from '../../domain/ports';
import { routedTo } from '../agents/routing';
import { STEP, UNTIL_DONE } from '../retry';

/**
 * Granting, on the cell (its agent's queue for an agent cell): a few retries, and an agent that
 * does not take it within its wait fails the grant. Revoking: retried until the cell answers,
 * however long its agent is away (no wait for it to take the task, no attempt limit).
 */
export function debugActivities(target: ClusterTarget, agentWaitSeconds?: number) {
  const { grantDebugAccess } = proxyActivities<Pick<ClusterActivities, 'grantDebugAccess'>>({
    ...routedTo(target, agentWaitSeconds),
    startToCloseTimeout: '2m',
    retry: STEP,
  });
  const { revokeDebugAccess } = proxyActivities<Pick<ClusterActivities, 'revokeDebugAccess'>>({
    ...routedTo(target),
    startToCloseTimeout: '2m',
    retry: UNTIL_DONE,
  });
  return { grantDebugAccess, revokeDebugAccess };
}

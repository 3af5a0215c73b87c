// The activities an infrastructure update calls, each proxied with its own profile.
import { proxyActivities } from '@temporalio/workflow';
import type { InfraActivities } from '../../activities';
import type { ClusterTarget } from '../../domain/ports';
import { routedTo } from '../agents/routing';
import { BRIEF, NOTIFY, PATIENT } from '../retry';

/**
 * The steps on a cell's stack: on the control plane's workers, or on the cell's agent (which holds
 * the stack's credentials). `agentWaitSeconds` bounds how long a step waits for that agent.
 */
export function stackActivities(target: Pick<ClusterTarget, 'cellId' | 'connection'>, agentWaitSeconds?: number) {
  const queue = routedTo(target, agentWaitSeconds);
  // Stack calls are short requests to CloudFormation: a few retries absorb throttling and blips.
  const { prepareInfraChangeSet, executeInfraChangeSet, describeStack } = proxyActivities<
    Pick<InfraActivities, 'prepareInfraChangeSet' | 'executeInfraChangeSet' | 'describeStack'>
  >({
    ...queue,
    startToCloseTimeout: '2m',
    heartbeatTimeout: '30s',
    retry: BRIEF,
  });

  // A stack update takes minutes to an hour: the wait heartbeats; a failed update is permanent for that attempt.
  const { waitForStackUpdate } = proxyActivities<Pick<InfraActivities, 'waitForStackUpdate'>>({
    ...queue,
    startToCloseTimeout: '2h',
    heartbeatTimeout: '1m',
    retry: PATIENT,
  });
  return { prepareInfraChangeSet, executeInfraChangeSet, describeStack, waitForStackUpdate };
}

// Telling people must not be lost: retried for a day.
export const { notifyContacts } = proxyActivities<Pick<InfraActivities, 'notifyContacts'>>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1d',
  retry: NOTIFY,
});

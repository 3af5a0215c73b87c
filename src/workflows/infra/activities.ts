// The activities an infrastructure update calls, each proxied with its own profile.
import { proxyActivities } from '@temporalio/workflow';
import type { InfraActivities } from '../../activities';
import { NON_RETRYABLE } from '../../domain/errors';

// Stack calls are short requests to CloudFormation: a few retries absorb throttling and blips.
export const { prepareInfraChangeSet, executeInfraChangeSet, describeStack } = proxyActivities<
  Pick<InfraActivities, 'prepareInfraChangeSet' | 'executeInfraChangeSet' | 'describeStack'>
>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

// A stack update takes minutes to an hour: the wait heartbeats; a failed update is permanent for that attempt.
export const { waitForStackUpdate } = proxyActivities<Pick<InfraActivities, 'waitForStackUpdate'>>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

// Telling people must not be lost: retried for a day.
export const { notifyContacts } = proxyActivities<Pick<InfraActivities, 'notifyContacts'>>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1d',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m' },
});

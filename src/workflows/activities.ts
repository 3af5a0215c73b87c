// Activity proxies with named retry profiles. Workflows import activity types only.
import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE } from '../domain/errors';

// Cluster steps change a live system: a few quick retries absorb blips, then the saga takes over.
// Every step heartbeats while it runs (runStep), so a dead worker is noticed in 10 s, not 2 min.
const STEP: ActivityOptions = {
  startToCloseTimeout: '2m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
};

// Image pulls, rollout waits and rollbacks (which wait for the restored rollout) take long; the next
// attempt resumes from the last heartbeat's details.
const LONG_STEP: ActivityOptions = { ...STEP, startToCloseTimeout: '30m' };

// Reads change nothing and return fast: local activities, run by the worker without a round
// trip through the server, retried longer before giving up.
const READ: LocalActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
};

// Registration may meet a cluster that is still coming up: keep trying for a while.
const REGISTER: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE },
};

// Steps that are one short call to the cluster (preflight's reads, the maintenance switch): local
// activities, so a step costs no round trip through the server. Apply, pulls, rollout waits and
// rollbacks stay ordinary activities: they heartbeat, and progress shows them running.
const QUICK_STEP: LocalActivityOptions = { startToCloseTimeout: '2m', retry: STEP.retry };

export const steps = proxyActivities<Activities>(STEP);
export const quickSteps = proxyLocalActivities<Activities>(QUICK_STEP);
export const longSteps = proxyActivities<Activities>(LONG_STEP);
export const reads = proxyLocalActivities<Activities>(READ);
export const registration = proxyActivities<Activities>(REGISTER);

// Asking another cell's controller: a refusal is permanent (non-retryable from the activity).
const CELL_REQUEST: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10 },
};

// Waiting for another update may take as long as that update: it heartbeats, and a retry waits again.
const AWAIT_UPDATE: ActivityOptions = {
  startToCloseTimeout: '30d',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
};

export const cells = proxyActivities<Activities>(CELL_REQUEST);
export const longCells = proxyActivities<Activities>(AWAIT_UPDATE);

// Stack updates take minutes to an hour: the wait heartbeats; a failed update is permanent for that attempt.
const STACK_WAIT: ActivityOptions = {
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
};

// Telling people must not be lost: retried for a day.
const NOTIFY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m' },
  scheduleToCloseTimeout: '1d',
};

export const stackWait = proxyActivities<Activities>(STACK_WAIT);
export const notifications = proxyActivities<Activities>(NOTIFY);

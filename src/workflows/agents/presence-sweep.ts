// Keeps the read model's view of agents fresh: a sweep of every agent cell's queue, then a durable
// timer, for as long as the control plane runs. One per task queue, however many workers start it.
import { ActivityFailure, continueAsNew, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { ReadModelActivities } from '../../activities';
import { BRIEF } from '../retry';

const { sweepAgentPresence } = proxyActivities<Pick<ReadModelActivities, 'sweepAgentPresence'>>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: BRIEF,
});

/** Sweeps per run before the history starts afresh (each adds about ten events). */
const SWEEPS_PER_RUN = 200;

export interface AgentPresenceSweepInput {
  intervalSeconds: number;
}

export async function agentPresenceSweep(input: AgentPresenceSweepInput): Promise<void> {
  for (let i = 0; i < SWEEPS_PER_RUN; i++) {
    try {
      await sweepAgentPresence();
    } catch (err) {
      // The database or the server away for minutes: the lists show older presence until the next sweep.
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('agent presence sweep failed; trying again at the next', { error: err.message });
    }
    await sleep(input.intervalSeconds * 1000);
  }
  await continueAsNew<typeof agentPresenceSweep>(input);
}

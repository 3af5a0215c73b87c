import type { ActivityOptions } from '@temporalio/workflow';
import { agentTaskQueue } from '../../domain/agent';
import type { ClusterTarget } from '../../domain/ports';

/**
 * Where a cell's cluster steps are scheduled: nowhere special for a direct cell (the workflow's own
 * queue); the cell's own queue for an agent cell, where a step no agent takes within
 * `agentWaitSeconds` fails as AgentUnreachable (a state, not a hang). Without a wait, it waits
 * for as long as the agent takes.
 */
export function routedTo(target: Pick<ClusterTarget, 'cellId' | 'connection'>, agentWaitSeconds?: number): Pick<ActivityOptions, 'taskQueue' | 'scheduleToStartTimeout'> {
  if (target.connection !== 'agent') return {};
  return { taskQueue: agentTaskQueue(target.cellId), ...(agentWaitSeconds !== undefined ? { scheduleToStartTimeout: agentWaitSeconds * 1000 } : {}) };
}

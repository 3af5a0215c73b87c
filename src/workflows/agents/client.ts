// Whether a cell's agent is there, read from the pollers of its task queue (DescribeTaskQueue):
// what Temporal itself knows, with no heartbeat signal per cell. The API shows it; a rollout holds
// a cell whose agent is offline.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { agentTaskQueue, versionOfIdentity, type AgentPresence } from '../../domain/agent';
import type { agentPresenceSweep } from './presence-sweep';
import { agentPresenceWorkflowId } from '../ids';

/**
 * `registered`: the cell's agent has registered. The server forgets pollers after a few minutes, so
 * a registered agent it no longer lists has been gone that long: offline, not never seen.
 */
export async function agentPresence(client: Client, cellId: string, offlineAfterSeconds: number, options: { registered?: boolean; now?: number } = {}): Promise<AgentPresence> {
  const now = options.now ?? Date.now();
  const queue = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: agentTaskQueue(cellId), kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const latest = (queue.pollers ?? [])
    .map((p) => ({ identity: p.identity ?? '', at: p.lastAccessTime ? Number(p.lastAccessTime.seconds ?? 0) * 1000 + Math.floor((p.lastAccessTime.nanos ?? 0) / 1e6) : 0 }))
    .sort((a, b) => b.at - a.at)[0];
  if (!latest) return { status: options.registered ? 'offline' : 'never-seen', lastSeen: null, version: null, identity: null };
  const online = now - latest.at <= offlineAfterSeconds * 1000;
  return { status: online ? 'online' : 'offline', lastSeen: new Date(latest.at).toISOString(), version: versionOfIdentity(latest.identity), identity: latest.identity };
}

/**
 * Starts the task queue's agent presence sweep unless it runs: every worker calls this at start,
 * and the first one's stays. It looks twice per offline threshold, at most once a minute.
 */
export async function startAgentPresenceSweep(client: Client, taskQueue: string, offlineAfterSeconds: number): Promise<void> {
  const intervalSeconds = Math.max(5, Math.min(60, Math.floor(offlineAfterSeconds / 2)));
  await client.workflow.start<typeof agentPresenceSweep>('agentPresenceSweep', {
    workflowId: agentPresenceWorkflowId(taskQueue),
    taskQueue,
    args: [{ intervalSeconds }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

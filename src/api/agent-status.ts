// Whether a cell's agent is there, read from the pollers of its task queue (DescribeTaskQueue):
// what Temporal itself knows, with no heartbeat signal per cell.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { agentTaskQueue } from '../domain/agent';
import type { CellView } from '../domain/cell';

/** An idle agent polls again about once a minute (a long poll): older than this, it is gone. */
const ONLINE_WITHIN_MS = 2 * 60_000;

export interface AgentStatus {
  status: 'online' | 'offline' | 'never-seen';
  /** when an agent last polled the cell's queue, as far as the server remembers (a few minutes) */
  lastSeen: string | null;
  /** the agent's version and identity (`cell/<id>/<version>/<host>`), from its last poll */
  version: string | null;
  identity: string | null;
}

export async function agentStatus(client: Client, view: CellView, now = Date.now()): Promise<AgentStatus> {
  const queue = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: agentTaskQueue(view.spec.id), kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const latest = (queue.pollers ?? [])
    .map((p) => ({ identity: p.identity ?? '', at: p.lastAccessTime ? Number(p.lastAccessTime.seconds ?? 0) * 1000 + Math.floor((p.lastAccessTime.nanos ?? 0) / 1e6) : 0 }))
    .sort((a, b) => b.at - a.at)[0];
  if (!latest) return { status: view.state === 'registering' ? 'never-seen' : 'offline', lastSeen: null, version: null, identity: null };
  const version = latest.identity.split('/')[2] ?? null;
  return { status: now - latest.at <= ONLINE_WITHIN_MS ? 'online' : 'offline', lastSeen: new Date(latest.at).toISOString(), version, identity: latest.identity };
}

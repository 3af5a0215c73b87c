// Cell agents: a worker inside a cell that runs the cell's cluster and stack steps, reached only
// through a task queue of its own (it makes outgoing connections only).

/** How the control plane reaches a cell: its own workers holding the cell's credentials, or the cell's agent. */
export type CellConnection = 'direct' | 'agent';

/** How long a step waits for a cell's agent to take it before the agent counts as unreachable. */
export const DEFAULT_AGENT_WAIT_SECONDS = 600;

/** The task queue only a cell's agent polls. */
export function agentTaskQueue(cellId: string): string {
  return `cell/${cellId}`;
}

/** How an agent names itself to Temporal: what the cell's pollers show. */
export function agentIdentity(cellId: string, agentVersion: string, host: string): string {
  return `cell/${cellId}/${agentVersion}/${host}`;
}

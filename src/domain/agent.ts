// Cell agents: a worker inside a cell that runs the cell's cluster and stack steps, reached only
// through a task queue of its own (it makes outgoing connections only).
import { compareVersions } from './version';

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

/**
 * The oldest agent this control plane can drive: an older one lacks steps the workflows schedule,
 * so its cell is held (with the reason) rather than failing mid-update on an unknown activity.
 * Raised with a release whose workflows need a new agent step; an install may raise it further
 * (`CELLSHIFT_MIN_AGENT_VERSION`).
 */
export const MIN_AGENT_VERSION = '0.2.0';

/** An idle agent polls again about once a minute (a long poll): not seen for longer, it counts as offline. */
export const DEFAULT_AGENT_OFFLINE_AFTER_SECONDS = 120;

/** How the control plane judges agents: when one counts as offline, and the oldest it can drive. */
export interface AgentPolicy {
  offlineAfterSeconds: number;
  minVersion: string;
}

export const DEFAULT_AGENT_POLICY: AgentPolicy = { offlineAfterSeconds: DEFAULT_AGENT_OFFLINE_AFTER_SECONDS, minVersion: MIN_AGENT_VERSION };

/** What an agent said of itself when it registered with its bootstrap token. */
export interface AgentRegistration {
  agentVersion: string;
  /** the cluster's version as the agent reads it (`/version`); absent where it reaches no Kubernetes (a simulated cell) */
  kubernetesVersion?: string;
  /** the steps and adapters it can run */
  capabilities: string[];
  host: string;
  registeredAt: string;
}

/** Whether a cell's agent is there, from the pollers of its queue (what Temporal itself knows). */
export interface AgentPresence {
  status: 'online' | 'offline' | 'never-seen';
  /** when an agent last polled the cell's queue, as far as the server remembers (a few minutes) */
  lastSeen: string | null;
  /** the agent's version and identity (`cell/<id>/<version>/<host>`), from its last poll */
  version: string | null;
  identity: string | null;
}

/** The agent's version as its identity names it. */
export function versionOfIdentity(identity: string): string | null {
  return identity.split('/')[2] || null;
}

/** What a cell's agent is, as the controller judges it before an update: where it is, and the oldest this control plane drives. */
export interface AgentCheck {
  presence: AgentPresence;
  minVersion: string;
}

/**
 * Why an update must not go through the cell's agent now, if it must not: an agent older than the
 * control plane needs (it would fail mid-update on a step it does not know), or, when `online` is
 * required (a rollout, which must not wait on one cell), an agent not polling. The version comes
 * from its pollers, or from its registration once the server has forgotten them.
 */
export function agentHold(check: AgentCheck, registered: AgentRegistration | undefined, requireOnline: boolean): string | undefined {
  const { presence, minVersion } = check;
  const version = presence.version ?? registered?.agentVersion;
  if (version && compareVersions(version, minVersion) < 0) {
    return `agent ${version} is older than ${minVersion}, the oldest this control plane drives: upgrade the cell's agent`;
  }
  if (!requireOnline || presence.status === 'online') return undefined;
  return presence.lastSeen ? `agent offline: last seen polling at ${presence.lastSeen}` : registered ? 'agent offline: not seen polling' : 'no agent has registered yet';
}

// The activities a cell's controller calls, each proxied with its own profile.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CatalogActivities, CellActivities, CellRemovalActivities, ClusterActivities, ConfigActivities, FlagActivities, InfraActivities } from '../../activities';
import { DEFAULT_AGENT_WAIT_SECONDS } from '../../domain/agent';
import type { ClusterTarget } from '../../domain/ports';
import { routedTo } from '../agents/routing';
import { BRIEF, OWN, PATIENT, UNTIL_DONE } from '../retry';

/** The controller's calls on its cell's cluster: on the control plane's workers, or on the cell's agent. */
export function cellClusterActivities(target: ClusterTarget, agentWaitSeconds = DEFAULT_AGENT_WAIT_SECONDS) {
  const queue = routedTo(target, agentWaitSeconds);

  // Registration may meet a cluster that is still coming up: keep trying for a while. An agent
  // cell's registration waits for as long as its agent takes to connect (the cell is `registering`).
  const { registerCluster } = proxyActivities<Pick<ClusterActivities, 'registerCluster'>>({
    ...routedTo(target),
    startToCloseTimeout: '1m',
    retry: PATIENT,
  });

  // The drift check reads what the cluster runs: it changes nothing; a check that fails waits for the next interval.
  const { readActualVersion } = proxyActivities<Pick<ClusterActivities, 'readActualVersion'>>({
    ...queue,
    startToCloseTimeout: '1m',
    retry: BRIEF,
  });

  // Flags are computed on the control plane (cellFlags) and written by whoever reaches the cluster.
  const { setFlags } = proxyActivities<Pick<ClusterActivities, 'setFlags'>>({
    ...queue,
    startToCloseTimeout: '1m',
    retry: BRIEF,
  });

  // Registering the stack reads it once (with the stack's credentials: the agent's, for an agent cell); it may still be coming up.
  const { registerStack } = proxyActivities<Pick<InfraActivities, 'registerStack'>>({
    ...routedTo(target),
    startToCloseTimeout: '1m',
    retry: PATIENT,
  });

  return { registerCluster, registerStack, readActualVersion, setFlags };
}

// Pushing flags replaces the whole set (idempotent); one that keeps failing is pushed again at the next wake-up.
export const { syncFlags, cellFlags } = proxyActivities<Pick<FlagActivities, 'syncFlags' | 'cellFlags'>>({
  startToCloseTimeout: '1m',
  retry: BRIEF,
});

// The catalog is cellshift's own store, read without a round trip through the server (a local activity).
export const { listReleases } = proxyLocalActivities<Pick<CatalogActivities, 'listReleases'>>({
  startToCloseTimeout: '30s',
  retry: OWN,
});

// Whether the cell has the configuration a release requires: one read of cellshift's own store.
export const { missingConfig } = proxyLocalActivities<Pick<ConfigActivities, 'missingConfig'>>({
  startToCloseTimeout: '30s',
  retry: OWN,
});

// Whether the cell's agent is there and new enough: one read of the server's pollers, on the control plane.
export const { checkAgent } = proxyActivities<Pick<CellActivities, 'checkAgent'>>({
  startToCloseTimeout: '30s',
  retry: BRIEF,
});

// A removal's last steps: revoking debug grants waits for each to be revoked in the cell; all are
// idempotent and retried until they are done (a removal that stops halfway is not an option).
export const { endCellWorkflows, retireCellRecords } = proxyActivities<CellRemovalActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: UNTIL_DONE,
});

// Cancelling the update a removal found running: the update compensates, the controller awaits its end.
export const { cancelCellUpdate } = proxyActivities<Pick<CellActivities, 'cancelCellUpdate'>>({
  startToCloseTimeout: '30s',
  retry: UNTIL_DONE,
});

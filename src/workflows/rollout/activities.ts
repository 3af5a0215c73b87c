// The activities a fleet rollout calls, each proxied with its own profile.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { FleetActivities, VetoActivities, WebhookActivities } from '../../activities';
import type { ClusterRef } from '../../domain/cell';
import { judgeHealth } from '../../domain/health';
import { DEFAULT_LIVE } from '../../domain/strategy-options';
import { describeFailure } from '../failures';
import { clusterActivities } from '../update/activities';
import { PATIENT, UNTIL_DONE } from '../retry';

// Listing the fleet, checking a ring's health, rolling cells back: requests to many cells at once,
// heartbeating per cell; retried, since each is a read or an idempotent request.
export const { listFleetCells, listRolloutCells, ringHealth, rollbackCells } = proxyActivities<Pick<FleetActivities, 'listFleetCells' | 'listRolloutCells' | 'ringHealth' | 'rollbackCells'>>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: PATIENT,
});

// A wave: every cell's controller asked, answering when its cell ends (maintenance windows
// included, so days at worst); it heartbeats every second, so a lost worker is noticed in a minute,
// and a retry asks again (a controller that answered answers the same).
export const { updateCells } = proxyActivities<Pick<FleetActivities, 'updateCells'>>({
  startToCloseTimeout: '30d',
  heartbeatTimeout: '1m',
  retry: PATIENT,
});

// A rollout with autoVeto over its budget: records the veto and starts its sweep.
export const { vetoRelease } = proxyActivities<Pick<VetoActivities, 'vetoRelease'>>({
  startToCloseTimeout: '1m',
  retry: UNTIL_DONE,
});

// Telling subscribers of a halt or an end: queued in the database, sent by the delivery loop.
export const { publishEvents } = proxyActivities<Pick<WebhookActivities, 'publishEvents'>>({
  startToCloseTimeout: '30s',
  retry: UNTIL_DONE,
});

/**
 * An agent cell's health after its ring's bake, read by its agent (the control plane cannot reach
 * its cluster) and judged as the ring's other cells are; an agent that does not answer within its
 * wait makes the cell count as unhealthy, with the reason.
 */
export async function agentCellHealth(cellId: string, cluster: ClusterRef): Promise<{ cellId: string; ok: boolean; reason: string }> {
  const target = { cellId, cluster, connection: 'agent' as const };
  try {
    const { report } = await clusterActivities(target).checkHealth(target);
    return { cellId, ...judgeHealth(report, DEFAULT_LIVE.analysis) };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { cellId, ok: false, reason: `health not read through its agent: ${describeFailure(err)}` };
  }
}

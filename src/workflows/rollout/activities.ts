// The activities a fleet rollout calls, each proxied with its own profile.
import { proxyActivities } from '@temporalio/workflow';
import type { FleetActivities } from '../../activities';

// Listing the fleet, checking a ring's health, rolling cells back: requests to many cells at once,
// heartbeating per cell; retried, since each is a read or an idempotent request.
export const { listFleetCells, ringHealth, rollbackCells } = proxyActivities<Pick<FleetActivities, 'listFleetCells' | 'ringHealth' | 'rollbackCells'>>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

// A wave: every cell's controller asked, answering when its cell ends (maintenance windows
// included, so days at worst); it heartbeats every second, so a lost worker is noticed in a minute,
// and a retry asks again (a controller that answered answers the same).
export const { updateCells } = proxyActivities<Pick<FleetActivities, 'updateCells'>>({
  startToCloseTimeout: '30d',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

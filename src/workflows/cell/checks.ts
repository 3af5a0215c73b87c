import { ActivityFailure } from '@temporalio/workflow';
import { newestVisible, visibleReleases } from '../../domain/channels';
import { laggedTarget } from '../../domain/contract';
import { planUpgrade } from '../../domain/upgrade-path';
import { compareVersions } from '../../domain/version';
import { describeFailure } from '../failures';
import { now } from '../update/progress';
import { cellClusterActivities, listReleases } from './activities';
import type { Cell } from './cell';
import { observe, type Observed } from './read-back';

/**
 * The periodic checks: what the cluster really runs (drift: someone changed it by hand), and what
 * the catalog offers the cell (with auto-update, the newest release its ring may run becomes the
 * desired version). A cell that runs nothing takes the newest release as its first install.
 */
export async function check(cell: Cell): Promise<void> {
  const { spec, status } = cell;
  if (status.currentUpdate || status.state === 'awaiting-agent' || status.state === 'registration-failed' || status.state === 'registering') return;
  let actual: Observed;
  try {
    actual = await cellClusterActivities(cell.target, spec.agentWaitSeconds).readActualVersion(cell.target);
  } catch (err) {
    // An unreachable cluster is news, not a drift: the next check tries again.
    if (!(err instanceof ActivityFailure)) throw err;
    status.lastCheck = { at: now(), error: describeFailure(err) };
    return;
  }
  observe(cell, actual, 'found on by the periodic check');
  const releases = await listReleases();
  // A cell whose contract lags its ring takes the newest of the line it follows.
  const lag = spec.contract?.lag ?? 0;
  const lagged = lag > 0 ? laggedTarget(visibleReleases(releases, { ring: spec.ring, airGapped: spec.airGapped }), lag) : undefined;
  const newest = lag > 0 ? (lagged && (status.version === undefined || compareVersions(lagged.version, status.version) > 0) ? lagged : undefined) : newestVisible(releases, { ring: spec.ring, airGapped: spec.airGapped }, status.version);
  status.lastCheck = { at: now(), newest: newest?.version };
  if (spec.autoUpdate && newest && (status.desiredVersion === undefined || compareVersions(newest.version, status.desiredVersion) > 0)) {
    const plan = planUpgrade(status.version, newest.version, cell.usable(releases));
    status.desiredVersion = newest.version;
    delete status.desiredWindow;
    delete status.desiredRollback;
    if (plan.ok) {
      status.plan = plan.plan;
      delete status.reconcileError;
    } else {
      status.reconcileError = plan.reason;
    }
  }
  if (status.version === undefined && status.desiredVersion === undefined && newest) {
    status.desiredVersion = newest.version;
    delete status.desiredWindow;
    delete status.desiredRollback;
    status.plan = [newest.version];
  }
}

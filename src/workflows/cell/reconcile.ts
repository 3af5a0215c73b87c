import { ErrorType } from '../../domain/errors';
import { visibleReleases } from '../../domain/channels';
import { lagRefusal } from '../../domain/contract';
import { rollbackTarget } from '../../domain/rollback-target';
import type { CatalogRelease } from '../../domain/release';
import { checkDirectUpgrade, planUpgrade } from '../../domain/upgrade-path';
import { refuse } from '../failures';
import type { DesiredVersionRequest } from '../messages';
import { listReleases } from './activities';
import { agentHoldReason, requireAgentFit } from './agent';
import type { Cell } from './cell';
import { configHoldReason, reconcileConfig } from './config';
import { startHop, startRollback } from './updates';

/**
 * Refuses a release this cell may not take from where it is: unknown, invisible to an air-gapped
 * cell, or off the upgrade path. `direct`: in one update (a request); otherwise through stepping
 * stones (a desired version). Returns the hops.
 */
export function requireReachable(cell: Cell, version: string, releases: CatalogRelease[], direct: boolean): string[] {
  const { spec, status } = cell;
  const release = releases.find((r) => r.version === version);
  if (!release) refuse(ErrorType.ReleaseNotFound, `release ${version} is not in the catalog`, { missing: version });
  if (release.veto) refuse(ErrorType.ReleaseVetoed, vetoed(version, release), { missing: version });
  if (spec.airGapped && release.source !== 'bundle') {
    refuse(ErrorType.ReleaseNotFound, `cell ${spec.id} is air-gapped: release ${version} was not uploaded as a bundle`, { missing: version });
  }
  const usable = cell.usable(releases);
  const path = direct ? checkDirectUpgrade(status.version, version, usable) : planUpgrade(status.version, version, usable);
  if (!path.ok) refuse(path.missing === version ? ErrorType.ReleaseNotFound : ErrorType.IncompatibleVersion, path.reason, { missing: path.missing });
  return path.plan;
}

function vetoed(version: string, release: CatalogRelease): string {
  return `release ${version} was vetoed by ${release.veto!.by} at ${release.veto!.at}: ${release.veto!.reason}`;
}

/**
 * Sets the version the cell should run, and the hops to it; the main loop starts them. A rollback
 * rollout's request names the version to leave: the cell goes back to the one it ran before.
 */
export async function setDesired(cell: Cell, request: DesiredVersionRequest): Promise<string[]> {
  const { status } = cell;
  const releases = request.releases ?? (await listReleases());
  const target = request.rollback ? rollbackTarget(status.version, status.history) : undefined;
  if (target && !target.ok) refuse(ErrorType.IncompatibleVersion, target.reason);
  const version = target?.version ?? request.version;
  // A cell whose contract lags its ring takes no release ahead of its line (held, with the reason).
  const lag = cell.spec.contract?.lag ?? 0;
  if (!target && lag > 0) {
    const refusal = lagRefusal(version, visibleReleases(await listReleases(), { ring: cell.spec.ring, airGapped: cell.spec.airGapped }), lag);
    if (refusal) refuse(ErrorType.UpdatesHeld, refusal);
  }
  const plan = target ? [version] : requireReachable(cell, version, releases, false);
  // A rollout does not wait on one cell's absent agent: the cell is held, with the reason.
  await requireAgentFit(cell, request.rolloutId !== undefined);
  cell.releases = releases;
  status.desiredVersion = version;
  status.plan = plan;
  if (target) status.desiredRollback = true;
  else delete status.desiredRollback;
  delete status.reconcileError;
  delete status.reconcileHeld;
  if (request.rolloutId) status.rollout = { id: request.rolloutId, version };
  else delete status.rollout;
  if (request.window) status.desiredWindow = request.window;
  else delete status.desiredWindow;
  cell.wake = true;
  return plan;
}

/** Desired ≠ installed and nothing runs: start the next hop of the plan. */
export async function reconcile(cell: Cell): Promise<void> {
  const { spec, status } = cell;
  const fresh = cell.releases;
  cell.releases = undefined;
  const desired = status.desiredVersion;
  // On its desired version, the cell may still have a configuration change to run.
  if (!desired || desired === status.version) return reconcileConfig(cell);
  // A held cell (its agent away or too old, or lacking configuration) tries again at each wake-up; a failed one waits for an operator.
  if (status.currentUpdate || (status.reconcileError && !status.reconcileHeld) || status.sla === 'out-of-sla') return;
  if (status.state !== 'ready' && status.state !== 'install-failed') return;
  if (status.desiredRollback) {
    await startRollback(cell, desired, 'controller');
    return;
  }
  const releases = fresh ?? (await listReleases());
  // Vetoed after it was desired: the hops stop where they are.
  const release = releases.find((r) => r.version === desired);
  if (release?.veto) {
    status.reconcileError = vetoed(desired, release);
    delete status.reconcileHeld;
    return;
  }
  const plan = planUpgrade(status.version, desired, cell.usable(releases));
  if (!plan.ok) {
    status.reconcileError = plan.reason;
    delete status.reconcileHeld;
    return;
  }
  status.plan = plan.plan;
  // Tried again after a hold, the cell's agent must be polling: no update is started only to wait for it.
  // A release whose required items the cell lacks holds it, naming them, until they are set.
  const held = (await agentHoldReason(cell, status.reconcileHeld === true)) ?? (await configHoldReason(cell, plan.plan[0], releases));
  if (held) {
    status.reconcileError = held;
    status.reconcileHeld = true;
    return;
  }
  delete status.reconcileError;
  delete status.reconcileHeld;
  await startHop(cell, spec.strategy, plan.plan[0], { requestedBy: 'controller', window: status.desiredWindow }, releases);
}

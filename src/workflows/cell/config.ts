// The cell's configuration as its controller knows it: revisions only (the values stay in the
// database and the cell). A new revision is a configuration change, run as an update of its own
// once nothing else runs; a release whose required items the cell lacks holds the cell.
import { ErrorType } from '../../domain/errors';
import type { CatalogRelease } from '../../domain/release';
import { refuse } from '../failures';
import type { DesiredConfigRequest } from '../messages';
import { missingConfig } from './activities';
import type { Cell } from './cell';
import { startConfigChange } from './updates';

export function requireNewerConfig(cell: Cell, request: DesiredConfigRequest): void {
  const desired = cell.status.config?.desired ?? 0;
  if (request.revision < desired) refuse(ErrorType.InvalidState, `cell ${cell.spec.id} already runs towards configuration revision ${desired}`);
}

/** Takes a new revision as the one the cell should run; a cell held for want of configuration tries again. */
export function setDesiredConfig(cell: Cell, request: DesiredConfigRequest) {
  const { status } = cell;
  const desired = status.config?.desired ?? 0;
  if (request.revision > desired) {
    // Nothing pending, nothing running, and the release the cell runs renders the same: the cell already runs this revision.
    const unchanged = request.unchangedOn !== undefined && request.unchangedOn === status.version && !status.currentUpdate && (status.config?.applied ?? 0) === desired;
    status.config = {
      ...status.config,
      ...(unchanged ? { applied: request.revision } : {}),
      desired: request.revision,
      requestedBy: request.requestedBy,
      ...(request.window ? { window: request.window } : {}),
    };
    if (!request.window) delete status.config.window;
    delete status.config.failed;
  }
  cell.wake = true;
  cell.publish();
  return cell.view();
}

/** A newer revision than the cell runs, not already failed: its change is due. */
function configChangeDue(cell: Cell): boolean {
  const config = cell.status.config;
  return config !== undefined && config.desired > (config.applied ?? 0) && config.failed?.revision !== config.desired;
}

/** Starts the configuration change that is due, when the cell runs its desired version and nothing else runs. */
export async function reconcileConfig(cell: Cell): Promise<void> {
  const { status } = cell;
  if (!configChangeDue(cell) || status.currentUpdate || status.version === undefined || status.state !== 'ready' || status.sla === 'out-of-sla') return;
  await startConfigChange(cell);
}

/** Why the cell cannot take `version` yet for want of configuration (asked only of a release that requires items). */
export async function configHoldReason(cell: Cell, version: string, releases: CatalogRelease[]): Promise<string | undefined> {
  const release = releases.find((r) => r.version === version);
  const requires = (release?.config ?? []).some((i) => i.setBy !== 'stack' && (i.required || i.type === 'secret') && i.default === undefined);
  return requires ? missingConfig(cell.spec.id, version) : undefined;
}

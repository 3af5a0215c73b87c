import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import type { CatalogRelease } from '../../domain/release';
import { liveOptions, stagingFirstOptions } from '../../domain/strategy-options';
import type { UpdateInput, UpdateKind, UpdateResult } from '../../domain/update';
import { parseUpdateId, supportBundleWorkflowId, updateWorkflowId } from '../ids';
import type { UpdateAccepted, UpdateRequest } from '../messages';
import { awaitEnd } from '../update/end';
import { liveUpdate } from '../update/live';
import { maintenanceWindowUpdate } from '../update/maintenance-window';
import { rollbackUpdate } from '../update/rollback';
import { stagingFirstUpdate } from '../update/staging-first';
import type { supportBundle } from '../support-bundle/collection';
import { listReleases } from './activities';
import type { Cell } from './cell';

const WORKFLOW_BY_KIND = {
  'maintenance-window': maintenanceWindowUpdate,
  'staging-first': stagingFirstUpdate,
  live: liveUpdate,
  rollback: rollbackUpdate,
  // A change of the cell's configuration: the maintenance steps, in maintenance mode only where its items ask for it.
  config: maintenanceWindowUpdate,
} as const;

/**
 * Starts one update of the cell as a child workflow. The child outlives a continue-as-new of the
 * controller (parent-close policy ABANDON); the controller awaits its result (update/end.ts).
 */
async function start(cell: Cell, kind: UpdateKind, toVersion: string, build: (id: string) => UpdateInput): Promise<UpdateAccepted> {
  const { spec, status } = cell;
  const id = cell.takeUpdateId();
  // The cell is taken from here: a request arriving while the child starts is refused.
  status.currentUpdate = { id, toVersion, strategy: kind };
  try {
    const input = build(id);
    const child = await startChild(WORKFLOW_BY_KIND[kind], { workflowId: updateWorkflowId(id), args: [input], parentClosePolicy: ParentClosePolicy.ABANDON });
    cell.awaited = awaitEnd(input, child);
    void cell.awaited.result.then((result) => cell.tell(() => updateEnded(cell, result)));
  } catch (err) {
    delete status.currentUpdate;
    throw err;
  }
  status.state = status.version === undefined ? 'installing' : 'updating';
  cell.publish();
  return { id, cellId: spec.id, status: 'scheduled', strategy: kind, fromVersion: status.version, toVersion };
}

function baseInput(cell: Cell, id: string, kind: UpdateKind, release: CatalogRelease | undefined, toVersion: string, requestedBy: string): UpdateInput {
  const { spec, status } = cell;
  return {
    id,
    cellId: spec.id,
    cluster: spec.cluster,
    ...(spec.connection === 'agent' ? { connection: spec.connection, ...(spec.agentWaitSeconds ? { agentWaitSeconds: spec.agentWaitSeconds } : {}) } : {}),
    strategy: kind,
    fromVersion: status.version,
    toVersion,
    ...(release ? { digest: release.digest } : {}),
    window: spec.maintenanceWindow,
    expectedUpdateMinutes: spec.expectedUpdateMinutes,
    requestedBy,
    // The revision of the cell's values the release is rendered with: values stay in the database and the cell.
    config: { revision: status.config?.desired ?? 0, ...(kind === 'config' && status.config?.applied !== undefined ? { previous: status.config.applied } : {}), ...(spec.stack ? { stack: spec.stack } : {}) },
  };
}

/** An update of one hop, with the cell's strategy (a first install: at once, in maintenance mode). */
export function startHop(cell: Cell, kind: UpdateKind, version: string, request: Omit<UpdateRequest, 'version' | 'strategy'>, releases: CatalogRelease[]): Promise<UpdateAccepted> {
  const { spec, status } = cell;
  const release = releases.find((r) => r.version === version);
  cell.hopDeclaresFlags = release === undefined ? undefined : (release.flags ?? []).length > 0;
  const firstInstall = status.version === undefined;
  const strategy = firstInstall ? 'maintenance-window' : kind;
  return start(cell, strategy, version, (id) => {
    const update = baseInput(cell, id, strategy, release, version, request.requestedBy);
    if (request.window === 'now' || firstInstall) update.window = 'now';
    if (strategy === 'live') update.live = liveOptions(spec.live, request.live);
    if (strategy === 'staging-first') {
      // The primary's own update gets the id after this one, reserved here.
      update.stagingFirst = { ...stagingFirstOptions(spec.stagingFirst, request.stagingFirst), stagingCellId: spec.stagingCellId!, primaryUpdateId: cell.takeUpdateId() };
    }
    return update;
  });
}

/** The cell's release again, rendered with its newest configuration: in its window unless asked now. */
export async function startConfigChange(cell: Cell): Promise<UpdateAccepted> {
  const { status } = cell;
  const release = (await listReleases()).find((r) => r.version === status.version);
  const requestedBy = status.config?.requestedBy ?? 'controller';
  const window = status.config?.window;
  return start(cell, 'config', status.version!, (id) => {
    const update = baseInput(cell, id, 'config', release, status.version!, requestedBy);
    if (window === 'now') update.window = 'now';
    return update;
  });
}

/** Back to `version`, at once. */
export async function startRollback(cell: Cell, version: string, requestedBy: string): Promise<UpdateAccepted> {
  // The update names the release by its digest (an agent cell's did already, 0.1.0 carried it whole).
  const release = patched('rollback-names-digest') || cell.spec.connection === 'agent' ? (await listReleases()).find((r) => r.version === version) : undefined;
  return start(cell, 'rollback', version, (id) => ({ ...baseInput(cell, id, 'rollback', release, version, requestedBy), window: 'now' }));
}

/**
 * The running update switched maintenance mode (on a staging-first update, the primary's own update
 * does, numbered after it). A switch told late, by an update that has ended, is not the cell's any more.
 */
export function maintenanceSwitched(cell: Cell, updateId: string, enabled: boolean): void {
  const { status } = cell;
  const running = status.currentUpdate && parseUpdateId(status.currentUpdate.id)?.n;
  const told = parseUpdateId(updateId)?.n;
  if (running === undefined || told === undefined || told < running) return;
  status.maintenance = { enabled };
}

/** An update ended (its result, or its signal after a continue-as-new): the cell is on what it installed, and the controller wakes. */
export function updateEnded(cell: Cell, result: UpdateResult): void {
  const { status } = cell;
  if (cell.awaited?.id === result.id) cell.awaited = undefined;
  if (status.currentUpdate?.id !== result.id) return;
  const firstInstall = status.version === undefined;
  delete status.currentUpdate;
  status.version = result.installedVersion;
  status.maintenance = result.abandoned.includes('maintenanceOff') ? { enabled: true, leftOn: { since: result.endedAt, reason: `update ${result.id} abandoned leaving maintenance` } } : { enabled: false };
  status.state = firstInstall && result.status !== 'succeeded' ? 'install-failed' : 'ready';
  if (result.configRevision !== undefined && status.config) {
    if (result.status === 'succeeded') {
      status.config.applied = Math.max(status.config.applied ?? 0, result.configRevision);
      if (status.config.applied >= status.config.desired) delete status.config.window;
    } else if (result.strategy === 'config') {
      // A configuration change that did not succeed is not tried again until another revision is set.
      status.config.failed = { revision: result.configRevision, reason: `update ${result.id} ended ${result.status}${result.error ? `: ${result.error}` : ''}` };
    }
  }
  if (result.status !== 'succeeded' && status.desiredVersion !== undefined && status.desiredVersion !== status.version) {
    // No retry loop: reconciliation waits for a new desired version or an operator.
    status.reconcileError = `update ${result.id} to ${result.toVersion} ended ${result.status}${result.error ? `: ${result.error}` : ''}`;
    // No agent took the first step: nothing changed, the cell is held rather than failed.
    if (result.error?.startsWith(ErrorType.AgentUnreachable) && result.installedVersion === result.fromVersion) status.reconcileHeld = true;
  }
  if (status.desiredVersion === status.version) {
    delete status.plan;
    delete status.desiredRollback;
  }
  cell.record({
    version: result.status === 'succeeded' ? result.toVersion : (result.installedVersion ?? 'none'),
    fromVersion: result.fromVersion,
    at: result.endedAt,
    updateId: result.id,
    strategy: result.strategy,
    result: result.status,
  });
  // A release that declares no flags, onto a cell that has none: nothing to push.
  const nothingToPush = result.installedVersion === result.toVersion && cell.hopDeclaresFlags === false && status.flags !== undefined && Object.keys(status.flags).length === 0;
  if (!nothingToPush) cell.flagsStale = true;
  cell.hopDeclaresFlags = undefined;
  cell.readBackDue = true;
  cell.wake = true;
  cell.publish();
  if ((result.status === 'failed' || result.status === 'rolled-back') && patched('support-bundle-on-update-failure')) collectEvidenceOf(cell, result);
}

/**
 * An update failed or was rolled back: a support bundle of the cell, collected in it if its
 * customer allows (the bundle's workflow asks the policy; one not allowed says so on its record).
 * Started, not awaited: it outlives this run, and one per update (its id names the update).
 */
function collectEvidenceOf(cell: Cell, result: UpdateResult): void {
  const { spec } = cell;
  void startChild<typeof supportBundle>('supportBundle', {
    workflowId: supportBundleWorkflowId(spec.id, result.id),
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [
      {
        cellId: spec.id,
        target: cell.target,
        ...(spec.agentWaitSeconds ? { agentWaitSeconds: spec.agentWaitSeconds } : {}),
        trigger: 'update-failed',
        requestedBy: 'cellshift',
        reason: `update ${result.id} to ${result.toVersion} ${result.status}${result.error ? `: ${result.error}` : ''}`,
        updateId: result.id,
        // What the cell runs now (the version it was rolled back to): its release may extend the collection.
        ...(result.installedVersion ? { version: result.installedVersion } : {}),
      },
    ],
  }).catch(() => {
    // Already started for this update (a replay after a crash told the server twice): that one collects.
  });
}

import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { DEFAULT_CHECK_INTERVAL_SECONDS, initialVersionOf, type CellSpec, type CellStatus, type VersionHistoryEntry } from '../domain/cell';
import { newestVisible, visibleReleases } from '../domain/channels';
import { ErrorType } from '../domain/errors';
import type { CatalogRelease } from '../domain/release';
import { rollbackTarget } from '../domain/rollback-target';
import { liveOptions, stagingFirstOptions } from '../domain/strategy-options';
import { checkDirectUpgrade, planUpgrade } from '../domain/upgrade-path';
import { UPDATE_REVISION, type UpdateInput, type UpdateKind, type UpdateResult } from '../domain/update';
import { compareVersions } from '../domain/version';
import { nextWindowSlot } from '../domain/window';
import { reads, registration, steps } from './activities';
import { describeFailure } from './failures';
import { infraWorkflowId, rolloutWorkflowId, updateId, updateWorkflowId } from './ids';
import { infraUpdate } from './infra-update';
import { DAY_MS, slaStatus, type SlaStatus } from '../domain/infra';
import type { CellOutcome } from '../domain/rollout';
import { liveUpdate } from './live-update';
import { maintenanceWindowUpdate } from './maintenance-window-update';
import {
  cellOutcomeSignal,
  cellStatusQuery,
  checkNowSignal,
  configureCell,
  flagsChangedSignal,
  infraStatusSignal,
  publishInfraUpdate,
  reportEndSignal,
  type InfraStatusReport,
  type InfraUpdateRequest,
  maintenanceChangedSignal,
  requestRollback,
  requestUpdate,
  resolveDrift,
  setDesiredVersion,
  updateFinishedSignal,
  type CellSettings,
  type DesiredVersionRequest,
  type DriftDecision,
  type RollbackRequest,
  type UpdateAccepted,
  type UpdateRequest,
} from './messages';
import { now } from './progress';
import { rollbackUpdate } from './rollback-update';
import { AppVersionKey, CellIdKey, CellStatusKey, RingKey, SlaStatusKey, UpdateStatusKey } from './search-attributes';
import { stagingFirstUpdate } from './staging-first-update';

export interface CellControllerInput {
  spec: CellSpec;
  /** carried over continue-as-new; absent on registration */
  status?: CellStatus;
  nextUpdate?: number;
  /** continue-as-new after this many history events (tests set it low); Temporal's suggestion otherwise */
  maxHistoryEvents?: number;
}

const HISTORY_KEPT = 100;
/**
 * Runs of a controller after this change, checked once as a run starts: a hop is planned from the
 * catalog read that set the desired version (not read again); flags are pushed after an update
 * only when there is something to push; an update's end comes from the child's result, not a
 * signal (the update is asked to signal only when the controller continues as new while it runs);
 * one timer waits for the next check instead of one per wake-up. Runs before it replay as they ran.
 */
const LEAN_CONTROLLER = 'lean-controller';
const DEFAULT_MAX_HISTORY_EVENTS = 10_000;
const WORKFLOW_BY_KIND = {
  'maintenance-window': maintenanceWindowUpdate,
  'staging-first': stagingFirstUpdate,
  live: liveUpdate,
  rollback: rollbackUpdate,
} as const;

/**
 * The entity workflow of one cell, and its controller in the control-plane sense: it holds the
 * spec and status, registers the cell and installs it, checks for updates and for drift every
 * interval, and reconciles the desired version with the installed one through updates run one
 * at a time as child workflows (stepping stones first). Updates outlive a continue-as-new of the
 * controller (parent-close policy ABANDON): the controller awaits an update's result, and an update
 * it stopped awaiting (a continue-as-new) reports back by signal.
 */
export async function cellController(input: CellControllerInput): Promise<void> {
  const lean = patched(LEAN_CONTROLLER);
  const spec = input.spec;
  const status: CellStatus = input.status ?? { state: 'registering', maintenance: { enabled: false }, history: [] };
  let nextUpdate = input.nextUpdate ?? 1;
  let wake = false;
  let checkRequested = false;
  // Flags are pushed after registration, after an update that may change them, and when their rules change.
  let flagsStale = true;
  /** whether the release of the running hop declares flags (unknown: assume it does) */
  let hopDeclaresFlags: boolean | undefined;
  /** the catalog as setDesiredVersion read it, for the reconcile right after */
  let freshReleases: CatalogRelease[] | undefined;
  /** the running update whose result this run awaits */
  let awaited: { id: string; result: Promise<UpdateResult> } | undefined;
  /** this run is about to continue as new: updates it starts report their end by signal */
  let closing = false;
  const maxEvents = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const continueAsNewDue = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxEvents;

  const publish = () =>
    upsertSearchAttributes([
      { key: CellIdKey, value: spec.id },
      { key: RingKey, value: spec.ring },
      { key: CellStatusKey, value: status.state },
      { key: AppVersionKey, value: status.version ?? 'none' },
    ]);
  publish();

  /** Reserves the cell before the first await (a concurrent request then sees it taken), and starts the update. */
  async function start(kind: UpdateKind, toVersion: string, build: (id: string) => Promise<UpdateInput>): Promise<UpdateAccepted> {
    const id = updateId(spec.id, nextUpdate++);
    status.currentUpdate = { id, toVersion, strategy: kind };
    const reportsByResult = lean && !closing;
    try {
      const update = await build(id);
      if (lean) update.revision = UPDATE_REVISION;
      if (reportsByResult) update.reportsByResult = true;
      // An update that will not wait for a window starts with its search attribute saying so: one upsert fewer.
      if (lean && startsRunning(update)) update.startedAs = 'running';
      const child = await startChild(WORKFLOW_BY_KIND[kind], {
        workflowId: updateWorkflowId(id),
        args: [update],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        ...(update.startedAs ? { typedSearchAttributes: [{ key: UpdateStatusKey, value: update.startedAs }] } : {}),
      });
      if (reportsByResult) {
        const result = child.result() as Promise<UpdateResult>;
        awaited = { id, result };
        // An update that fails as a workflow (terminated, timed out) reports nothing, as before.
        result.then(finished, () => undefined);
      }
    } catch (err) {
      delete status.currentUpdate;
      throw err;
    }
    status.state = status.version === undefined ? 'installing' : 'updating';
    publish();
    return { id, cellId: spec.id, status: 'scheduled', strategy: kind, fromVersion: status.version, toVersion };
  }

  function baseInput(id: string, kind: UpdateKind, toVersion: string, requestedBy: string): UpdateInput {
    return {
      id,
      cellId: spec.id,
      cluster: spec.cluster,
      strategy: kind,
      fromVersion: status.version,
      toVersion,
      window: spec.maintenanceWindow,
      expectedUpdateMinutes: spec.expectedUpdateMinutes,
      requestedBy,
    };
  }

  /** An update of one hop, with the cell's strategy (a first install: at once, in maintenance mode). */
  function startHop(kind: UpdateKind, version: string, request: Omit<UpdateRequest, 'version' | 'strategy'>, releases: CatalogRelease[]): Promise<UpdateAccepted> {
    const release = releases.find((r) => r.version === version);
    hopDeclaresFlags = release === undefined ? undefined : (release.flags ?? []).length > 0;
    const firstInstall = status.version === undefined;
    const strategy = firstInstall ? 'maintenance-window' : kind;
    return start(strategy, version, async (id) => {
      const update = baseInput(id, strategy, version, request.requestedBy);
      if (request.window === 'now' || firstInstall) update.window = 'now';
      if (strategy === 'live') update.live = liveOptions(spec.live, request.live);
      if (strategy === 'staging-first') {
        // The primary's own update gets the next id, reserved here.
        const primaryUpdateId = updateId(spec.id, nextUpdate++);
        update.stagingFirst = { ...stagingFirstOptions(spec.stagingFirst, request.stagingFirst), stagingCellId: spec.stagingCellId!, primaryUpdateId };
      }
      return update;
    });
  }

  function refuse(type: string, message: string, details?: Record<string, unknown>): never {
    throw ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
  }

  function requireIdle(): void {
    if (status.state === 'registering' || status.state === 'registration-failed') refuse(ErrorType.CellNotReady, `cell ${spec.id} is ${status.state}`);
    if (status.state === 'drifted') {
      refuse(ErrorType.CellNotReady, `cell ${spec.id} has drifted (recorded ${status.drift?.recorded ?? 'nothing'}, cluster runs ${status.drift?.actual ?? 'nothing'}): reconcile or accept the drift first`);
    }
    if (status.currentUpdate) {
      refuse(ErrorType.UpdateInProgress, `update ${status.currentUpdate.id} to ${status.currentUpdate.toVersion} is running on cell ${spec.id}`, {
        updateId: status.currentUpdate.id,
      });
    }
  }

  /** App updates wait while an infrastructure update is overdue. */
  function requireNotHeld(): void {
    if (status.sla !== 'out-of-sla') return;
    const overdue = (status.infraUpdates ?? []).filter((u) => u.sla === 'out-of-sla').map((u) => `${u.templateVersion} (due ${u.deadline})`);
    refuse(ErrorType.UpdatesHeld, `cell ${spec.id} is out of its support SLA: infrastructure update ${overdue.join(', ')} is overdue; app updates are held until it is applied`, {
      infraUpdates: overdue,
    });
  }

  /** Refuses a release this cell may not take from where it is: unknown, invisible to an air-gapped cell, or off the upgrade path. */
  function requireReachable(version: string, releases: CatalogRelease[], direct: boolean): string[] {
    const release = releases.find((r) => r.version === version);
    if (!release) refuse(ErrorType.ReleaseNotFound, `release ${version} is not in the catalog`, { missing: version });
    if (spec.airGapped && release.source !== 'bundle') {
      refuse(ErrorType.ReleaseNotFound, `cell ${spec.id} is air-gapped: release ${version} was not uploaded as a bundle`, { missing: version });
    }
    const usable = spec.airGapped ? visibleReleases(releases, { ring: spec.ring, airGapped: true }) : releases;
    const path = direct ? checkDirectUpgrade(status.version, version, usable) : planUpgrade(status.version, version, usable);
    if (!path.ok) refuse(path.missing === version ? ErrorType.ReleaseNotFound : ErrorType.IncompatibleVersion, path.reason, { missing: path.missing });
    return path.plan;
  }

  setHandler(cellStatusQuery, () => ({ spec, ...status }));

  setHandler(
    requestUpdate,
    async (request: UpdateRequest) => {
      const kind = request.strategy ?? spec.strategy;
      // Reserve before the catalog read: validators already refused a busy cell.
      status.currentUpdate = { id: 'pending', toVersion: request.version, strategy: kind };
      let releases: CatalogRelease[];
      try {
        releases = await reads.listReleases();
        requireReachable(request.version, releases, true);
      } finally {
        delete status.currentUpdate;
      }
      return startHop(kind, request.version, request, releases);
    },
    {
      validator: (request: UpdateRequest) => {
        requireIdle();
        requireNotHeld();
        if (request.version === status.version) refuse(ErrorType.AlreadyInstalled, `cell ${spec.id} already runs ${request.version}`);
        if ((request.strategy ?? spec.strategy) === 'staging-first' && !spec.stagingCellId) {
          refuse(ErrorType.InvalidState, `cell ${spec.id} has no paired staging cell (stagingCellId): staging-first is not possible`);
        }
      },
    },
  );

  setHandler(
    setDesiredVersion,
    async (request: DesiredVersionRequest) => {
      const answered = () => (status.rolloutOutcome?.rolloutId === request.rolloutId ? outcomeOf(status.rolloutOutcome!) : undefined);
      // Asked again by a rollout this cell already answered (its wave's activity retried): the same answer, nothing restarted.
      if (request.awaitOutcome && answered()) return { desiredVersion: request.version, plan: status.plan ?? [], outcome: answered() };
      const releases = request.releases ?? (await reads.listReleases());
      const plan = requireReachable(request.version, releases, false);
      if (lean) freshReleases = releases;
      status.desiredVersion = request.version;
      status.plan = plan;
      delete status.reconcileError;
      if (request.rolloutId) status.rollout = { id: request.rolloutId, version: request.version, ...(request.awaitOutcome ? { awaited: true } : {}) };
      else delete status.rollout;
      if (request.window) status.desiredWindow = request.window;
      else delete status.desiredWindow;
      wake = true;
      if (!request.awaitOutcome) return { desiredVersion: request.version, plan };
      // Completes with the cell's outcome, or without one when this run must continue as new first.
      await condition(() => answered() !== undefined || continueAsNewDue());
      return { desiredVersion: request.version, plan, outcome: answered() };
    },
    {
      validator: (request: DesiredVersionRequest) => {
        requireNotHeld();
        if (request.version === status.version && !status.currentUpdate) refuse(ErrorType.AlreadyInstalled, `cell ${spec.id} already runs ${request.version}`);
        // A rollout cannot wait on a drifted cell: reconciliation waits for an operator there.
        if (request.rolloutId && status.state === 'drifted') {
          refuse(ErrorType.UpdatesHeld, `drifted: cluster runs ${status.drift?.actual ?? 'nothing'}, recorded ${status.drift?.recorded ?? 'nothing'}`);
        }
      },
    },
  );

  setHandler(configureCell, (settings: CellSettings) => {
    if (settings.autoUpdate !== undefined) spec.autoUpdate = settings.autoUpdate;
    if (settings.checkIntervalSeconds !== undefined) spec.checkIntervalSeconds = settings.checkIntervalSeconds;
    checkRequested = true;
    wake = true;
    return { spec, ...status };
  });

  setHandler(
    resolveDrift,
    async (decision: DriftDecision) => {
      const drift = status.drift!;
      if (decision.action === 'accept') {
        record(status, { version: drift.actual ?? 'none', fromVersion: drift.recorded, at: now(), result: 'drift-accepted' });
        status.version = drift.actual;
        delete status.drift;
        status.state = 'ready';
        wake = true;
        publish();
      } else {
        // Put the recorded version back, from what the cluster runs now.
        status.version = drift.actual;
        await start('rollback', drift.recorded!, async (id) => ({ ...baseInput(id, 'rollback', drift.recorded!, decision.requestedBy), window: 'now' }));
        delete status.drift;
      }
      return { spec, ...status };
    },
    {
      validator: (decision: DriftDecision) => {
        if (status.state !== 'drifted' || !status.drift) refuse(ErrorType.InvalidState, `cell ${spec.id} has not drifted`);
        if (decision.action === 'reconcile' && status.drift.recorded === undefined) {
          refuse(ErrorType.InvalidState, `cell ${spec.id} had no recorded version to put back: accept the drift instead`);
        }
      },
    },
  );

  setHandler(
    requestRollback,
    (request: RollbackRequest) => {
      const target = rollbackTarget(status.version, status.history, request.toVersion);
      if (!target.ok) refuse(ErrorType.IncompatibleVersion, target.reason);
      return start('rollback', target.version, async (id) => ({ ...baseInput(id, 'rollback', target.version, request.requestedBy), window: 'now' }));
    },
    { validator: (_: RollbackRequest) => requireIdle() },
  );

  setHandler(
    publishInfraUpdate,
    async (request: InfraUpdateRequest) => {
      const workflowId = infraWorkflowId(spec.id, request.templateVersion);
      const publishedAt = request.publishedAt ?? now();
      const deadline = new Date(Date.parse(publishedAt) + request.deadlineDays * DAY_MS).toISOString();
      const entry = { templateVersion: request.templateVersion, deadline, sla: slaStatus(Date.now(), Date.parse(deadline)), workflowId };
      status.infraUpdates = [...(status.infraUpdates ?? []), entry];
      try {
        await startChild(infraUpdate, {
          workflowId,
          args: [{ ...request, publishedAt, cellId: spec.id, stack: spec.stack!, mayApply: spec.infraApply ?? false }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } catch (err) {
        status.infraUpdates = status.infraUpdates.filter((u) => u !== entry);
        throw err;
      }
      updateSla();
      return { workflowId, deadline };
    },
    {
      validator: (request: InfraUpdateRequest) => {
        if (!spec.stack) refuse(ErrorType.InvalidState, `cell ${spec.id} has no AWS stack (stack) to update`);
        if ((status.infraUpdates ?? []).some((u) => u.templateVersion === request.templateVersion)) {
          refuse(ErrorType.InvalidState, `infrastructure update ${request.templateVersion} is already pending on cell ${spec.id}`);
        }
      },
    },
  );

  setHandler(infraStatusSignal, (report: InfraStatusReport) => {
    const entries = status.infraUpdates ?? [];
    const entry = entries.find((u) => u.templateVersion === report.templateVersion);
    if (!entry) return;
    if (report.done) status.infraUpdates = entries.filter((u) => u !== entry);
    else entry.sla = report.sla;
    updateSla();
    wake = true;
  });

  /** The cell's SLA is the worst of its pending infrastructure updates'. */
  function updateSla(): void {
    const order = ['in-sla', 'at-risk', 'out-of-sla'] as const;
    const worst = (status.infraUpdates ?? []).reduce<SlaStatus>((w, u) => (order.indexOf(u.sla) > order.indexOf(w) ? u.sla : w), 'in-sla');
    if (worst === (status.sla ?? 'in-sla')) return;
    status.sla = worst;
    upsertSearchAttributes([{ key: SlaStatusKey, value: worst }]);
  }

  setHandler(flagsChangedSignal, () => {
    flagsStale = true;
    wake = true;
  });

  setHandler(checkNowSignal, () => {
    checkRequested = true;
    wake = true;
  });

  setHandler(maintenanceChangedSignal, ({ updateId: id, enabled }) => {
    if (status.currentUpdate?.id === id) status.maintenance.enabled = enabled;
  });

  setHandler(updateFinishedSignal, finished);

  /** An update ended (its result, or its signal): the cell is on what it installed, and the controller wakes. */
  function finished(result: UpdateResult): void {
    if (awaited?.id === result.id) awaited = undefined;
    if (status.currentUpdate?.id !== result.id) return;
    const firstInstall = status.version === undefined;
    delete status.currentUpdate;
    status.version = result.installedVersion;
    status.maintenance.enabled = result.abandoned.includes('maintenanceOff');
    status.state = firstInstall && result.status !== 'succeeded' ? 'install-failed' : 'ready';
    if (result.status !== 'succeeded' && status.desiredVersion !== undefined && status.desiredVersion !== status.version) {
      // No retry loop: reconciliation waits for a new desired version or an operator.
      status.reconcileError = `update ${result.id} to ${result.toVersion} ended ${result.status}${result.error ? `: ${result.error}` : ''}`;
    }
    if (status.desiredVersion === status.version) delete status.plan;
    record(status, {
      version: result.status === 'succeeded' ? result.toVersion : (result.installedVersion ?? 'none'),
      fromVersion: result.fromVersion,
      at: result.endedAt,
      updateId: result.id,
      strategy: result.strategy,
      result: result.status,
    });
    // A release that declares no flags, onto a cell that has none: nothing to push.
    const nothingToPush = result.installedVersion === result.toVersion && hopDeclaresFlags === false && status.flags !== undefined && Object.keys(status.flags).length === 0;
    if (!(nothingToPush && lean)) flagsStale = true;
    hopDeclaresFlags = undefined;
    wake = true;
    publish();
  }

  if (status.state === 'registering') {
    try {
      const reported = await registration.registerCluster({ cellId: spec.id, cluster: spec.cluster }, initialVersionOf(spec.cluster));
      if (spec.stack) {
        await registration.registerStack({ cellId: spec.id, stack: spec.stack }, spec.stack.kind === 'simulated' ? (spec.stack.templateVersion ?? '1') : '');
      }
      status.version = reported.version;
      status.state = 'ready';
      if (reported.version) record(status, { version: reported.version, at: now(), result: 'registered' });
    } catch (err) {
      status.state = 'registration-failed';
      status.error = describeFailure(err);
    }
    publish();
  }

  if (patched('control-plane-reconcile')) {
    const flagsEnabled = patched('feature-flags');
    if (flagsEnabled) wake = flagsStale;
    // A cell with nothing installed checks (and so installs) at once; others at the next interval.
    let nextCheckAt = status.version === undefined && status.state === 'ready' ? Date.now() : Date.now() + checkIntervalMs(spec);
    let timerAt = 0;
    while (!continueAsNewDue()) {
      if (lean) {
        // One timer until the next check; a wake-up by a handler leaves it running. A check on
        // demand moves the next one: the earlier timer then fires to no effect.
        if (timerAt !== nextCheckAt) {
          const at = (timerAt = nextCheckAt);
          const due = () => {
            if (timerAt === at) wake = true;
          };
          sleep(Math.max(1, at - Date.now())).then(due, () => undefined);
        }
        await condition(() => wake || continueAsNewDue());
      } else {
        await condition(() => wake || continueAsNewDue(), Math.max(1, nextCheckAt - Date.now()));
      }
      wake = false;
      if (checkRequested || Date.now() >= nextCheckAt) {
        checkRequested = false;
        nextCheckAt = Date.now() + checkIntervalMs(spec);
        await check();
      }
      if (flagsStale && flagsEnabled) await syncFlags();
      await reconcile();
      await reportToRollout();
    }
  } else {
    await condition(continueAsNewDue);
  }
  await condition(allHandlersFinished);
  closing = true;
  await handOverAwaitedUpdate();
  await condition(allHandlersFinished);
  await continueAsNew<typeof cellController>({ spec, status, nextUpdate, maxHistoryEvents: input.maxHistoryEvents });

  /**
   * The next run cannot receive the result of an update this run started: the update is asked to
   * signal its end instead. An update that already ended has its result on the way to this run.
   */
  async function handOverAwaitedUpdate(): Promise<void> {
    const pending = awaited;
    if (!pending) return;
    try {
      await getExternalWorkflowHandle(updateWorkflowId(pending.id)).signal(reportEndSignal);
    } catch {
      await pending.result.catch(() => undefined);
    }
  }

  /** The update check and the drift check: what the catalog offers the cell, and what its cluster really runs. */
  async function check(): Promise<void> {
    if (status.currentUpdate || status.state === 'registration-failed' || status.state === 'registering') return;
    const actual = await reads.readActualVersion({ cellId: spec.id, cluster: spec.cluster });
    if (status.currentUpdate) return; // an update started while we read
    if (actual.version !== status.version && status.state !== 'drifted') {
      status.state = 'drifted';
      status.drift = { recorded: status.version, actual: actual.version, detectedAt: now() };
      publish();
    }
    const releases = await reads.listReleases();
    const newest = newestVisible(releases, { ring: spec.ring, airGapped: spec.airGapped }, status.version);
    status.lastCheck = { at: now(), newest: newest?.version };
    if (spec.autoUpdate && newest && (status.desiredVersion === undefined || compareVersions(newest.version, status.desiredVersion) > 0)) {
      const plan = planUpgrade(status.version, newest.version, spec.airGapped ? visibleReleases(releases, { ring: spec.ring, airGapped: true }) : releases);
      status.desiredVersion = newest.version;
      delete status.desiredWindow;
      if (plan.ok) {
        status.plan = plan.plan;
        delete status.reconcileError;
      } else {
        status.reconcileError = plan.reason;
      }
    }
    // A cell with nothing installed installs the newest release its ring may run.
    if (status.version === undefined && status.desiredVersion === undefined && newest) {
      status.desiredVersion = newest.version;
      delete status.desiredWindow;
      status.plan = [newest.version];
    }
  }

  /** Pushes the cell's feature flags to its cluster; a failure is retried at the next wake-up. */
  async function syncFlags(): Promise<void> {
    if (status.currentUpdate || (status.state !== 'ready' && status.state !== 'drifted')) return;
    flagsStale = false;
    try {
      status.flags = await reads.syncFlags({ cellId: spec.id, cluster: spec.cluster }, spec.ring, status.version);
    } catch (err) {
      flagsStale = true;
      status.error = `feature flags not pushed: ${describeFailure(err)}`;
    }
  }

  /** Tells the rollout that set the desired version how the cell ended: there, or stopped. */
  async function reportToRollout(): Promise<void> {
    const rollout = status.rollout;
    if (!rollout) return;
    let outcome: CellOutcome['outcome'] | undefined;
    if (status.version === rollout.version && !status.currentUpdate) outcome = 'succeeded';
    else if (status.reconcileError || status.desiredVersion !== rollout.version) outcome = 'failed';
    if (!outcome) return;
    delete status.rollout;
    const report: CellOutcome = {
      cellId: spec.id,
      outcome,
      error: outcome === 'failed' ? (status.reconcileError ?? `desired version changed to ${status.desiredVersion}`) : undefined,
      at: now(),
      ...(outcome === 'succeeded' ? { cluster: spec.cluster } : {}),
    };
    // A rollout awaiting the answer gets it as its request completes: no signal.
    if (rollout.awaited) {
      status.rolloutOutcome = { rolloutId: rollout.id, ...report };
      return;
    }
    try {
      await getExternalWorkflowHandle(rolloutWorkflowId(rollout.id)).signal(cellOutcomeSignal, report);
    } catch {
      // the rollout has ended: nothing to tell
    }
  }

  /** Desired ≠ installed and nothing runs: start the next hop of the plan. */
  async function reconcile(): Promise<void> {
    const fresh = freshReleases;
    freshReleases = undefined;
    const desired = status.desiredVersion;
    if (!desired || desired === status.version || status.currentUpdate || status.reconcileError || status.sla === 'out-of-sla') return;
    if (status.state !== 'ready' && status.state !== 'install-failed') return;
    const releases = fresh ?? (await reads.listReleases());
    if (status.currentUpdate) return;
    const plan = planUpgrade(status.version, desired, spec.airGapped ? visibleReleases(releases, { ring: spec.ring, airGapped: true }) : releases);
    if (!plan.ok) {
      status.reconcileError = plan.reason;
      return;
    }
    status.plan = plan.plan;
    await startHop(spec.strategy, plan.plan[0], { requestedBy: 'controller', window: status.desiredWindow }, releases);
  }
}

/** A maintenance-window update or a rollback whose window is open now goes straight to its steps. */
function startsRunning(update: UpdateInput): boolean {
  if (update.strategy !== 'maintenance-window' && update.strategy !== 'rollback') return false;
  if (update.window === 'now') return true;
  try {
    return nextWindowSlot(Date.now(), update.window, update.expectedUpdateMinutes * 60_000).startsAt <= Date.now();
  } catch {
    return false;
  }
}

function outcomeOf({ rolloutId: _, ...outcome }: CellOutcome & { rolloutId: string }): CellOutcome {
  return outcome;
}

function checkIntervalMs(spec: CellSpec): number {
  return (spec.checkIntervalSeconds ?? DEFAULT_CHECK_INTERVAL_SECONDS) * 1000;
}

function record(status: CellStatus, entry: VersionHistoryEntry): void {
  status.history.push(entry);
  if (status.history.length > HISTORY_KEPT) status.history.splice(0, status.history.length - HISTORY_KEPT);
}

import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CellSpec, CellStatus, VersionHistoryEntry } from '../domain/cell';
import { ErrorType } from '../domain/errors';
import { rollbackTarget } from '../domain/rollback-target';
import { liveOptions, stagingFirstOptions } from '../domain/strategy-options';
import { checkDirectUpgrade } from '../domain/upgrade-path';
import type { UpdateInput, UpdateKind, UpdateResult } from '../domain/update';
import { reads, registration } from './activities';
import { describeFailure } from './failures';
import { updateId, updateWorkflowId } from './ids';
import { liveUpdate } from './live-update';
import { maintenanceWindowUpdate } from './maintenance-window-update';
import {
  cellStatusQuery,
  maintenanceChangedSignal,
  requestRollback,
  requestUpdate,
  updateFinishedSignal,
  type RollbackRequest,
  type UpdateAccepted,
  type UpdateRequest,
} from './messages';
import { now } from './progress';
import { rollbackUpdate } from './rollback-update';
import { AppVersionKey, CellIdKey, CellStatusKey, RingKey } from './search-attributes';
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
const DEFAULT_MAX_HISTORY_EVENTS = 10_000;
const WORKFLOW_BY_KIND = {
  'maintenance-window': maintenanceWindowUpdate,
  'staging-first': stagingFirstUpdate,
  live: liveUpdate,
  rollback: rollbackUpdate,
} as const;

/**
 * The entity workflow of one cell: holds its spec and status, registers it, and runs its
 * updates one at a time as child workflows. Updates outlive a continue-as-new of the
 * controller (parent-close policy ABANDON) and report back by signal.
 */
export async function cellController(input: CellControllerInput): Promise<void> {
  const spec = input.spec;
  const status: CellStatus = input.status ?? { state: 'registering', maintenance: { enabled: false }, history: [] };
  let nextUpdate = input.nextUpdate ?? 1;

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
    try {
      const update = await build(id);
      await startChild(WORKFLOW_BY_KIND[kind], {
        workflowId: updateWorkflowId(id),
        args: [update],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      delete status.currentUpdate;
      throw err;
    }
    status.state = 'updating';
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

  function requireIdle(): void {
    if (status.state === 'registering' || status.state === 'registration-failed') {
      throw ApplicationFailure.create({ type: ErrorType.CellNotReady, message: `cell ${spec.id} is ${status.state}`, nonRetryable: true });
    }
    if (status.currentUpdate) {
      throw ApplicationFailure.create({
        type: ErrorType.UpdateInProgress,
        message: `update ${status.currentUpdate.id} to ${status.currentUpdate.toVersion} is running on cell ${spec.id}`,
        nonRetryable: true,
        details: [{ updateId: status.currentUpdate.id }],
      });
    }
  }

  setHandler(cellStatusQuery, () => ({ spec, ...status }));

  setHandler(
    requestUpdate,
    (request: UpdateRequest) => {
      const kind = request.strategy ?? spec.strategy;
      return start(kind, request.version, async (id) => {
        const path = checkDirectUpgrade(status.version, request.version, await reads.listReleases());
        if (!path.ok) {
          const type = path.missing === request.version ? ErrorType.ReleaseNotFound : ErrorType.IncompatibleVersion;
          throw ApplicationFailure.create({ type, message: path.reason, nonRetryable: true, details: [{ missing: path.missing }] });
        }
        const update = baseInput(id, kind, request.version, request.requestedBy);
        if (request.window === 'now') update.window = 'now';
        if (kind === 'live') update.live = liveOptions(spec.live, request.live);
        if (kind === 'staging-first') {
          // The primary's own update gets the next id, reserved here.
          const primaryUpdateId = updateId(spec.id, nextUpdate++);
          update.stagingFirst = { ...stagingFirstOptions(spec.stagingFirst, request.stagingFirst), stagingCellId: spec.stagingCellId!, primaryUpdateId };
        }
        return update;
      });
    },
    {
      validator: (request: UpdateRequest) => {
        requireIdle();
        if ((request.strategy ?? spec.strategy) === 'staging-first' && !spec.stagingCellId) {
          throw ApplicationFailure.create({
            type: ErrorType.InvalidState,
            message: `cell ${spec.id} has no paired staging cell (stagingCellId): staging-first is not possible`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  setHandler(
    requestRollback,
    (request: RollbackRequest) => {
      const target = rollbackTarget(status.version, status.history, request.toVersion);
      if (!target.ok) throw ApplicationFailure.create({ type: ErrorType.IncompatibleVersion, message: target.reason, nonRetryable: true });
      return start('rollback', target.version, async (id) => ({ ...baseInput(id, 'rollback', target.version, request.requestedBy), window: 'now' }));
    },
    { validator: (_: RollbackRequest) => requireIdle() },
  );

  setHandler(maintenanceChangedSignal, ({ updateId: id, enabled }) => {
    if (status.currentUpdate?.id === id) status.maintenance.enabled = enabled;
  });

  setHandler(updateFinishedSignal, (result: UpdateResult) => {
    if (status.currentUpdate?.id !== result.id) return;
    delete status.currentUpdate;
    status.version = result.installedVersion;
    status.maintenance.enabled = result.abandoned.includes('maintenanceOff');
    status.state = 'ready';
    record(status, {
      version: result.status === 'succeeded' ? result.toVersion : (result.installedVersion ?? 'none'),
      fromVersion: result.fromVersion,
      at: result.endedAt,
      updateId: result.id,
      strategy: result.strategy,
      result: result.status,
    });
    publish();
  });

  if (status.state === 'registering') {
    try {
      const reported = await registration.registerCluster({ cellId: spec.id, cluster: spec.cluster }, spec.cluster.initialVersion);
      status.version = reported.version;
      status.state = 'ready';
      if (reported.version) record(status, { version: reported.version, at: now(), result: 'registered' });
    } catch (err) {
      status.state = 'registration-failed';
      status.error = describeFailure(err);
    }
    publish();
  }

  const maxEvents = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxEvents);
  await condition(allHandlersFinished);
  await continueAsNew<typeof cellController>({ spec, status, nextUpdate, maxHistoryEvents: input.maxHistoryEvents });
}

function record(status: CellStatus, entry: VersionHistoryEntry): void {
  status.history.push(entry);
  if (status.history.length > HISTORY_KEPT) status.history.splice(0, status.history.length - HISTORY_KEPT);
}

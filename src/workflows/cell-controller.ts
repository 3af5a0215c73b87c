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
import { checkDirectUpgrade } from '../domain/upgrade-path';
import type { UpdateInput, UpdateResult } from '../domain/update';
import { reads, registration } from './activities';
import { describeFailure } from './failures';
import { updateId, updateWorkflowId } from './ids';
import { maintenanceWindowUpdate } from './maintenance-window-update';
import {
  cellStatusQuery,
  maintenanceChangedSignal,
  requestUpdate,
  updateFinishedSignal,
  type UpdateAccepted,
  type UpdateRequest,
} from './messages';
import { AppVersionKey, CellIdKey, CellStatusKey, RingKey } from './search-attributes';
import { now } from './progress';

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

  setHandler(cellStatusQuery, () => ({ spec, ...status }));

  setHandler(
    requestUpdate,
    async (request: UpdateRequest): Promise<UpdateAccepted> => {
      const id = updateId(spec.id, nextUpdate++);
      const strategy = request.strategy ?? spec.strategy;
      // Reserve the cell before the first await, so a concurrent request sees it taken.
      status.currentUpdate = { id, toVersion: request.version, strategy };
      try {
        const path = checkDirectUpgrade(status.version, request.version, await reads.listReleases());
        if (!path.ok) {
          const type = path.missing === request.version ? ErrorType.ReleaseNotFound : ErrorType.IncompatibleVersion;
          throw ApplicationFailure.create({ type, message: path.reason, nonRetryable: true, details: [{ missing: path.missing }] });
        }
        const update: UpdateInput = {
          id,
          cellId: spec.id,
          cluster: spec.cluster,
          strategy,
          fromVersion: status.version,
          toVersion: request.version,
          window: request.window === 'now' ? 'now' : spec.maintenanceWindow,
          expectedUpdateMinutes: spec.expectedUpdateMinutes,
          requestedBy: request.requestedBy,
        };
        await startChild(maintenanceWindowUpdate, {
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
      return { id, cellId: spec.id, status: 'scheduled', fromVersion: status.version, toVersion: request.version };
    },
    {
      validator: (request: UpdateRequest) => {
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
        if ((request.strategy ?? spec.strategy) !== 'maintenance-window') {
          throw ApplicationFailure.create({ type: ErrorType.InvalidState, message: `strategy ${request.strategy} is not available`, nonRetryable: true });
        }
      },
    },
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

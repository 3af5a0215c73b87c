import { allHandlersFinished, condition, continueAsNew, isCancellation, patched, setHandler, sleep } from '@temporalio/workflow';
import type { AgentRegistration } from '../../domain/agent';
import { ErrorType } from '../../domain/errors';
import { rollbackTarget } from '../../domain/rollback-target';
import { refuse } from '../failures';
import {
  agentRegistered,
  cellStatusQuery,
  checkNowSignal,
  configureCell,
  flagsChangedSignal,
  infraStatusSignal,
  maintenanceSwitchedSignal,
  publishInfraUpdate,
  removeCell,
  setDesiredConfig as setDesiredConfigUpdate,
  type DesiredConfigRequest,
  requestRollback,
  requestUpdate,
  resolveDrift,
  rolloutCellSignal,
  type RolloutCellRequest,
  setDesiredVersion,
  updateFinishedSignal,
  type DesiredVersionRequest,
  type DriftDecision,
  type InfraUpdateRequest,
  type RollbackRequest,
  type UpdateRequest,
} from '../messages';
import { handOver } from '../update/end';
import { listReleases } from './activities';
import { Cell, type CellControllerInput } from './cell';
import { check } from './checks';
import { requireNewerConfig, setDesiredConfig as setConfig } from './config';
import { readBack } from './read-back';
import { requireDrifted, resolveDrift as resolve } from './drift';
import { pushFlags } from './flags';
import { reconcile, requireReachable, setDesired } from './reconcile';
import { agentArrived, requireAgentCell, requireAgentFit } from './agent';
import { Projection } from '../read-model/projection';
import { WakeTimer } from '../wake-timer';
import { projectCell } from '../read-model/activities';
import { register } from './registration';
import { acceptRemoval, requireRemovable, retire, type RemovalRequest } from './removal';
import { answerFor, requireRolloutFit, settleRollout, takeRolloutRequest } from './rollout-link';
import { infraStatusChanged, publishInfra, requirePublishable } from './sla';
import { maintenanceSwitched, startHop, startRollback, updateEnded } from './updates';

export type { CellControllerInput } from './cell';

/**
 * The entity workflow of one cell, and its controller in the control-plane sense: it registers
 * the cell, checks for updates and for drift every interval, and reconciles the desired version
 * with the installed one through updates run one at a time as child workflows (stepping stones
 * first). Requests arrive as Temporal updates whose validators refuse at once what cannot be
 * done; whatever changes the cell is work its main loop takes one at a time, in the order asked.
 * Continues as new when Temporal suggests it, carrying spec and status.
 */
export async function cellController(input: CellControllerInput): Promise<void> {
  const cell = new Cell(input);
  const { spec, status } = cell;
  cell.inOrder = patched('controller-work-in-order');
  cell.publish();

  setHandler(cellStatusQuery, () => cell.view());

  setHandler(
    requestUpdate,
    (request: UpdateRequest) =>
      cell.exclusive(async () => {
        cell.requireIdle();
        const releases = await listReleases();
        requireReachable(cell, request.version, releases, true);
        // An agent that is away is waited for (agentWaitSeconds); one too old to drive holds the cell.
        await requireAgentFit(cell, false);
        return startHop(cell, request.strategy ?? spec.strategy, request.version, request, releases);
      }),
    {
      validator: (request: UpdateRequest) => {
        cell.requireIdle();
        cell.requireNotHeld();
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
      // Asked again by a rollout this cell already answered: the same answer, nothing restarted.
      const answered = request.rolloutId ? answerFor(cell, request.rolloutId) : undefined;
      if (answered) return { desiredVersion: request.version, plan: status.plan ?? [], outcome: answered };
      const plan = await cell.exclusive(() => setDesired(cell, request));
      if (!request.rolloutId) return { desiredVersion: request.version, plan };
      // A rollout waits for the cell to get there or stop; a run about to continue as new answers without an outcome (ask again).
      const rolloutId = request.rolloutId;
      await condition(() => answerFor(cell, rolloutId) !== undefined || cell.continueAsNewDue());
      return { desiredVersion: request.version, plan, outcome: answerFor(cell, rolloutId) };
    },
    {
      validator: (request: DesiredVersionRequest) => requireRolloutFit(cell, request),
    },
  );

  setHandler(rolloutCellSignal, (request: RolloutCellRequest) => cell.exclusive(() => takeRolloutRequest(cell, request)));

  setHandler(configureCell, (settings) =>
    cell.change(() => {
      if (settings.autoUpdate !== undefined) spec.autoUpdate = settings.autoUpdate;
      if (settings.checkIntervalSeconds !== undefined) spec.checkIntervalSeconds = settings.checkIntervalSeconds;
      if (settings.contract !== undefined) spec.contract = settings.contract;
      cell.checkRequested = true;
      cell.wake = true;
      return cell.view();
    }),
  );

  setHandler(
    setDesiredConfigUpdate,
    (request: DesiredConfigRequest) => cell.change(() => setConfig(cell, request)),
    { validator: (request: DesiredConfigRequest) => requireNewerConfig(cell, request) },
  );

  setHandler(
    resolveDrift,
    (decision: DriftDecision) =>
      cell.exclusive(async () => {
        requireDrifted(cell, decision);
        await resolve(cell, decision);
        return cell.view();
      }),
    { validator: (decision: DriftDecision) => requireDrifted(cell, decision) },
  );

  setHandler(
    requestRollback,
    (request: RollbackRequest) =>
      cell.exclusive(() => {
        cell.requireIdle();
        const target = rollbackTarget(status.version, status.history, request.toVersion);
        if (!target.ok) refuse(ErrorType.IncompatibleVersion, target.reason);
        return startRollback(cell, target.version, request.requestedBy);
      }),
    { validator: (_: RollbackRequest) => cell.requireIdle() },
  );

  setHandler(
    publishInfraUpdate,
    (request: InfraUpdateRequest) =>
      cell.exclusive(() => {
        requirePublishable(cell, request);
        return publishInfra(cell, request);
      }),
    { validator: (request: InfraUpdateRequest) => requirePublishable(cell, request) },
  );

  setHandler(
    removeCell,
    (request: RemovalRequest) =>
      cell.exclusive(async () => {
        requireRemovable(cell, request);
        await acceptRemoval(cell, request);
        return cell.view();
      }),
    { validator: (request: RemovalRequest) => requireRemovable(cell, request) },
  );

  setHandler(agentRegistered, (registration) => cell.change(() => agentArrived(cell, registration)), { validator: (_: AgentRegistration) => requireAgentCell(cell) });

  setHandler(infraStatusSignal, (report) => cell.tell(() => infraStatusChanged(cell, report)));
  setHandler(updateFinishedSignal, (result) => cell.tell(() => updateEnded(cell, result)));
  setHandler(maintenanceSwitchedSignal, ({ updateId, enabled }) => cell.tell(() => maintenanceSwitched(cell, updateId, enabled)));
  setHandler(flagsChangedSignal, () =>
    cell.tell(() => {
      cell.flagsStale = true;
      cell.wake = true;
    }),
  );
  setHandler(checkNowSignal, () =>
    cell.tell(() => {
      cell.checkRequested = true;
      cell.wake = true;
    }),
  );

  // The read model's copy of the cell (0.1.0's controllers kept none).
  const projection = patched('read-model') ? new Projection(() => cell.view(), projectCell, () => cell.nextRevision()) : undefined;

  await cell.until(() => status.state !== 'awaiting-agent' || cell.continueAsNewDue());
  if (status.state === 'registering') await (cell.inOrder ? register(cell) : cell.exclusive(() => register(cell)));

  // A cell with nothing installed checks (and so installs) at once; others at the next interval.
  let nextCheckAt = status.version === undefined && status.state === 'ready' ? Date.now() : Date.now() + cell.checkIntervalMs();
  cell.wake = cell.flagsStale;
  if (cell.inOrder && cell.flagsStale) cell.tell(() => void (cell.wake = true));
  let timerAt = 0;
  /** What the loop does once woken: read back, check, push flags, reconcile, answer a rollout, as due. */
  const iterate = async () => {
    if (cell.readBackDue) await readBack(cell);
    if (cell.checkRequested || Date.now() >= nextCheckAt) {
      cell.checkRequested = false;
      nextCheckAt = Date.now() + cell.checkIntervalMs();
      await check(cell);
    }
    if (cell.flagsStale) await pushFlags(cell);
    await reconcile(cell);
    await settleRollout(cell);
  };
  // One timer until the next check; its tick is work like any other, queued in the order it fired.
  const checkTimer = new WakeTimer(() => cell.tell(() => void (cell.wake = true)));
  while (!cell.continueAsNewDue() && !status.removal) {
    if (cell.inOrder) {
      // A check on demand moves the next one (the timer with it). While an update runs, no check is
      // due (the update's end reads the cluster back): no timer, so a run waiting days for its
      // update's window or approval grows its history only by what it is told.
      checkTimer.set(status.currentUpdate ? undefined : nextCheckAt);
    } else if (timerAt !== nextCheckAt) {
      // Runs from before: a new timer whenever the next check moves; the earlier one fires to no effect.
      const at = (timerAt = nextCheckAt);
      sleep(Math.max(1, at - Date.now())).then(
        () => {
          if (timerAt === at) cell.tell(() => void (cell.wake = true));
        },
        (err: unknown) => {
          // The controller itself was cancelled (the cell removed): the main loop ends with it.
          if (!isCancellation(err)) throw err;
        },
      );
    }
    if (cell.inOrder) {
      // One piece of work at a time, then what it made due.
      await condition(() => cell.pending || cell.continueAsNewDue() || status.removal !== undefined);
      if (!cell.pending) break;
      await cell.runNext();
      await iterate();
      continue;
    }
    await condition(() => cell.wake || cell.continueAsNewDue() || status.removal !== undefined);
    cell.wake = false;
    await cell.exclusive(iterate);
    // A run started by 0.1.0 (none of the patches above), now on 0.2.0: at its first turn with no
    // update running it continues as new, and the new run takes 0.2.0's branches; so no run needs
    // 0.1.0's branches any more once every controller has checked once, and 0.3.0 can drop them.
    if (!status.currentUpdate && !status.removal && patched('runs-from-0.1.0-continue-as-new')) break;
  }
  const settled = () => !cell.pending && allHandlersFinished();
  await cell.until(settled);
  if (status.removal) return retire(cell, async () => projection?.flushed());
  // The next run cannot await the running update's result: the update signals its end to it instead.
  if (cell.awaited) await handOver(cell.awaited);
  await cell.until(settled);
  await projection?.flushed();
  await continueAsNew<typeof cellController>(cell.carry());
}

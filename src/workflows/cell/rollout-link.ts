// A fleet rollout and a cell's controller talk by signals, durable both ways: the rollout asks
// (`rolloutCell`), the controller answers (`cellOutcomes` to `rollout/<id>`) when the cell gets
// there or cannot, at once when it refuses. Rollouts started before signals ask by a Temporal
// update held open by an activity; their answers are kept the same way.
import { ApplicationFailure, getExternalWorkflowHandle, isCancellation } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import type { CellOutcome } from '../../domain/rollout';
import { describeFailure, refuse } from '../failures';
import { rolloutWorkflowId } from '../ids';
import { cellOutcomesSignal, type DesiredVersionRequest, type RolloutCellRequest } from '../messages';
import { now } from '../update/progress';
import type { Cell } from './cell';
import { setDesired } from './reconcile';

type KeptOutcome = NonNullable<Cell['status']['rolloutOutcome']>;

/** The answer kept for a rollout (of that run, when it names one): asked again, the controller answers the same. */
export function answerFor(cell: Cell, rolloutId: string, run?: string): CellOutcome | undefined {
  const kept = cell.status.rolloutOutcome;
  if (kept?.rolloutId !== rolloutId || kept.run !== run) return undefined;
  const { rolloutId: _, ...outcome } = kept;
  return outcome;
}

/** Refuses a rollout's request this cell cannot take now (the validator of an update, the first check of a signal). */
export function requireRolloutFit(cell: Cell, request: DesiredVersionRequest): void {
  const { spec, status } = cell;
  if (status.removal) refuse(ErrorType.InvalidState, `cell ${spec.id} is being removed`);
  cell.requireNotHeld();
  // A rollback rollout leaves `version`: a cell not on it has nothing to do.
  if (request.rollback ? request.version !== status.version : request.version === status.version) {
    if (!status.currentUpdate) refuse(ErrorType.AlreadyInstalled, request.rollback ? `cell ${spec.id} does not run ${request.version}` : `cell ${spec.id} already runs ${request.version}`);
  }
  // A rollout cannot wait on a drifted cell: reconciliation waits for an operator there.
  if (request.rolloutId && status.state === 'drifted') {
    refuse(ErrorType.UpdatesHeld, `drifted: cluster runs ${status.drift?.actual ?? 'nothing'}, recorded ${status.drift?.recorded ?? 'nothing'}`);
  }
}

/**
 * A rollout's request by signal, taken holding the cell's lock: the desired version set (the
 * answer comes when the cell settles), or refused and answered at once. Nothing a request says
 * fails the controller: every failure is that cell's answer.
 */
export async function takeRolloutRequest(cell: Cell, request: RolloutCellRequest): Promise<void> {
  const { rolloutId, run } = request;
  const answered = answerFor(cell, rolloutId, run);
  if (answered) return tell({ ...answered, rolloutId });
  // Asked twice before it settled (a rollout replayed, say): the first request stands.
  if (cell.status.rollout?.id === rolloutId && cell.status.rollout.run === run) return;
  // Another rollout's request this cell had not settled: that rollout is told the cell left it.
  const earlier = cell.status.rollout;
  try {
    const desired: DesiredVersionRequest = { version: request.version, requestedBy: request.requestedBy, rolloutId, ...(request.window ? { window: request.window } : {}), ...(request.rollback ? { rollback: true } : {}) };
    requireRolloutFit(cell, desired);
    await setDesired(cell, desired);
    cell.status.rollout = { id: rolloutId, version: cell.status.desiredVersion!, run };
    if (earlier?.run && earlier.id !== rolloutId) {
      await tell({ rolloutId: earlier.id, run: earlier.run, cellId: cell.spec.id, outcome: 'failed', error: `rollout ${rolloutId} took the cell to ${request.version}`, at: now() });
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    const answer = refusal(cell, request, err);
    cell.status.rolloutOutcome = answer;
    await tell(answer);
  }
}

/** A refusal as the cell's answer: already there counts as done; held (an SLA, a drift, a veto) does not fail the rollout. */
function refusal(cell: Cell, { rolloutId, run }: RolloutCellRequest, err: unknown): KeptOutcome {
  const answer = { rolloutId, run, cellId: cell.spec.id, at: now() };
  if (err instanceof ApplicationFailure) {
    if (err.type === ErrorType.AlreadyInstalled) return { ...answer, outcome: 'succeeded' };
    const held = err.type === ErrorType.UpdatesHeld || err.type === ErrorType.ReleaseVetoed;
    return { ...answer, outcome: held ? 'held' : 'failed', error: err.message };
  }
  return { ...answer, outcome: 'failed', error: `the cell could not take the request: ${describeFailure(err)}` };
}

/**
 * Whether the cell got where the rollout wanted it, or cannot: then the rollout's answer is kept,
 * and told to a rollout that asked by signal.
 */
export async function settleRollout(cell: Cell): Promise<void> {
  const { spec, status } = cell;
  const rollout = status.rollout;
  if (!rollout) return;
  let outcome: CellOutcome['outcome'] | undefined;
  if (status.version === rollout.version && !status.currentUpdate) outcome = 'succeeded';
  else if (status.reconcileError && status.reconcileHeld) outcome = 'held';
  else if (status.reconcileError || status.desiredVersion !== rollout.version) outcome = 'failed';
  if (!outcome) return;
  delete status.rollout;
  status.rolloutOutcome = {
    rolloutId: rollout.id,
    ...(rollout.run ? { run: rollout.run } : {}),
    cellId: spec.id,
    outcome,
    at: now(),
    ...(outcome === 'succeeded'
      ? { cluster: spec.cluster, ...(spec.connection === 'agent' ? { connection: spec.connection } : {}) }
      : { error: status.reconcileError ?? `desired version changed to ${status.desiredVersion}` }),
  };
  if (rollout.run) await tell(status.rolloutOutcome);
}

/** The cell is removed: a rollout waiting for it is told it failed. */
export async function leaveRollout(cell: Cell): Promise<void> {
  const rollout = cell.status.rollout;
  if (!rollout?.run) return;
  delete cell.status.rollout;
  await tell({ rolloutId: rollout.id, run: rollout.run, cellId: cell.spec.id, outcome: 'failed', error: `cell ${cell.spec.id} was removed`, at: now() });
}

/** Tells the rollout how the cell ended; a rollout that has ended waits for nobody. */
async function tell({ rolloutId, ...outcome }: KeptOutcome): Promise<void> {
  try {
    await getExternalWorkflowHandle(rolloutWorkflowId(rolloutId)).signal(cellOutcomesSignal, [outcome]);
  } catch (err) {
    if (isCancellation(err)) throw err;
  }
}

import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import { ErrorType } from '../domain/errors';
import type { ClusterTarget } from '../domain/ports';
import { releaseImages, type Release } from '../domain/release';
import { FINAL_STATUSES, UPDATE_STEPS, type OperatorAction, type UpdateInput, type UpdateResult } from '../domain/update';
import { nextWindowSlot } from '../domain/window';
import { longSteps, reads, steps } from './activities';
import { tellControllerFinished, tellControllerMaintenance } from './controller-link';
import { describeFailure } from './failures';
import { abandonCompensation, cancelUpdate, progressQuery, retryCompensation, type OperatorCommand } from './messages';
import { now, ProgressTracker } from './progress';
import { Saga } from './saga';

/**
 * One release onto one cell in its maintenance window: wait for the window, then preflight →
 * maintenance on → pull → apply → verify → maintenance off. Any failure or cancellation runs the
 * compensations in reverse, so the cell ends on its previous version with maintenance mode off.
 */
export async function maintenanceWindowUpdate(input: UpdateInput): Promise<UpdateResult> {
  const target: ClusterTarget = { cellId: input.cellId, cluster: input.cluster };
  const tracker = new ProgressTracker({
    id: input.id,
    cellId: input.cellId,
    fromVersion: input.fromVersion,
    toVersion: input.toVersion,
    strategy: input.strategy,
    status: 'scheduled',
    steps: UPDATE_STEPS.map((name) => ({ name, status: 'pending', attempts: 0 })),
    compensations: [],
    actions: [],
    startedAt: now(),
  });
  const saga = new Saga(tracker);
  const main = new CancellationScope();
  let cancelled = false;

  setHandler(progressQuery, () => tracker.progress);
  setHandler(
    cancelUpdate,
    (command) => {
      tracker.progress.actions.push(action('cancel', command));
      cancelled = true;
      main.cancel();
    },
    { validator: (_command: OperatorCommand) => requireStatus(tracker, ['scheduled', 'running'], 'only a scheduled or running update can be cancelled') },
  );
  setHandler(retryCompensation, (command) => saga.decide('retry', action('retry', command)), {
    validator: (_command: OperatorCommand) => requireOperatorWait(saga),
  });
  setHandler(abandonCompensation, (command) => saga.decide('abandon', action('abandon', command)), {
    validator: (_command: OperatorCommand) => requireOperatorWait(saga),
  });

  let failure: unknown;
  try {
    await main.run(async () => {
      await waitForWindow(input, tracker);
      tracker.setStatus('running');
      const { release } = await tracker.step('preflight', () => preflight(input, target));

      saga.add('maintenanceOff', () => setMaintenance(input, target, false));
      await tracker.step('maintenanceOn', () => setMaintenance(input, target, true));
      await tracker.step('pull', () => longSteps.pullImages(target, releaseImages(release)));
      saga.add('rollback', () => steps.rollbackRelease(target, input.id));
      await tracker.step('apply', () => steps.applyRelease(target, release, input.id));
      await tracker.step('verify', () => longSteps.verifyRollout(target, release));
      await tracker.step('maintenanceOff', () => setMaintenance(input, target, false));
      saga.drop('maintenanceOff');
    });
  } catch (err) {
    failure = err;
  }

  let result: UpdateResult;
  if (failure === undefined) {
    tracker.setStatus('succeeded');
    result = finish(input, tracker, 'succeeded', input.toVersion, [], []);
  } else {
    cancelled ||= isCancellation(failure);
    tracker.skipRemaining();
    if (!cancelled) tracker.progress.error ??= describeFailure(failure);
    tracker.setStatus('compensating');
    const { undone, abandoned } = await saga.compensate();
    const installed = await CancellationScope.nonCancellable(() => reads.readActualVersion(target));
    const status = abandoned.length > 0 ? 'failed' : cancelled ? 'cancelled' : undone.length > 0 ? 'rolled-back' : 'failed';
    tracker.setStatus(status);
    result = finish(input, tracker, status, installed.version, undone, abandoned);
  }
  await CancellationScope.nonCancellable(() => tellControllerFinished(input.cellId, result));
  return result;
}

/** Sleeps until a window slot in which the update fits; re-plans when it wakes too late (a worker that was down). */
async function waitForWindow(input: UpdateInput, tracker: ProgressTracker): Promise<void> {
  if (input.window === 'now') return;
  const expectedMs = input.expectedUpdateMinutes * 60_000;
  for (;;) {
    let slot;
    try {
      slot = nextWindowSlot(Date.now(), input.window, expectedMs);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, ErrorType.PreflightFailed);
    }
    tracker.progress.window = { startsAt: new Date(slot.startsAt).toISOString(), endsAt: new Date(slot.endsAt).toISOString() };
    const wait = slot.startsAt - Date.now();
    if (wait <= 0) return;
    await sleep(wait);
  }
}

/** Release known, cell still on the version the update was planned from, cluster fit. */
async function preflight(input: UpdateInput, target: ClusterTarget): Promise<{ attempt: number; release: Release }> {
  const release = await reads.getRelease(input.toVersion);
  const actual = await reads.readActualVersion(target);
  if (actual.version !== input.fromVersion) {
    throw ApplicationFailure.nonRetryable(
      `cell runs ${actual.version ?? 'nothing'}, but the update was planned from ${input.fromVersion ?? 'nothing'}`,
      ErrorType.PreflightFailed,
    );
  }
  const outcome = await steps.preflightCluster(target, release);
  return { attempt: outcome.attempt, release };
}

async function setMaintenance(input: UpdateInput, target: ClusterTarget, enabled: boolean) {
  const outcome = await steps.setMaintenance(target, enabled);
  tellControllerMaintenance(input.cellId, input.id, enabled);
  return outcome;
}

function finish(
  input: UpdateInput,
  tracker: ProgressTracker,
  status: UpdateResult['status'],
  installedVersion: string | undefined,
  undone: UpdateResult['undone'],
  abandoned: UpdateResult['abandoned'],
): UpdateResult {
  tracker.progress.endedAt = now();
  return {
    id: input.id,
    cellId: input.cellId,
    fromVersion: input.fromVersion,
    toVersion: input.toVersion,
    strategy: input.strategy,
    status,
    installedVersion,
    failedStep: tracker.progress.failedStep,
    error: status === 'cancelled' ? undefined : tracker.progress.error,
    undone,
    abandoned,
    endedAt: tracker.progress.endedAt,
  };
}

function action(kind: OperatorAction['action'], command: OperatorCommand): OperatorAction {
  return { action: kind, by: command.by, at: now() };
}

function requireStatus(tracker: ProgressTracker, allowed: string[], message: string): void {
  if (!allowed.includes(tracker.progress.status) || FINAL_STATUSES.includes(tracker.progress.status)) {
    throw ApplicationFailure.nonRetryable(`${message} (status: ${tracker.progress.status})`, ErrorType.InvalidState);
  }
}

function requireOperatorWait(saga: Saga): void {
  if (!saga.waitingForOperator) {
    throw ApplicationFailure.nonRetryable('the update is not waiting for an operator (only needs-attention takes retry or abandon)', ErrorType.InvalidState);
  }
}

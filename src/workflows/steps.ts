// Steps more than one strategy runs, each a thin composition of activities.
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { ErrorType } from '../domain/errors';
import { breakingRefusal, plannedFromRefusal } from '../domain/preflight';
import type { Release } from '../domain/release';
import { nextWindowSlot } from '../domain/window';
import { quickSteps, reads, steps } from './activities';
import { tellControllerMaintenance } from './controller-link';
import type { UpdateRun } from './update-run';

/** Revision 2 on: preflight and the maintenance switch are local activities (no round trip through the server). */
const quick = (run: UpdateRun) => run.revision >= 2;

/** Release known, cell still on the version the update was planned from, cluster fit. */
export async function preflight(run: UpdateRun, options: { refuseBreaking?: boolean } = {}): Promise<{ attempt: number; release: Release }> {
  const { input, target } = run;
  if (quick(run)) return quickSteps.preflightUpdate(target, input.toVersion, input.fromVersion, options.refuseBreaking ?? false);
  const release = await reads.getRelease(input.toVersion);
  const breaking = breakingRefusal(release, options.refuseBreaking ?? false);
  if (breaking) throw ApplicationFailure.create({ type: ErrorType.PreflightFailed, message: breaking, nonRetryable: true });
  const actual = await reads.readActualVersion(target);
  const moved = plannedFromRefusal(actual.version, input.fromVersion);
  if (moved) throw ApplicationFailure.create({ type: ErrorType.PreflightFailed, message: moved, nonRetryable: true });
  const outcome = await steps.preflightCluster(target, release);
  return { attempt: outcome.attempt, release };
}

/** Turns maintenance mode on or off; the update's progress says which (the API shows it on the cell). */
export async function setMaintenance(run: UpdateRun, enabled: boolean) {
  const outcome = await (quick(run) ? quickSteps : steps).setMaintenance(run.target, enabled);
  run.progress.maintenance = enabled;
  if (!quick(run)) tellControllerMaintenance(run.input.cellId, run.input.parentUpdateId ?? run.input.id, enabled);
  return outcome;
}

/** Sleeps until a window slot in which the update fits; re-plans when it wakes too late (a worker that was down). */
export async function waitForWindow(run: UpdateRun): Promise<void> {
  const { input } = run;
  if (input.window === 'now') return;
  const expectedMs = input.expectedUpdateMinutes * 60_000;
  for (;;) {
    let slot;
    try {
      slot = nextWindowSlot(Date.now(), input.window, expectedMs);
    } catch (err) {
      throw ApplicationFailure.create({ type: ErrorType.PreflightFailed, message: (err as Error).message, nonRetryable: true });
    }
    run.progress.window = { startsAt: new Date(slot.startsAt).toISOString(), endsAt: new Date(slot.endsAt).toISOString() };
    const wait = slot.startsAt - Date.now();
    if (wait <= 0) return;
    run.tracker.publish();
    await sleep(wait);
  }
}

import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import { nextWindowSlot } from '../../domain/window';
import type { UpdateRun } from './run';

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
      // The window cannot be planned (the API validates it; an old spec may not be): nothing to wait for.
      throw ApplicationFailure.create({ type: ErrorType.PreflightFailed, message: (err as Error).message, nonRetryable: true });
    }
    run.progress.window = { startsAt: new Date(slot.startsAt).toISOString(), endsAt: new Date(slot.endsAt).toISOString() };
    const wait = slot.startsAt - Date.now();
    if (wait <= 0) return;
    run.tracker.publish();
    await sleep(wait);
  }
}

import { ApplicationFailure, patched, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { CatalogActivities } from '../../activities';
import { ErrorType } from '../../domain/errors';
import { nextWindowSlot } from '../../domain/window';
import { OWN } from '../retry';
import type { UpdateRun } from './run';

// One read of cellshift's own catalog, without a round trip through the server.
const { releaseVeto } = proxyLocalActivities<Pick<CatalogActivities, 'releaseVeto'>>({ startToCloseTimeout: '30s', retry: OWN });

/** Sleeps until a window slot in which the update fits; re-plans when it wakes too late (a worker that was down). */
export async function waitForWindow(run: UpdateRun): Promise<void> {
  const { input } = run;
  if (input.window === 'now') return;
  const expectedMs = input.expectedUpdateMinutes * 60_000;
  let waited = false;
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
    if (wait <= 0) break;
    run.tracker.publish();
    await sleep(wait);
    waited = true;
  }
  // Vetoed while it waited: a veto's sweep cancels the waiting updates it finds; one it could not
  // find yet (started a moment before the veto) refuses itself here, before its first step.
  if (!waited || !patched('veto-checked-after-window')) return;
  const veto = await releaseVeto(input.toVersion);
  if (veto) {
    throw ApplicationFailure.create({ type: ErrorType.ReleaseVetoed, message: `release ${input.toVersion} was vetoed by ${veto.by} at ${veto.at} while the update waited for its window: ${veto.reason}`, nonRetryable: true });
  }
}

import { ApplicationFailure, condition, patched, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';
import type { CatalogActivities, ContractActivities } from '../../activities';
import { nextStart, shownHolds } from '../../domain/contract';
import { ErrorType } from '../../domain/errors';
import { nextWindowSlot } from '../../domain/window';
import { refuse } from '../failures';
import { contractChangedSignal, customerDecision, type OperatorCommand } from '../messages';
import { OWN } from '../retry';
import { now } from './progress';
import type { UpdateRun } from './run';

// One read of cellshift's own catalog, without a round trip through the server.
const { releaseVeto } = proxyLocalActivities<Pick<CatalogActivities, 'releaseVeto'>>({ startToCloseTimeout: '30s', retry: OWN });
const { contractFacts } = proxyLocalActivities<ContractActivities>({ startToCloseTimeout: '30s', retry: OWN });

/** Sleeps until a window slot in which the update fits; re-plans when it wakes too late (a worker that was down). */
export async function waitForWindow(run: UpdateRun): Promise<void> {
  if (patched('change-contract')) return waitForContract(run);
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

/**
 * Sleeps until the cell's change contract lets the update start (src/domain/contract.ts): its
 * window (none for `window: "now"`), blackouts and freezes, the notice it is owed (given here if it
 * was not), a postponement. Woken, it reads the records again: a blackout or postponement set while
 * it slept holds it further. A contract that holds it for good (a window too short) fails it.
 * `anyTime`: an update that needs no maintenance window (live) waits for the rest of the contract.
 */
export async function waitForContract(run: UpdateRun, anyTime = false): Promise<void> {
  const { input, progress } = run;
  const expectedMs = input.expectedUpdateMinutes * 60_000;
  const window = input.window === 'now' || anyTime ? undefined : input.window;
  let waited = false;
  // A contract that asks the customer's approval: the decision, taken while the update waits.
  let decision: (OperatorCommand & { approve: boolean }) | undefined;
  setHandler(
    customerDecision,
    (d) => {
      decision = d;
      run.record(d.approve ? 'customer-approve' : 'customer-deny', d);
      progress.approval!.decision = { approve: d.approve, by: d.by, at: now(), ...(d.reason ? { reason: d.reason } : {}) };
      run.tracker.publish();
      run.refreshReadModel();
    },
    {
      validator: (_: OperatorCommand & { approve: boolean }) => {
        if (!progress.approval) refuse(ErrorType.InvalidState, `update ${input.id} asks no approval of its customer`);
        if (progress.approval.decision) refuse(ErrorType.InvalidState, `update ${input.id} was already ${progress.approval.decision.approve ? 'approved' : 'declined'} by ${progress.approval.decision.by}`);
        run.requireStatus('decide', ['scheduled', 'waiting-approval']);
      },
    },
  );
  // Told the records changed (a blackout, a postponement, an emergency mark), it reads them again at once.
  let changed = false;
  setHandler(contractChangedSignal, () => void (changed = true));
  for (;;) {
    changed = false;
    const facts = await contractFacts({ cellId: input.cellId, version: input.toVersion, why: `update ${input.id}`, window: window ?? ALWAYS, expectedMs, now: Date.now() });
    if (facts.approval && !facts.change.emergency && !progress.approval) {
      progress.approval = { askedAt: now(), deadline: new Date(Date.now() + facts.approval.deadlineHours * 3_600_000).toISOString(), onDeadline: facts.approval.onDeadline };
    }
    const answer = nextStart({ window: window ?? ALWAYS, expectedMs, ignoreWindows: window === undefined, ...facts }, Date.now());
    if ('held' in answer) throw ApplicationFailure.create({ type: ErrorType.PreflightFailed, message: `the cell's change contract holds the update: ${answer.held.reason}`, nonRetryable: true });
    const wait = answer.startsAt - Date.now();
    if (wait > 0) {
      progress.window = { startsAt: new Date(answer.startsAt).toISOString(), endsAt: new Date(Number.isFinite(answer.endsAt) ? answer.endsAt : answer.startsAt + expectedMs).toISOString() };
      progress.waitingFor = shownHolds(answer.waits);
      run.tracker.setStatus('scheduled');
      run.tracker.publish();
      run.refreshReadModel();
      await condition(() => changed, wait);
      waited = true;
      continue;
    }
    // The contract lets it start now; one that asks the customer's approval waits for it, up to its deadline.
    const approval = progress.approval;
    if (!approval || decision?.approve) break;
    if (decision) {
      run.rejected = true;
      throw ApplicationFailure.create({ type: ErrorType.Rejected, message: `declined by its customer ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}`, nonRetryable: true });
    }
    const left = Date.parse(approval.deadline) - Date.now();
    if (left > 0) {
      progress.waitingFor = [{ rule: 'approval', reason: `its customer's approval, by ${approval.deadline} (then: ${approval.onDeadline})`, until: approval.deadline }];
      run.tracker.setStatus('waiting-approval');
      run.tracker.publish();
      run.refreshReadModel();
      await condition(() => decision !== undefined || changed, left);
      waited = true;
      continue; // decided, or the deadline passed: the contract is read again (the window may have closed meanwhile)
    }
    if (approval.onDeadline === 'proceed') break;
    run.rejected = true;
    throw ApplicationFailure.create({ type: ErrorType.Rejected, message: `no decision of its customer by ${approval.deadline}: skipped, as its contract says`, nonRetryable: true });
  }
  delete progress.waitingFor;
  if (!waited) return;
  const veto = await releaseVeto(input.toVersion);
  if (veto) {
    throw ApplicationFailure.create({ type: ErrorType.ReleaseVetoed, message: `release ${input.toVersion} was vetoed by ${veto.by} at ${veto.at} while the update waited for its window: ${veto.reason}`, nonRetryable: true });
  }
}

/** For an update asked to run now: no window to wait for (the contract's other rules still hold). */
const ALWAYS = { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as ('sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat')[], start: '00:00', durationMinutes: 7 * 24 * 60, timezone: 'UTC' };

import { ApplicationFailure, CancellationScope, condition, continueAsNew, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ClusterRef } from '../domain/cell';
import { ErrorType } from '../domain/errors';
import { countCells, failureBudget, waves, type CellOutcome, type CellRollout, type RingRollout, type RolloutInput, type RolloutProgress } from '../domain/rollout';
import {
  abortRollout,
  approveRing,
  cellOutcomeSignal,
  cellOutcomesSignal,
  pauseRollout,
  resumeRollout,
  rolloutProgressQuery,
  type OperatorCommand,
} from './messages';
import { describeFailure } from './failures';
import { now } from './progress';

// Requests to many controllers at once: heartbeats per cell; retried, since setting a desired version is idempotent.
const fleet = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

// A wave: every cell's controller asked, and answering when its cell ends (maintenance windows
// included, so days at worst); heartbeats every second, so a lost worker is noticed in a minute.
const waveOf = proxyActivities<Activities>({
  startToCloseTimeout: '30d',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

/** Rollouts after this change list all their rings' cells at once; those before listed ring by ring. */
const ONE_LISTING = 'one-listing';
/** Runs after this change, checked once as a run starts, start no timer for a bake time of zero (a timer of 0 s still waits for the server's timer queue, about a second). */
const NO_EMPTY_BAKE = 'no-empty-bake';
/**
 * Runs after this change, checked once as a run starts, learn how a wave's cells ended from one
 * activity that awaits their controllers' answers (and tells the rollout in batches), instead of
 * a signal from every cell's controller.
 */
const OUTCOMES_BY_REQUEST = 'outcomes-by-request';

export interface FleetRolloutState {
  progress: RolloutProgress;
  approved: boolean;
  /** where the updated cells run, as they reported it: for the health checks between rings */
  clusters?: Record<string, ClusterRef>;
}

/**
 * One release through the fleet: rings in order; within a ring, cells in waves of at most
 * `maxConcurrent`, each updated by its own controller with its own strategy and window (the
 * rollout only sets the desired version and waits for the controller's report). A failure
 * budget halts it between waves; `resume` gives it another budget, `abort` ends it (optionally
 * rolling back the cells it updated). Between rings: a bake time, a health check of the ring, and
 * optionally an operator's approval. Continues as new between waves on a large fleet.
 */
export async function fleetRollout(input: RolloutInput, carried?: FleetRolloutState): Promise<RolloutProgress> {
  const state: FleetRolloutState = carried ?? {
    progress: {
      id: input.id,
      version: input.version,
      status: 'running',
      rings: input.rings.map((ring) => ({ ring, state: 'pending' })),
      counts: { pending: 0, running: 0, succeeded: 0, failed: 0, held: 0 },
      failuresAllowed: 0,
      actions: [],
      startedAt: now(),
    },
    approved: false,
  };
  const progress = state.progress;
  const skipsEmptyBake = patched(NO_EMPTY_BAKE);
  const outcomesByRequest = patched(OUTCOMES_BY_REQUEST);
  let paused = progress.status === 'paused';
  let aborted: { rollback: boolean } | undefined;
  let resumed = false;
  /** the activity running the current wave, until it returns */
  let waveInFlight: CancellationScope | undefined;

  const refresh = () => (progress.counts = countCells(progress.rings));
  const record = (action: string, command: OperatorCommand) =>
    progress.actions.push({ action, by: command.by, at: now(), ...(command.reason ? { reason: command.reason } : {}) });
  const refuseUnless = (ok: boolean, message: string) => {
    if (!ok) throw ApplicationFailure.create({ type: ErrorType.InvalidState, message, nonRetryable: true });
  };
  const finished = () => progress.status === 'succeeded' || progress.status === 'aborted';

  setHandler(rolloutProgressQuery, () => progress);
  /** A running cell ended; an outcome told twice (in a batch, then in the wave's result) counts once. */
  const ended = (outcome: CellOutcome) => {
    const cell = findCell(progress.rings, outcome.cellId);
    if (!cell || cell.state !== 'running') return;
    cell.state = outcome.outcome;
    cell.endedAt = outcome.at;
    if (outcome.cluster) (state.clusters ??= {})[outcome.cellId] = outcome.cluster;
    if (outcome.error) cell.error = outcome.error;
  };
  setHandler(cellOutcomeSignal, (outcome) => {
    ended(outcome);
    refresh();
  });
  setHandler(cellOutcomesSignal, (outcomes) => {
    outcomes.forEach(ended);
    refresh();
  });
  setHandler(
    pauseRollout,
    (command) => {
      record('pause', command);
      paused = true;
    },
    { validator: (_: OperatorCommand) => refuseUnless(!finished() && !paused && progress.status !== 'halted', `cannot pause a rollout that is ${progress.status}`) },
  );
  setHandler(
    resumeRollout,
    (command) => {
      record('resume', command);
      paused = false;
      resumed = true;
    },
    { validator: (_: OperatorCommand) => refuseUnless(paused || progress.status === 'halted', `cannot resume a rollout that is ${progress.status}`) },
  );
  setHandler(
    abortRollout,
    (command) => {
      record(command.rollback ? 'abort-and-roll-back' : 'abort', command);
      aborted = { rollback: command.rollback ?? false };
    },
    { validator: (_: OperatorCommand & { rollback?: boolean }) => refuseUnless(!finished(), `cannot abort a rollout that is ${progress.status}`) },
  );
  setHandler(
    approveRing,
    (command) => {
      record('approve', command);
      state.approved = true;
    },
    { validator: (_: OperatorCommand) => refuseUnless(progress.status === 'waiting-approval', `cannot approve a rollout that is ${progress.status}`) },
  );

  /** Holds while paused or halted; true when the rollout was aborted. */
  async function gate(haltReason?: string): Promise<boolean> {
    if (haltReason) {
      progress.status = 'halted';
      progress.haltReason = haltReason;
      resumed = false;
      await condition(() => resumed || aborted !== undefined);
      if (!aborted) {
        const total = progress.rings.reduce((n, r) => n + (r.cells?.length ?? 0), 0);
        progress.failuresAllowed += Math.max(1, failureBudget(input.waves, total));
        delete progress.haltReason;
      }
    }
    if (paused && !aborted) {
      progress.status = 'paused';
      await condition(() => !paused || aborted !== undefined);
    }
    if (aborted) return true;
    progress.status = 'running';
    return false;
  }

  if (!carried) {
    // The cells registered in each ring now: the failure budget is a share of all of them.
    if (patched(ONE_LISTING)) {
      const cells = await fleet.listFleetCells(progress.rings.map((r) => r.ring));
      progress.rings.forEach((ring, i) => (ring.cells = cells[i].map((id) => ({ id, state: 'pending' }))));
    } else {
      for (const ring of progress.rings) ring.cells = (await fleet.listRingCells(ring.ring)).map((id) => ({ id, state: 'pending' }));
    }
    refresh();
    progress.failuresAllowed = failureBudget(input.waves, progress.counts.pending);
  }

  for (const ring of progress.rings) {
    if (ring.state === 'done' || !ring.cells) continue;
    ring.state = 'running';
    ring.startedAt ??= now();

    for (const wave of waves(ring.cells.filter((c) => c.state === 'pending'), input.waves.maxConcurrent)) {
      const overBudget = progress.counts.failed > progress.failuresAllowed;
      const reason = overBudget ? `${progress.counts.failed} cells failed, more than the budget of ${progress.failuresAllowed}` : undefined;
      if (await gate(reason)) return end(ring, 'aborted');
      ring.state = 'running';

      const startedAt = now();
      for (const cell of wave) Object.assign(cell, { state: 'running', startedAt });
      refresh();
      if (outcomesByRequest) runWave(wave);
      else await startWave(wave);
      // Every cell of the wave ends, there or stopped; an abort stops the wait (running cells finish on their own).
      await condition(() => (waveInFlight === undefined && wave.every((c) => c.state !== 'running')) || aborted !== undefined);
      if (aborted) {
        waveInFlight?.cancel();
        return end(ring, 'aborted');
      }
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof fleetRollout>(input, state);
    }

    if (progress.counts.failed > progress.failuresAllowed) {
      if (await gate(`${progress.counts.failed} cells failed, more than the budget of ${progress.failuresAllowed}`)) return end(ring, 'aborted');
    }

    const last = ring === progress.rings.at(-1);
    if (!last) {
      ring.state = 'baking';
      if (input.bakeSeconds > 0 || !skipsEmptyBake) await sleep(input.bakeSeconds * 1000);
      const updated = ring.cells.filter((c) => c.state === 'succeeded').map((c) => c.id);
      const known = Object.fromEntries(updated.filter((id) => state.clusters?.[id]).map((id) => [id, state.clusters![id]]));
      const health = updated.length > 0 ? await fleet.ringHealth(updated, known) : [];
      const sick = health.filter((h) => !h.ok);
      ring.health = sick.length === 0 ? `${health.length} cells healthy` : sick.map((h) => `${h.cellId}: ${h.reason}`).join('; ');
      if (sick.length > 0) {
        ring.state = 'halted';
        if (await gate(`ring ${ring.ring} unhealthy after bake: ${ring.health}`)) return end(ring, 'aborted');
      }
      if (input.approvalBetweenRings) {
        ring.state = 'waiting-approval';
        progress.status = 'waiting-approval';
        state.approved = false;
        await condition(() => state.approved || aborted !== undefined);
        if (aborted) return end(ring, 'aborted');
        progress.status = 'running';
      }
    }
    ring.state = 'done';
    ring.endedAt = now();
  }
  progress.status = 'succeeded';
  progress.endedAt = now();
  return progress;

  /** One activity asks the wave's cells and awaits their answers; a wave it cannot finish leaves its unanswered cells failed. */
  function runWave(wave: CellRollout[]): void {
    const scope = (waveInFlight = new CancellationScope());
    scope
      .run(() => waveOf.updateCells(input.id, input.version, wave.map((c) => c.id), input.requestedBy, input.window))
      .then(
        (outcomes) => outcomes.forEach(ended),
        (err) => {
          if (aborted) return;
          const at = now();
          for (const cell of wave) ended({ cellId: cell.id, outcome: 'failed', error: `the rollout lost track of the cell: ${describeFailure(err)}`, at });
        },
      )
      .finally(() => {
        waveInFlight = undefined;
        refresh();
      });
  }

  /** Rollouts before OUTCOMES_BY_REQUEST: the wave's desired versions set at once; the controllers signal each cell's end. */
  async function startWave(wave: CellRollout[]): Promise<undefined> {
    const starts = await fleet.startCellUpdates(input.id, input.version, wave.map((c) => c.id), input.requestedBy, input.window);
    for (const start of starts) {
      const cell = wave.find((c) => c.id === start.cellId)!;
      if (start.outcome === 'started') continue;
      cell.state = start.outcome === 'already' ? 'succeeded' : start.outcome === 'held' ? 'held' : 'failed';
      cell.endedAt = now();
      if (start.error) cell.error = start.error;
    }
    refresh();
    return undefined;
  }

  async function end(ring: RingRollout, _: 'aborted'): Promise<RolloutProgress> {
    ring.state = 'aborted';
    if (aborted?.rollback) {
      const updated = progress.rings.flatMap((r) => (r.cells ?? []).filter((c) => c.state === 'succeeded'));
      const results = await fleet.rollbackCells(updated.map((c) => c.id), input.requestedBy);
      for (const result of results) {
        const cell = updated.find((c) => c.id === result.cellId)!;
        if (result.updateId) cell.state = 'rolled-back';
        else cell.error = `rollback refused: ${result.error}`;
      }
    }
    progress.status = 'aborted';
    progress.endedAt = now();
    refresh();
    return progress;
  }
}

function findCell(rings: RingRollout[], cellId: string): CellRollout | undefined {
  for (const ring of rings) {
    const cell = ring.cells?.find((c) => c.id === cellId);
    if (cell) return cell;
  }
  return undefined;
}

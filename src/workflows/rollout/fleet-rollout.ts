import { ActivityFailure, ApplicationFailure, CancellationScope, condition, continueAsNew, getExternalWorkflowHandle, isCancellation, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ClusterRef } from '../../domain/cell';
import { ErrorType } from '../../domain/errors';
import type { ReleaseVeto } from '../../domain/release';
import { countCells, failureBudget, ringPolicy, waves, type CellOutcome, type CellRollout, type RingRollout, type RolloutInput, type RolloutProgress } from '../../domain/rollout';
import { canaryCells, startNow, type SchedulableCell } from '../../domain/schedule';
import { describeFailure } from '../failures';
import { cellWorkflowId } from '../ids';
import { cellOutcomesSignal, rolloutCellSignal, rolloutProgressQuery, type RolloutCellRequest } from '../messages';
import { now } from '../update/progress';
import { agentCellHealth, listFleetCells, listRolloutCells, publishEvents, ringHealth, rollbackCells, updateCells, vetoRelease } from './activities';
import type { EventType } from '../../domain/events';
import { RolloutControls } from './controls';
import { WakeTimer } from '../wake-timer';

export interface FleetRolloutState {
  progress: RolloutProgress;
  approved: boolean;
  /** where the updated cells run, as their outcomes said: for the health checks between rings */
  clusters?: Record<string, ClusterRef>;
  /** the updated cells reached through their agents: their health is read there */
  agentCells?: string[];
  /**
   * each cell's window and expected update time, as listed when the rollout started: set, the
   * rollout schedules by windows (a sliding limit, each cell when its window opens); unset (a
   * rollout started by 0.1.0), in waves
   */
  schedule?: Record<string, Omit<SchedulableCell, 'id'>>;
}

/**
 * One release through the fleet: rings in order; within a ring, at most `maxConcurrent` cells in
 * flight at once, each started when its own maintenance window opens (the soonest-closing first; a
 * cell waiting for its window takes no slot; a durable timer wakes the rollout at the next opening),
 * and updated by its own controller with its own strategy (the rollout sets the desired version
 * and waits for each controller's answer). Optionally a ring's canaries go first, alone, and bake
 * before the rest. A failure budget halts it (no new cell starts; those in flight finish);
 * `resume` gives it another budget, `abort` ends it (optionally rolling back the cells it
 * updated). Between rings: a bake time, a health check of the ring, and optionally an operator's
 * approval. A veto of the release stops it: no cell starts, those in flight finish, the rest are
 * held (with autoVeto, going over the budget vetoes the release). A rollback rollout takes the
 * cells on a (vetoed) release back to what each ran before. Continues as new when nothing is in
 * flight on a large fleet.
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
      ...(input.rollback ? { rollback: true } : {}),
      startedAt: now(),
    },
    approved: false,
  };
  const progress = state.progress;
  const controls = new RolloutControls(input, progress, state.approved);
  /** the activities asking started cells (rollouts from before signals: one per cell, or a wave for one started by 0.1.0), until each returns */
  const inFlight = new Set<CancellationScope>();
  /** requests signalled to cells' controllers and not yet delivered */
  const asking = new Set<Promise<void>>();
  /** this rollout's first run: its requests name it, and it takes only the answers that do */
  const run = workflowInfo().firstExecutionRunId;
  /**
   * Outcomes told and not yet taken in, in the order they came (rollouts by windows). The scheduler
   * takes them one at a time, so what it starts depends on the outcomes so far and never on how many
   * arrived in one workflow task: a worker may see a task's events in two steps where its replay
   * sees them in one (seen when a query reached a worker that did not have the rollout cached).
   */
  const told: CellOutcome[] = [];
  const scheduled = new Map<string, SchedulableCell>();
  const refresh = () => (progress.counts = countCells(progress.rings));

  /** A running cell ended; an outcome told twice (in a batch, then in the wave's result) counts once. */
  const takeIn = (outcome: CellOutcome) => {
    if (!markEnded(progress.rings, outcome)) return;
    if (outcome.cluster) (state.clusters ??= {})[outcome.cellId] = outcome.cluster;
    if (outcome.connection === 'agent') (state.agentCells ??= []).push(outcome.cellId);
  };
  // What a reader sees includes the outcomes the scheduler has yet to take in (while paused or halted, say).
  setHandler(rolloutProgressQuery, () => {
    if (told.length === 0) return progress;
    const view = JSON.parse(JSON.stringify(progress)) as RolloutProgress;
    for (const outcome of told) markEnded(view.rings, outcome);
    return { ...view, counts: countCells(view.rings) };
  });
  /** Every outcome told so far, taken in. */
  const takeInAll = () => {
    for (const outcome of told.splice(0)) takeIn(outcome);
    refresh();
  };
  /** A rollout in waves (started by 0.1.0) takes each outcome in as it comes; one by windows queues it for its scheduler. */
  const ended = (outcome: CellOutcome) => (state.schedule ? told.push(outcome) : takeIn(outcome));
  setHandler(cellOutcomesSignal, (outcomes) => {
    outcomes.filter((o) => o.run === undefined || o.run === run).forEach(({ run: _, ...outcome }) => ended(outcome));
    refresh();
  });
  /** Cells asked and not yet answered (an answer told and not yet taken in counts as one). */
  const unanswered = () => {
    const answered = new Set(told.map((o) => o.cellId));
    return progress.rings.flatMap((r) => r.cells ?? []).filter((c) => c.state === 'running' && !answered.has(c.id)).length;
  };

  if (!carried) {
    // The cells registered in each ring now: the failure budget is a share of all of them.
    const rings = progress.rings.map((r) => r.ring);
    if (patched('window-aware-rollouts')) {
      // Each cell with its change contract; the cells not told of this release yet are given notice.
      const cells = await listRolloutCells(rings, input.rollback ? input.version : undefined, { rolloutId: input.id, version: input.version, ignoreWindows: input.window === 'now' });
      state.schedule = {};
      progress.rings.forEach((ring, i) => (ring.cells = cells[i].map(({ id }) => ({ id, state: 'pending' }))));
      for (const { id, ...scheduling } of cells.flat()) state.schedule[id] = scheduling;
    } else {
      const cells = await listFleetCells(rings);
      progress.rings.forEach((ring, i) => (ring.cells = cells[i].map((id) => ({ id, state: 'pending' }))));
    }
    refresh();
    progress.failuresAllowed = failureBudget(input.waves, progress.counts.pending);
  }
  const overBudget = () => (progress.counts.failed > progress.failuresAllowed ? `${progress.counts.failed} cells failed, more than the budget of ${progress.failuresAllowed}` : undefined);
  /** Holds the rollout for an operator when over budget, or while paused; with autoVeto, over budget vetoes the release. True when it stops. */
  const gate = async (haltReason = overBudget()): Promise<boolean> => {
    if (haltReason && input.autoVeto && !controls.vetoed) {
      controls.veto(await vetoRelease(input.version, { by: input.requestedBy, reason: `autoVeto: rollout ${input.id} halted: ${haltReason}`, at: now() }));
    }
    if (haltReason && !controls.vetoed) await tell('rollout.halted', `⏸️ rollout ${input.id} halted: ${haltReason} (resume or abort it)`);
    return controls.gate(haltReason);
  };

  for (const ring of progress.rings) {
    if (ring.state === 'done' || !ring.cells) continue;
    ring.state = 'running';
    ring.startedAt ??= now();

    if (state.schedule) {
      if (await runRing(ring)) return end(ring);
    } else for (const wave of waves(ring.cells.filter((c) => c.state === 'pending'), input.waves.maxConcurrent)) {
      if (await controls.gate(overBudget())) return end(ring);
      ring.state = 'running';
      const startedAt = now();
      for (const cell of wave) Object.assign(cell, { state: 'running', startedAt });
      refresh();
      runBatch(wave);
      // Every cell of the wave ends, there or stopped; an abort stops the wait (running cells finish on their own).
      await condition(() => (inFlight.size === 0 && asking.size === 0 && wave.every((c) => c.state !== 'running')) || controls.aborted !== undefined);
      if (controls.aborted) {
        cancelInFlight();
        return end(ring);
      }
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof fleetRollout>(input, { ...state, approved: controls.approved });
    }

    const afterRing = overBudget();
    if (afterRing && (await gate(afterRing))) return end(ring);
    if (ring !== progress.rings.at(-1)) {
      ring.state = 'baking';
      if (await bake(input.bakeSeconds * 1000)) return end(ring);
      const sick = await checkRing(ring);
      if (sick && (await gate(`ring ${ring.ring} unhealthy after bake: ${ring.health}`))) return end(ring);
      if (input.approvalBetweenRings) {
        ring.state = 'waiting-approval';
        if (await controls.approval()) return end(ring);
      }
    }
    ring.state = 'done';
    ring.endedAt = now();
  }
  // Told before the status says so: whoever reads `succeeded` may start the next rollout of this version.
  await tell('rollout.finished', `✅ rollout ${input.id} finished: ${progress.counts.succeeded} cells updated, ${progress.counts.failed} failed, ${progress.counts.held} held`, 'succeeded');
  progress.status = 'succeeded';
  progress.endedAt = now();
  return progress;

  /** Tells webhook subscribers (rollouts started by 0.1.0 tell nothing: their histories have no such step). */
  async function tell(type: EventType, text: string, status = progress.status): Promise<void> {
    if (!state.schedule) return;
    const at = now();
    await publishEvents([{ id: `${type}/${input.id}/${workflowInfo().runId}/${at}`, type, at, text, data: { rolloutId: input.id, version: input.version, status, counts: progress.counts } }]);
  }

  /** The ring by windows: its canaries first when it has some, then every cell; true when aborted. */
  async function runRing(ring: RingRollout): Promise<boolean> {
    const policy = ringPolicy(input);
    if (policy.canary && !ring.canariesBaked) {
      ring.canaries ??= canaryCells(schedulable(ring.cells!.filter((c) => c.state === 'pending')), Date.now(), policy);
      if (await runCells(ring, new Set(ring.canaries), Math.min(policy.maxConcurrent, ring.canaries.length))) return true;
      ring.state = 'baking';
      if (await bake(policy.canary.bakeMinutes * 60_000)) return true;
      const sick = await checkRing(ring);
      if (sick && (await gate(`ring ${ring.ring}'s canaries unhealthy after bake: ${ring.health}`))) return true;
      ring.canariesBaked = true;
      ring.state = 'running';
    }
    return runCells(ring, new Set(ring.cells!.map((c) => c.id)), policy.maxConcurrent);

    /**
     * Starts `ids` as their windows open, `limit` at a time, each with its own activity, until each
     * has ended or is held; woken by a cell's end (taken in one at a time), the next window's
     * opening, or an operator. True when aborted.
     */
    async function runCells(ring: RingRollout, ids: Set<string>, limit: number): Promise<boolean> {
      const wake = new WakeTimer();
      try {
        for (;;) {
          const outcome = told.shift();
          if (outcome) takeIn(outcome);
          refresh();
          if (await gate()) return abort();
          ring.state = 'running';
          const cells = ring.cells!.filter((c) => ids.has(c.id));
          const waiting = cells.filter((c) => c.state === 'pending');
          const running = cells.filter((c) => c.state === 'running').length;
          if (waiting.length === 0 && running === 0) return false;
          if (running === 0 && inFlight.size === 0 && asking.size === 0 && workflowInfo().continueAsNewSuggested) {
            await continueAsNew<typeof fleetRollout>(input, { ...state, approved: controls.approved });
          }
          const decision = startNow(schedulable(waiting), running, Date.now(), { ...policy, maxConcurrent: limit });
          // The next opening is the same whichever cells start now (they are open already): set first, it
          // keeps the commands in one order however the outcomes were grouped.
          wake.set(decision.wakeAt);
          const at = now();
          for (const { id, reason } of decision.held) Object.assign(findCell(progress.rings, id)!, { state: 'held', error: reason, endedAt: at });
          for (const cell of waiting.filter((c) => decision.start.includes(c.id))) {
            Object.assign(cell, { state: 'running', startedAt: at });
            runBatch([cell]);
          }
          refresh();
          if (told.length > 0) continue;
          await condition(() => told.length > 0 || wake.rang || controls.paused || controls.stopped);
          if (controls.stopped) return abort();
        }
      } finally {
        wake.set(undefined);
      }
    }

    /** An abort stops asking the cells in flight; a veto lets them finish (end() waits for them). */
    function abort(): true {
      if (controls.aborted) cancelInFlight();
      return true;
    }
  }

  /** A bake: a durable timer that a veto or an abort cuts short; true when stopped. */
  async function bake(ms: number): Promise<boolean> {
    // A timer of 0 s still waits for the server's timer queue (about a second): none for no bake.
    if (ms > 0) await condition(() => controls.stopped, ms);
    return controls.stopped;
  }

  /** The cells as the scheduler takes them: one object per cell for the run, so the windows it has read stay known. */
  function schedulable(cells: CellRollout[]): SchedulableCell[] {
    return cells.map((c) => {
      let cell = scheduled.get(c.id);
      if (!cell) scheduled.set(c.id, (cell = { id: c.id, ...state.schedule![c.id] }));
      return cell;
    });
  }

  /** Asks the started cells; each one's controller answers by signal when the cell ends (or refuses). */
  function runBatch(cells: CellRollout[]): void {
    if (!patched('rollout-signals')) return runBatchByActivity(cells);
    for (const cell of cells) {
      const request: RolloutCellRequest = { rolloutId: input.id, run, version: input.version, requestedBy: input.requestedBy, ...(input.window ? { window: input.window } : {}), ...(input.rollback ? { rollback: true } : {}) };
      const asked = getExternalWorkflowHandle(cellWorkflowId(cell.id))
        .signal(rolloutCellSignal, request)
        .catch((err: unknown) => {
          // No controller of that id runs: the cell was removed since the rollout listed it.
          if (!isCancellation(err)) ended({ cellId: cell.id, outcome: 'failed', error: `cell ${cell.id} is no longer registered`, at: now() });
        })
        .finally(() => {
          asking.delete(asked);
          refresh();
        });
      asking.add(asked);
    }
  }

  /** (rollouts from before signals) Asks the started cells through an activity that awaits their answers; one it cannot finish leaves its unanswered cells failed. */
  function runBatchByActivity(cells: CellRollout[]): void {
    const scope = new CancellationScope();
    inFlight.add(scope);
    void scope
      .run(() => updateCells(input.id, input.version, cells.map((c) => c.id), input.requestedBy, input.window, input.rollback))
      .then(
        (outcomes) => outcomes.forEach(ended),
        (err: unknown) => {
          if (controls.aborted && isCancellation(err)) return;
          if (!(err instanceof ActivityFailure)) throw err;
          const at = now();
          // Vetoed before these cells were asked: none of them started.
          if (err.cause instanceof ApplicationFailure && err.cause.type === ErrorType.ReleaseVetoed) {
            controls.veto(err.cause.details?.[0] as ReleaseVeto);
            for (const cell of cells) ended({ cellId: cell.id, outcome: 'held', error: err.cause.message, at });
            return;
          }
          for (const cell of cells) ended({ cellId: cell.id, outcome: 'failed', error: `the rollout lost track of the cell: ${describeFailure(err)}`, at });
        },
      )
      .finally(() => {
        inFlight.delete(scope);
        refresh();
      });
  }

  /** Stops asking: the cells already asked finish on their own. */
  function cancelInFlight(): void {
    for (const scope of inFlight) scope.cancel();
  }

  /** The ring's updated cells, checked once each; true when one is unhealthy (the ring is then halted). */
  async function checkRing(ring: RingRollout): Promise<boolean> {
    const updated = ring.cells!.filter((c) => c.state === 'succeeded').map((c) => c.id);
    const throughAgents = new Set(updated.filter((id) => state.agentCells?.includes(id)));
    const direct = updated.filter((id) => !throughAgents.has(id));
    const known = Object.fromEntries(direct.filter((id) => state.clusters?.[id]).map((id) => [id, state.clusters![id]]));
    const read = direct.length > 0 ? await ringHealth(direct, known) : [];
    const health = [
      ...read.flatMap((h) => ('ok' in h ? [h] : [])),
      ...(await Promise.all([
        ...[...throughAgents].map((cellId) => agentCellHealth(cellId, state.clusters![cellId])),
        ...read.flatMap((h) => ('throughAgent' in h ? [agentCellHealth(h.cellId, h.throughAgent)] : [])),
      ])),
    ];
    const sick = health.filter((h) => !h.ok);
    ring.health = sick.length === 0 ? `${health.length} cells healthy` : sick.map((h) => `${h.cellId}: ${h.reason}`).join('; ');
    if (sick.length > 0) ring.state = 'halted';
    return sick.length > 0;
  }

  async function end(ring: RingRollout): Promise<RolloutProgress> {
    takeInAll();
    ring.state = 'aborted';
    const veto = controls.vetoed;
    if (veto && !controls.aborted) {
      ring.state = 'halted';
      const at = now();
      const reason = `release ${input.version} was vetoed by ${veto.by} at ${veto.at}: ${veto.reason}`;
      for (const cell of progress.rings.flatMap((r) => r.cells ?? []).filter((c) => c.state === 'pending')) Object.assign(cell, { state: 'held', error: reason, endedAt: at });
      refresh();
      // The cells in flight finish, and their outcomes are recorded (an abort meanwhile stops the wait).
      await condition(() => (inFlight.size === 0 && asking.size === 0 && unanswered() === 0) || controls.aborted !== undefined);
      if (controls.aborted) cancelInFlight();
      takeInAll();
    }
    if (controls.aborted?.rollback) {
      const updated = progress.rings.flatMap((r) => (r.cells ?? []).filter((c) => c.state === 'succeeded'));
      const results = await rollbackCells(updated.map((c) => c.id), input.requestedBy);
      for (const result of results) {
        const cell = updated.find((c) => c.id === result.cellId)!;
        if (result.updateId) cell.state = 'rolled-back';
        else cell.error = `rollback refused: ${result.error}`;
      }
    }
    refresh();
    // Told before the status says so, as for a rollout that succeeds.
    const status = veto && !controls.aborted ? 'vetoed' : 'aborted';
    if (status === 'vetoed') await tell('rollout.vetoed', `🛑 rollout ${input.id} stopped: release ${input.version} vetoed by ${veto!.by}: ${veto!.reason}`, status);
    else await tell('rollout.finished', `⏹️ rollout ${input.id} aborted by an operator: ${progress.counts.succeeded} cells updated`, status);
    progress.status = status;
    progress.endedAt = now();
    return progress;
  }
}

/** Records a running cell's end where `rings` list it; false when it was not running (an outcome told twice). */
function markEnded(rings: RingRollout[], outcome: CellOutcome): boolean {
  const cell = findCell(rings, outcome.cellId);
  if (!cell || cell.state !== 'running') return false;
  cell.state = outcome.outcome;
  cell.endedAt = outcome.at;
  if (outcome.error) cell.error = outcome.error;
  return true;
}

function findCell(rings: RingRollout[], cellId: string): CellRollout | undefined {
  for (const ring of rings) {
    const cell = ring.cells?.find((c) => c.id === cellId);
    if (cell) return cell;
  }
  return undefined;
}

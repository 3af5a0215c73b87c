import { ActivityFailure, CancellationScope, condition, continueAsNew, isCancellation, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { ClusterRef } from '../../domain/cell';
import { countCells, failureBudget, waves, type CellOutcome, type CellRollout, type RingRollout, type RolloutInput, type RolloutProgress } from '../../domain/rollout';
import { describeFailure } from '../failures';
import { cellOutcomesSignal, rolloutProgressQuery } from '../messages';
import { now } from '../update/progress';
import { agentCellHealth, listFleetCells, ringHealth, rollbackCells, updateCells } from './activities';
import { RolloutControls } from './controls';

export interface FleetRolloutState {
  progress: RolloutProgress;
  approved: boolean;
  /** where the updated cells run, as their outcomes said: for the health checks between rings */
  clusters?: Record<string, ClusterRef>;
  /** the updated cells reached through their agents: their health is read there */
  agentCells?: string[];
}

/**
 * One release through the fleet: rings in order; within a ring, cells in waves of at most
 * `maxConcurrent`, each updated by its own controller with its own strategy and window (the
 * rollout sets the desired version and waits for each controller's answer). A failure budget
 * halts it between waves; `resume` gives it another budget, `abort` ends it (optionally rolling
 * back the cells it updated). Between rings: a bake time, a health check of the ring, and
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
  const controls = new RolloutControls(input, progress, state.approved);
  /** the activity running the current wave, until it returns */
  let waveInFlight: CancellationScope | undefined;
  const refresh = () => (progress.counts = countCells(progress.rings));

  setHandler(rolloutProgressQuery, () => progress);
  /** A running cell ended; an outcome told twice (in a batch, then in the wave's result) counts once. */
  const ended = (outcome: CellOutcome) => {
    const cell = findCell(progress.rings, outcome.cellId);
    if (!cell || cell.state !== 'running') return;
    cell.state = outcome.outcome;
    cell.endedAt = outcome.at;
    if (outcome.cluster) (state.clusters ??= {})[outcome.cellId] = outcome.cluster;
    if (outcome.connection === 'agent') (state.agentCells ??= []).push(outcome.cellId);
    if (outcome.error) cell.error = outcome.error;
  };
  setHandler(cellOutcomesSignal, (outcomes) => {
    outcomes.forEach(ended);
    refresh();
  });

  if (!carried) {
    // The cells registered in each ring now: the failure budget is a share of all of them.
    const cells = await listFleetCells(progress.rings.map((r) => r.ring));
    progress.rings.forEach((ring, i) => (ring.cells = cells[i].map((id) => ({ id, state: 'pending' }))));
    refresh();
    progress.failuresAllowed = failureBudget(input.waves, progress.counts.pending);
  }
  const overBudget = () => (progress.counts.failed > progress.failuresAllowed ? `${progress.counts.failed} cells failed, more than the budget of ${progress.failuresAllowed}` : undefined);

  for (const ring of progress.rings) {
    if (ring.state === 'done' || !ring.cells) continue;
    ring.state = 'running';
    ring.startedAt ??= now();

    for (const wave of waves(ring.cells.filter((c) => c.state === 'pending'), input.waves.maxConcurrent)) {
      if (await controls.gate(overBudget())) return end(ring);
      ring.state = 'running';
      const startedAt = now();
      for (const cell of wave) Object.assign(cell, { state: 'running', startedAt });
      refresh();
      runWave(wave);
      // Every cell of the wave ends, there or stopped; an abort stops the wait (running cells finish on their own).
      await condition(() => (waveInFlight === undefined && wave.every((c) => c.state !== 'running')) || controls.aborted !== undefined);
      if (controls.aborted) {
        waveInFlight?.cancel();
        return end(ring);
      }
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof fleetRollout>(input, { ...state, approved: controls.approved });
    }

    const afterRing = overBudget();
    if (afterRing && (await controls.gate(afterRing))) return end(ring);
    if (ring !== progress.rings.at(-1)) {
      ring.state = 'baking';
      // A timer of 0 s still waits for the server's timer queue (about a second): none for no bake.
      if (input.bakeSeconds > 0) await sleep(input.bakeSeconds * 1000);
      const sick = await checkRing(ring);
      if (sick && (await controls.gate(`ring ${ring.ring} unhealthy after bake: ${ring.health}`))) return end(ring);
      if (input.approvalBetweenRings) {
        ring.state = 'waiting-approval';
        if (await controls.approval()) return end(ring);
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
    void scope
      .run(() => updateCells(input.id, input.version, wave.map((c) => c.id), input.requestedBy, input.window))
      .then(
        (outcomes) => outcomes.forEach(ended),
        (err: unknown) => {
          if (controls.aborted && isCancellation(err)) return;
          if (!(err instanceof ActivityFailure)) throw err;
          const at = now();
          for (const cell of wave) ended({ cellId: cell.id, outcome: 'failed', error: `the rollout lost track of the cell: ${describeFailure(err)}`, at });
        },
      )
      .finally(() => {
        waveInFlight = undefined;
        refresh();
      });
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
    ring.state = 'aborted';
    if (controls.aborted?.rollback) {
      const updated = progress.rings.flatMap((r) => (r.cells ?? []).filter((c) => c.state === 'succeeded'));
      const results = await rollbackCells(updated.map((c) => c.id), input.requestedBy);
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

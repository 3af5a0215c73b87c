// The fleet case of `npm run bench`: a rollout over N zero-latency simulated cells (three rings,
// maxConcurrent 50) against bare Temporal in the same shape (a sliding limit per ring; a
// long-running workflow per cell asked by a signal, running a child, answering by a signal), beside
// the shape it had before (one activity per wave asking the cells) and, for context, a bare parent
// starting the children directly; and the cellshift worker's memory with N controllers open.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { CellSpec } from '../src/domain/cell';
import type { RolloutProgress } from '../src/domain/rollout';
import type { ReleaseCatalog } from '../src/domain/ports';
import { cellWorkflowId, rolloutWorkflowId } from '../src/workflows/ids';
import { cellStatusQuery } from '../src/workflows/messages';
import { CellIdKey, CellStatusKey, RingKey } from '../src/workflows/search-attributes';

const RINGS = ['staging', 'saas', 'dedicated'] as const;
export const FLEET_CONCURRENCY = 50;
/**
 * activities per cell: the update's preflight, maintenance on, pull, apply, verify, maintenance off
 * (the rollout reads the catalog once per wave for all its cells; no flag push: the bench's
 * releases declare no flags)
 */
const ACTIVITIES_PER_CELL = 6;

export interface FleetFigures {
  cells: number;
  cellshiftSeconds: number;
  bareSeconds: number;
  cellshiftPerSecond: number;
  barePerSecond: number;
  /** against a bare parent starting the children directly (context: no per-cell workflow) */
  ratio: number;
  /** CPU time of the server, cellshift's worker and the bench process (bare worker, client) per cell, over each run */
  cellshiftCpuMsPerCell: number;
  bareCpuMsPerCell: number;
  /** bare's CPU per cell over cellshift's: the ratio with the machine's noise taken out */
  cpuRatio: number;
  /** the rollout's shape, bare: a sliding limit per ring, a long-running workflow per cell asked by a signal and answering by one */
  bareSignalsSeconds: number;
  bareSignalsCpuMsPerCell: number;
  ratioToSignals: number;
  cpuRatioToSignals: number;
  /** (the shape before, beside it for one run) the same children started by a workflow per cell, asked by one activity per wave */
  bareCellsSeconds: number;
  bareCellsCpuMsPerCell: number;
  ratioToCells: number;
  cpuRatioToCells: number;
  /** time from the rollout's start to its first wave's (listing the rings); mean time from a wave's start to its last cell's report; from that report to the next wave's start, within a ring and between rings (bake, health check) */
  startSeconds: number;
  waveSeconds: number;
  gapSeconds: number;
  ringGapSeconds: number;
  rssMiBWithControllers: number;
}

export interface BenchMachine {
  /** CPU seconds used so far by the server, cellshift's worker and the bench process */
  cpuSeconds(): number;
  workerRssMiB(): number;
}

export async function fleetCase(client: Client, taskQueue: string, bareTaskQueue: string, catalog: ReleaseCatalog, cells: number, machine: BenchMachine): Promise<FleetFigures> {
  const run = randomUUID().slice(0, 6);
  // Each case's target is newer than the last: cells of an earlier case join the rollout too.
  const from = `4.${cells}.0`;
  const to = `4.${cells}.1`;
  for (const version of [from, to]) {
    await catalog.publish({ version, components: { server: `bench/server:${version}`, proxy: `bench/proxy:${version}` }, breaking: false }, { rings: [...RINGS] });
  }
  const perRing = splitRings(cells);
  const specs: CellSpec[] = RINGS.flatMap((ring, r) =>
    Array.from({ length: perRing[r] }, (_, i) => ({
      id: `b${run}-${ring}-${i}`,
      ring,
      strategy: 'maintenance-window' as const,
      maintenanceWindow: { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', durationMinutes: 1439, timezone: 'UTC' },
      cluster: { kind: 'simulated' as const, initialVersion: from },
      expectedUpdateMinutes: 1,
    })),
  );
  const controllers = `WorkflowType = 'cellController' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`;
  const before = (await client.workflow.count(controllers)).count;
  for (let i = 0; i < specs.length; i += 100) {
    await Promise.all(
      specs.slice(i, i + 100).map((spec) =>
        client.workflow.start('cellController', {
          workflowId: cellWorkflowId(spec.id),
          taskQueue,
          args: [{ spec }],
          typedSearchAttributes: [
            { key: CellIdKey, value: spec.id },
            { key: RingKey, value: spec.ring },
            { key: CellStatusKey, value: 'registering' },
          ],
        }),
      ),
    );
  }
  for (const spec of specs) {
    while ((await client.workflow.getHandle(cellWorkflowId(spec.id)).query(cellStatusQuery)).state !== 'ready') await pause(100);
  }
  // Visibility catches up with the registrations before the rollout lists the rings.
  for (;;) {
    if ((await client.workflow.count(controllers)).count >= before + specs.length) break;
    await pause(200);
  }
  const rssMiBWithControllers = machine.workerRssMiB();

  const started = performance.now();
  const cpuBefore = machine.cpuSeconds();
  const rollout = await client.workflow.start('fleetRollout', {
    workflowId: rolloutWorkflowId(to),
    taskQueue,
    args: [{ id: to, version: to, rings: [...RINGS], waves: { maxConcurrent: FLEET_CONCURRENCY, maxFailures: 0 }, bakeSeconds: 0, approvalBetweenRings: false, requestedBy: 'bench' }],
  });
  const progress: RolloutProgress = await rollout.result();
  const cellshiftSeconds = (performance.now() - started) / 1000;
  const cellshiftCpuSeconds = machine.cpuSeconds() - cpuBefore;
  if (progress.status !== 'succeeded' || progress.counts.failed > 0) {
    throw new Error(`bench rollout ended ${progress.status}: ${JSON.stringify(progress.counts)}`);
  }
  // The rollout's rings, as it found them, are what the baseline runs.
  const rolled = progress.rings.map((r) => r.cells?.length ?? 0);
  const total = rolled.reduce((a, b) => a + b, 0);

  const bare = async (activities: number) => {
    const begun = performance.now();
    const cpu = machine.cpuSeconds();
    await client.workflow.execute('bareFleet', { workflowId: `bare-fleet-${run}-${activities}`, taskQueue: bareTaskQueue, args: [rolled, FLEET_CONCURRENCY, activities] });
    return { seconds: (performance.now() - begun) / 1000, cpuSeconds: machine.cpuSeconds() - cpu };
  };
  const { seconds: bareSeconds, cpuSeconds: bareCpuSeconds } = await bare(ACTIVITIES_PER_CELL);

  /**
   * A bare rollout through a long-running workflow per cell (`cellWorkflow`), each started and
   * through its first task before the clock runs, then `rollout` over them; the cells end with it.
   */
  const throughCells = async (name: string, cellWorkflow: string, rollout: string) => {
    const cells = rolled.map((count, r) => Array.from({ length: count }, (_, i) => `bare-${name}-${run}-${r}-${i}`));
    for (const id of cells.flat()) await client.workflow.start(cellWorkflow, { workflowId: id, taskQueue: bareTaskQueue });
    for (const id of cells.flat()) {
      while ((await client.workflow.getHandle(id).describe()).historyLength < 4) await pause(50);
    }
    const begun = performance.now();
    const cpu = machine.cpuSeconds();
    await client.workflow.execute(rollout, { workflowId: `bare-fleet-${name}-${run}`, taskQueue: bareTaskQueue, args: [cells, FLEET_CONCURRENCY, ACTIVITIES_PER_CELL] });
    const figures = { seconds: (performance.now() - begun) / 1000, cpuSeconds: machine.cpuSeconds() - cpu };
    await Promise.all(cells.flat().map((id) => client.workflow.getHandle(id).terminate('bench done')));
    return figures;
  };
  // The shape before: cells asked by a Temporal update, one activity per wave.
  const { seconds: bareCellsSeconds, cpuSeconds: bareCellsCpuSeconds } = await throughCells('cell', 'bareCell', 'bareFleetThroughCells');
  // The rollout's shape now: cells asked by a signal, answering by one, a sliding limit per ring.
  const { seconds: bareSignalsSeconds, cpuSeconds: bareSignalsCpuSeconds } = await throughCells('signal-cell', 'bareSignalCell', 'bareFleetBySignals');

  return {
    cells: total,
    cellshiftSeconds,
    bareSeconds,
    cellshiftPerSecond: total / cellshiftSeconds,
    barePerSecond: total / bareSeconds,
    ratio: bareSeconds / cellshiftSeconds,
    cellshiftCpuMsPerCell: (cellshiftCpuSeconds * 1000) / total,
    bareCpuMsPerCell: (bareCpuSeconds * 1000) / total,
    cpuRatio: bareCpuSeconds / cellshiftCpuSeconds,
    bareSignalsSeconds,
    bareSignalsCpuMsPerCell: (bareSignalsCpuSeconds * 1000) / total,
    ratioToSignals: bareSignalsSeconds / cellshiftSeconds,
    cpuRatioToSignals: bareSignalsCpuSeconds / cellshiftCpuSeconds,
    bareCellsSeconds,
    bareCellsCpuMsPerCell: (bareCellsCpuSeconds * 1000) / total,
    ratioToCells: bareCellsSeconds / cellshiftSeconds,
    cpuRatioToCells: bareCellsCpuSeconds / cellshiftCpuSeconds,
    ...waveTimes(progress),
    rssMiBWithControllers,
  };
}

/** Waves as the rollout recorded them (its cells share a start time), and the pauses between them. */
function waveTimes(progress: RolloutProgress): { startSeconds: number; waveSeconds: number; gapSeconds: number; ringGapSeconds: number } {
  const waves: { ring: number; start: number; end: number }[] = [];
  progress.rings.forEach((ring, r) => {
    const byStart = new Map<string, number>();
    for (const cell of ring.cells ?? []) {
      if (cell.startedAt && cell.endedAt) byStart.set(cell.startedAt, Math.max(byStart.get(cell.startedAt) ?? 0, Date.parse(cell.endedAt)));
    }
    for (const [start, end] of byStart) waves.push({ ring: r, start: Date.parse(start), end });
  });
  waves.sort((a, b) => a.start - b.start);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length / 1000 : 0);
  const gaps = waves.slice(1).map((w, i) => ({ sameRing: w.ring === waves[i].ring, ms: w.start - waves[i].end }));
  return {
    startSeconds: waves.length ? (waves[0].start - Date.parse(progress.startedAt)) / 1000 : 0,
    waveSeconds: mean(waves.map((w) => w.end - w.start)),
    gapSeconds: mean(gaps.filter((g) => g.sameRing).map((g) => g.ms)),
    ringGapSeconds: mean(gaps.filter((g) => !g.sameRing).map((g) => g.ms)),
  };
}

function splitRings(cells: number): number[] {
  const base = Math.floor(cells / 3);
  return [base, base, cells - 2 * base];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

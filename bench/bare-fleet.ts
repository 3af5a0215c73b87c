// The fleet baselines: a bare parent workflow starting child workflows in waves, ring after ring,
// each child running the same number of no-op activities as a cellshift update; the same children
// started by a long-running workflow per cell asked by a signal and answering by one, a sliding
// limit per ring (the shape cellshift's rollout has, with nothing of cellshift's in it); and, for
// one run beside it, the shape it had before: cells asked by one activity per wave.
import { condition, defineSignal, defineUpdate, executeChild, getExternalWorkflowHandle, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';

export interface BareFleetActivities {
  noop(): Promise<void>;
  /** asks each cell workflow to run one child, and waits for all of them */
  runCells(workflowIds: string[], activities: number): Promise<void>;
}

const { noop } = proxyActivities<BareFleetActivities>({ startToCloseTimeout: '10s' });
const { runCells } = proxyActivities<BareFleetActivities>({ startToCloseTimeout: '10m' });

export const runChild = defineUpdate<void, [number]>('runChild');

export async function bareChild(activities: number): Promise<void> {
  for (let i = 0; i < activities; i++) await noop();
}

export async function bareFleet(rings: number[], maxConcurrent: number, activities: number): Promise<void> {
  let n = 0;
  for (const cells of rings) {
    for (let start = 0; start < cells; start += maxConcurrent) {
      const wave = Math.min(maxConcurrent, cells - start);
      await Promise.all(Array.from({ length: wave }, () => executeChild(bareChild, { workflowId: `${workflowInfo().workflowId}-${n++}`, args: [activities] })));
    }
  }
}

/** A cell's long-running workflow: each `runChild` request runs one child, and completes when it ends. */
export async function bareCell(): Promise<void> {
  let n = 0;
  setHandler(runChild, async (activities) => {
    await executeChild(bareChild, { workflowId: `${workflowInfo().workflowId}-${n++}`, args: [activities] });
  });
  await condition(() => false);
}

/** The rings' cell workflows in waves, one activity asking a wave's cells and waiting for them. */
export async function bareFleetThroughCells(rings: string[][], maxConcurrent: number, activities: number): Promise<void> {
  for (const cells of rings) {
    for (let start = 0; start < cells.length; start += maxConcurrent) await runCells(cells.slice(start, start + maxConcurrent), activities);
  }
}

/** From a rollout to a cell's workflow: run one child, then say so (the cell answers the rollout by signal). */
export const runCellSignal = defineSignal<[{ rollout: string; activities: number }]>('runCell');
/** From a cell's workflow to the rollout: its child ended. */
export const cellDoneSignal = defineSignal<[string]>('cellDone');

/** A cell's long-running workflow asked by signal: each request runs one child, then signals the rollout. */
export async function bareSignalCell(): Promise<void> {
  const asked: { rollout: string; activities: number }[] = [];
  setHandler(runCellSignal, (ask) => void asked.push(ask));
  for (let n = 0; ; n++) {
    await condition(() => asked.length > 0);
    const ask = asked.shift()!;
    await executeChild(bareChild, { workflowId: `${workflowInfo().workflowId}-${n}`, args: [ask.activities] });
    await getExternalWorkflowHandle(ask.rollout).signal(cellDoneSignal, workflowInfo().workflowId);
  }
}

/** cellshift's rollout, bare: within each ring a sliding limit of `maxConcurrent` cells, each asked by a signal and answering by one. */
export async function bareFleetBySignals(rings: string[][], maxConcurrent: number, activities: number): Promise<void> {
  const done: string[] = [];
  setHandler(cellDoneSignal, (id) => void done.push(id));
  const rollout = workflowInfo().workflowId;
  for (const cells of rings) {
    let next = 0;
    let running = 0;
    let ended = 0;
    while (ended < cells.length) {
      for (; running < maxConcurrent && next < cells.length; running++) void getExternalWorkflowHandle(cells[next++]).signal(runCellSignal, { rollout, activities });
      await condition(() => done.length > 0);
      done.shift();
      ended++;
      running--;
    }
  }
}

// The fleet baselines: a bare parent workflow starting child workflows in waves, ring after ring,
// each child running the same number of no-op activities as a cellshift update; and the same
// children started by a long-running workflow per cell, asked by one activity per wave (the shape
// a rollout through cell controllers has, with nothing of cellshift's in it).
import { condition, defineUpdate, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';

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

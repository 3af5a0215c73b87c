// The fleet baseline: a bare parent workflow starting child workflows in waves, ring after ring,
// each child running the same number of no-op activities as a cellshift update.
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });

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

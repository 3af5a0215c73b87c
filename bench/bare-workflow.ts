// The baseline: a bare Temporal workflow running the same number of no-op activities in sequence.
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });

export async function bareSteps(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await noop();
}

export { bareCell, bareChild, bareFleet, bareFleetBySignals, bareFleetThroughCells, bareSignalCell } from './bare-fleet';

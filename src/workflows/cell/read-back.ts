// What the cell's cluster says of it is the truth the controller records: read back after every
// update (whatever the update said of its end, or could not say: terminated, timed out), and at
// every periodic check. A version other than the recorded one is a drift; maintenance mode on with
// no update running is a cell left in maintenance, shown as such until it is off.
import { ActivityFailure, patched } from '@temporalio/workflow';
import { describeFailure } from '../failures';
import { now } from '../update/progress';
import { cellClusterActivities } from './activities';
import type { Cell } from './cell';

export interface Observed {
  version?: string;
  /** absent in what activities of 0.1.0 returned */
  maintenance?: boolean;
}

/** Reads the cluster once an update has ended; an unreachable one is noted, and the next check reads again. */
export async function readBack(cell: Cell): Promise<void> {
  cell.readBackDue = false;
  const { spec, status } = cell;
  // A request started the next update first: that one's end reads the cluster back.
  if (status.currentUpdate) return;
  if (!patched('read-back-after-update')) return;
  try {
    observe(cell, await cellClusterActivities(cell.target, spec.agentWaitSeconds).readActualVersion(cell.target), 'found on when the last update ended');
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    status.lastCheck = { at: now(), error: describeFailure(err) };
  }
}

/** Records what the cluster runs and whether it is in maintenance; no update runs when it is called. */
export function observe(cell: Cell, actual: Observed, how: string): void {
  const { status } = cell;
  if (actual.maintenance === true && !status.maintenance.leftOn) {
    status.maintenance = { enabled: true, leftOn: { since: now(), reason: how } };
    cell.publish();
  } else if (actual.maintenance === false && status.maintenance.enabled) {
    status.maintenance = { enabled: false };
    cell.publish();
  }
  if (actual.version !== status.version && status.state !== 'drifted') {
    status.state = 'drifted';
    status.drift = { recorded: status.version, actual: actual.version, detectedAt: now() };
    cell.publish();
  }
}

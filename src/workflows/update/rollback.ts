import { UPDATE_STEPS, type UpdateInput, type UpdateResult } from '../../domain/update';
import { UpdateRun } from './run';
import { runMaintenanceSteps } from './maintenance-window';

/**
 * Back to a version the cell ran before, on demand and at once: the same steps as an update
 * (preflight, maintenance mode, pull, apply, verify), and the same compensation if one fails.
 */
export async function rollbackUpdate(input: UpdateInput): Promise<UpdateResult> {
  const run = new UpdateRun(input, UPDATE_STEPS);
  return run.execute(async () => {
    run.tracker.setStatus('running');
    await runMaintenanceSteps(run);
  });
}

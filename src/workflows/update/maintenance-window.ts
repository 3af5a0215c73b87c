import { UPDATE_STEPS, type UpdateInput, type UpdateResult } from '../../domain/update';
import { UpdateRun } from './run';
import { runMaintenanceSteps } from './steps';
import { waitForWindow } from './window';

/**
 * One release onto one cell in its maintenance window: wait for the window, then preflight →
 * maintenance on → pull → apply → verify → maintenance off. Any failure or cancellation runs the
 * compensations in reverse, so the cell ends on its previous version with maintenance mode off.
 */
export async function maintenanceWindowUpdate(input: UpdateInput): Promise<UpdateResult> {
  const run = new UpdateRun(input, UPDATE_STEPS);
  return run.execute(async () => {
    await waitForWindow(run);
    run.tracker.setStatus('running');
    await runMaintenanceSteps(run);
  });
}

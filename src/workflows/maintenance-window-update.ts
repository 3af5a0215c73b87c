import { UPDATE_STEPS, type UpdateInput, type UpdateResult } from '../domain/update';
import { longSteps, steps } from './activities';
import { preflight, setMaintenance, waitForWindow } from './steps';
import { UpdateRun } from './update-run';

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

/** The steps after the window; a rollback on demand runs the same ones. */
export async function runMaintenanceSteps(run: UpdateRun): Promise<void> {
  const { target, input, saga } = run;
  const { release } = await run.step('preflight', () => preflight(run));
  saga.add('maintenanceOff', () => setMaintenance(run, false));
  await run.step('maintenanceOn', () => setMaintenance(run, true));
  await run.step('pull', () => longSteps.pullImages(target, release));
  saga.add('rollback', () => longSteps.rollbackRelease(target, input.id));
  await run.step('apply', () => steps.applyRelease(target, release, input.id));
  await run.step('verify', () => longSteps.verifyRollout(target, release));
  await run.step('maintenanceOff', () => setMaintenance(run, false));
  saga.drop('maintenanceOff');
}

import { UPDATE_STEPS, type UpdateInput, type UpdateResult } from '../domain/update';
import type { Release } from '../domain/release';
import { longSteps, quickSteps, steps } from './activities';
import { failedStep } from './failures';
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
  if (run.revision >= 3) return runPairedMaintenanceSteps(run);
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

/**
 * Revision 3 on, the same six steps in four activities: preflight and maintenance on are one
 * local activity, verify and maintenance off one activity (two workflow tasks fewer per update).
 * A failure names its step, so compensation is what it was with six.
 */
async function runPairedMaintenanceSteps(run: UpdateRun): Promise<void> {
  const { target, input, saga } = run;
  let release: Release;
  try {
    ({ release } = await run.pairedSteps('preflight', 'maintenanceOn', () => quickSteps.preflightAndEnterMaintenance(target, input.toVersion, input.fromVersion, false)));
  } catch (err) {
    // Unless preflight itself failed, maintenance mode may be on.
    if (failedStep(err) !== 'preflight') saga.add('maintenanceOff', () => setMaintenance(run, false));
    throw err;
  }
  run.progress.maintenance = true;
  saga.add('maintenanceOff', () => setMaintenance(run, false));
  await run.step('pull', () => longSteps.pullImages(target, release));
  saga.add('rollback', () => longSteps.rollbackRelease(target, input.id));
  await run.step('apply', () => steps.applyRelease(target, release, input.id));
  await run.pairedSteps('verify', 'maintenanceOff', () => longSteps.verifyAndLeaveMaintenance(target, release));
  run.progress.maintenance = false;
  saga.drop('maintenanceOff');
}

import { patched } from '@temporalio/workflow';
import { UPDATE_STEPS, type UpdateInput, type UpdateResult } from '../../domain/update';
import { UpdateRun } from './run';
import { waitForWindow } from './window';

/**
 * One release onto one cell in its maintenance window: wait for the window, then the maintenance
 * steps. Any failure or cancellation runs the compensations in reverse, so the cell ends on its
 * previous version with maintenance mode off.
 */
export async function maintenanceWindowUpdate(input: UpdateInput): Promise<UpdateResult> {
  const run = new UpdateRun(input, UPDATE_STEPS);
  return run.execute(async () => {
    await waitForWindow(run);
    run.tracker.setStatus('running');
    await runMaintenanceSteps(run);
  });
}

/**
 * preflight → maintenance on → pull → apply → verify → maintenance off, one activity each. The
 * undo of a step is registered before the step runs, so a step that half-happened is undone too.
 * A maintenance-window update runs these once its window opens; a rollback on demand at once.
 */
export async function runMaintenanceSteps(run: UpdateRun): Promise<void> {
  const { target, input, saga } = run;
  const { preflight, enterMaintenance, leaveMaintenance, pullImages, applyRelease, verifyRollout, rollbackRelease } = run.cluster;
  const { release } = await run.step('preflight', () => preflight(target, { version: input.toVersion, digest: input.digest }, input.fromVersion, false));
  saga.add('maintenanceOff', () => run.maintenance(false, () => leaveMaintenance(target)));
  await run.step('maintenanceOn', () => run.maintenance(true, () => enterMaintenance(target)));
  await run.step('pull', () => pullImages(target, release));
  saga.add('rollback', () => rollbackRelease(target, input.id));
  await run.step('apply', () => applyRelease(target, release, input.id));
  await run.step('verify', () => verifyRollout(target, release));
  // A release that passed verify stays: leaving maintenance is retried for as long as it takes, never undone.
  if (patched('leave-maintenance-until-done')) return run.leaveMaintenanceAfterVerify(() => leaveMaintenance(target));
  await run.step('maintenanceOff', () => run.maintenance(false, () => leaveMaintenance(target)));
  saga.drop('maintenanceOff');
}

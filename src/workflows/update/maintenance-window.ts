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
  const { config } = input;
  const checked = await run.step('preflight', () => preflight(target, { version: input.toVersion, digest: input.digest }, input.fromVersion, false, config));
  const { release } = checked;
  // A change of the cell's configuration alone pulls nothing, and goes into maintenance mode only for the items that ask for it.
  const change = input.strategy === 'config';
  const maintenance = !change || checked.config?.maintenance === true;
  if (maintenance) {
    saga.add('maintenanceOff', () => run.maintenance(false, () => leaveMaintenance(target)));
    await run.step('maintenanceOn', () => run.maintenance(true, () => enterMaintenance(target)));
  } else run.tracker.skip('maintenanceOn', 'no item this change touches asks for maintenance mode');
  if (change) run.tracker.skip('pull', 'a configuration change brings no new image');
  else await run.step('pull', () => pullImages(target, release));
  saga.add('rollback', () => rollbackRelease(target, input.id));
  // What preflight rendered and checked is what is applied: a release that renders otherwise now is refused.
  await run.step('apply', () => applyRelease(target, release, input.id, undefined, config && checked.config ? { ...config, digest: checked.config.digest } : config));
  await run.step('verify', () => verifyRollout(target, release, config));
  if (!maintenance) return run.verifiedLive();
  // A release that passed verify stays: leaving maintenance is retried for as long as it takes, never undone.
  if (patched('leave-maintenance-until-done')) return run.leaveMaintenanceAfterVerify(() => leaveMaintenance(target));
  await run.step('maintenanceOff', () => run.maintenance(false, () => leaveMaintenance(target)));
  saga.drop('maintenanceOff');
}

import { ApplicationFailure, CancellationScope, condition, executeChild, isCancellation, patched, setHandler } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import { judgeHealth } from '../../domain/health';
import type { ClusterTarget } from '../../domain/ports';
import { STAGING_FIRST_STEPS, type UpdateInput, type UpdateResult } from '../../domain/update';
import { failedWith } from '../failures';
import { updateWorkflowId } from '../ids';
import { approveUpdate, rejectUpdate, type OperatorCommand, type UpdateAccepted } from '../messages';
import { awaitUpdateResult, cancelCellUpdate, cellTarget, clusterActivities, requestCellRollback, requestCellUpdate } from './activities';
import { maintenanceWindowUpdate } from './maintenance-window';
import { now } from './progress';
import { UpdateRun } from './run';
import { waitForContract } from './window';

type StagingOptions = NonNullable<UpdateInput['stagingFirst']>;

/**
 * The release goes first to the cell's paired staging cell (through that cell's own controller,
 * at once), soaks there under health checks, then waits for an operator's approval (or promotes
 * itself when the cell says so). Approved, the primary is updated in its maintenance window by a
 * maintenance-window update as a child. Rejected, timed out, or failed on staging: staging is
 * brought back and the primary is never touched. A failure on the primary compensates the
 * primary; staging keeps the new version, and the result says so.
 */
export async function stagingFirstUpdate(input: UpdateInput): Promise<UpdateResult> {
  const options = input.stagingFirst!;
  const run = new UpdateRun(input, STAGING_FIRST_STEPS);
  let decision: { approved: boolean; command: OperatorCommand } | undefined;

  setHandler(
    approveUpdate,
    (command) => {
      run.record('approve', command);
      decision = { approved: true, command };
    },
    { validator: (_: OperatorCommand) => run.requireStatus('approve', ['waiting-approval']) },
  );
  setHandler(
    rejectUpdate,
    (command) => {
      run.record('reject', command);
      decision = { approved: false, command };
    },
    { validator: (_: OperatorCommand) => run.requireStatus('reject', ['waiting-approval', 'soaking']) },
  );

  return run.execute(async () => {
    // The primary cell's change contract (blackouts, notice, a postponement, its customer's approval) holds the whole update.
    if (patched('change-contract')) await waitForContract(run, true);
    run.tracker.setStatus('running');
    const staged = await run.step('staging', () => updateStaging(run, options));
    run.staging = { cellId: options.stagingCellId, updateId: staged.updateId, version: input.toVersion, keptNewVersion: true };
    // Only what this update did to staging is undone: a staging cell already on the release stays on it.
    if (staged.updateId) run.saga.add('rollbackStaging', () => rollbackStaging(run, options, staged.fromVersion));

    run.tracker.setStatus('soaking');
    await run.step('soak', () => soak(run, options, staged.target, () => decision?.approved === false));

    await run.step('approval', async () => {
      if (!decision && options.autoPromote) return { attempt: 1, detail: 'promoted automatically after a healthy soak' };
      run.tracker.setStatus('waiting-approval');
      run.progress.decisionDeadline = new Date(Date.now() + options.decisionTimeoutSeconds * 1000).toISOString();
      const decided = await condition(() => decision !== undefined, options.decisionTimeoutSeconds * 1000);
      delete run.progress.decisionDeadline;
      if (!decided) {
        run.rejected = true;
        throw ApplicationFailure.create({ type: ErrorType.DecisionTimeout, message: `no decision within ${options.decisionTimeoutSeconds}s: rejected`, nonRetryable: true });
      }
      if (!decision!.approved) {
        run.rejected = true;
        const why = decision!.command.reason ? `: ${decision!.command.reason}` : '';
        throw ApplicationFailure.create({ type: ErrorType.Rejected, message: `rejected by ${decision!.command.by}${why}`, nonRetryable: true });
      }
      run.tracker.setStatus('running');
      return { attempt: 1, detail: `approved by ${decision!.command.by}` };
    });

    // From here on staging keeps the new release, whatever happens to the primary.
    run.saga.drop('rollbackStaging');
    await run.step('primary', () => updatePrimary(run, options));
  });
}

/**
 * The staging cell's own update, requested from its controller; a cancel here cancels it there.
 * A staging cell that already runs the release (a fleet rollout updated the staging ring first)
 * is not updated again: the soak that follows still judges it.
 */
async function updateStaging(run: UpdateRun, options: StagingOptions) {
  const { input } = run;
  const target = await cellTarget(options.stagingCellId);
  let accepted: UpdateAccepted;
  try {
    accepted = await requestCellUpdate(options.stagingCellId, {
      version: input.toVersion,
      strategy: 'maintenance-window',
      window: 'now',
      requestedBy: input.requestedBy,
      onBehalfOf: input.id,
    });
  } catch (err) {
    if (!failedWith(err, ErrorType.AlreadyInstalled)) throw err;
    return { attempt: 1, updateId: undefined, fromVersion: input.toVersion, target, detail: `${options.stagingCellId} already runs ${input.toVersion}` };
  }
  run.tracker.annotate('staging', { updateId: accepted.id });
  let result: UpdateResult;
  try {
    result = await awaitUpdateResult(accepted.id);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    result = await CancellationScope.nonCancellable(async () => {
      await cancelCellUpdate(accepted.id, input.requestedBy);
      return awaitUpdateResult(accepted.id);
    });
    run.staging = { cellId: options.stagingCellId, updateId: accepted.id, version: result.installedVersion, keptNewVersion: false };
    throw err;
  }
  if (result.status !== 'succeeded') {
    run.delegatedStatus = result.status;
    run.staging = { cellId: options.stagingCellId, updateId: accepted.id, version: result.installedVersion, keptNewVersion: false };
    throw ApplicationFailure.create({
      type: ErrorType.StagingFailed,
      message: `staging update ${accepted.id} ${result.status}${result.failedStep ? ` at ${result.failedStep}` : ''}: ${result.error ?? 'no error given'}`,
      nonRetryable: true,
    });
  }
  return { attempt: 1, updateId: accepted.id, fromVersion: accepted.fromVersion, target, detail: `${options.stagingCellId} on ${input.toVersion}` };
}

/** Health checks on staging until the soak time is over; the first failing check ends the soak. */
async function soak(run: UpdateRun, options: StagingOptions, target: ClusterTarget, rejected: () => boolean) {
  const until = Date.now() + options.soakSeconds * 1000;
  const { checkHealth } = clusterActivities(target);
  let checks = 0;
  for (;;) {
    const { report } = await checkHealth(target);
    checks++;
    const verdict = judgeHealth(report, options);
    if (!verdict.ok) {
      throw ApplicationFailure.create({ type: ErrorType.SoakFailed, message: `staging unhealthy after ${checks} check(s): ${verdict.reason}`, nonRetryable: true });
    }
    const left = until - Date.now();
    if (left <= 0) break;
    // A rejection during the soak ends it early.
    if (await condition(rejected, Math.min(left, options.healthCheckIntervalSeconds * 1000))) break;
  }
  return { attempt: 1, detail: `${checks} health checks passed over ${options.soakSeconds}s` };
}

/** Brings staging back to the version it ran before, through its controller's rollback. */
async function rollbackStaging(run: UpdateRun, options: StagingOptions, fromVersion: string | undefined) {
  const accepted = await requestCellRollback(options.stagingCellId, {
    toVersion: fromVersion,
    requestedBy: run.input.requestedBy,
    onBehalfOf: run.input.id,
  });
  const result = await awaitUpdateResult(accepted.id);
  if (result.status !== 'succeeded') {
    throw ApplicationFailure.create({ type: ErrorType.StagingRollbackFailed, message: `rollback ${accepted.id} of staging ${result.status}: ${result.error ?? ''}` });
  }
  run.staging = { cellId: options.stagingCellId, updateId: accepted.id, version: result.installedVersion, keptNewVersion: false };
  return { attempt: 1 };
}

/** The primary in its maintenance window: a maintenance-window update as a child, under the id the controller reserved. */
async function updatePrimary(run: UpdateRun, options: StagingOptions) {
  const { input } = run;
  run.tracker.annotate('primary', { updateId: options.primaryUpdateId });
  const result = await executeChild(maintenanceWindowUpdate, {
    workflowId: updateWorkflowId(options.primaryUpdateId),
    args: [{ ...input, id: options.primaryUpdateId, strategy: 'maintenance-window', parentUpdateId: input.id, stagingFirst: undefined }],
  });
  if (result.status !== 'succeeded') {
    run.delegatedStatus = result.status;
    throw ApplicationFailure.create({
      type: ErrorType.PrimaryFailed,
      message: `primary update ${options.primaryUpdateId} ${result.status}${result.failedStep ? ` at ${result.failedStep}` : ''}: ${result.error ?? ''}; staging keeps ${input.toVersion}`,
      nonRetryable: true,
    });
  }
  return { attempt: 1, detail: `${input.cellId} on ${input.toVersion} at ${now()}` };
}


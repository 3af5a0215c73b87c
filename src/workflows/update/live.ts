import { ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import { judgeHealth } from '../../domain/health';
import { batches, DEFAULT_LIVE, type AnalysisOptions } from '../../domain/strategy-options';
import type { UpdateInput, UpdateResult } from '../../domain/update';
import { UpdateRun } from './run';
import { waitForContract } from './window';

/**
 * A release onto a running cell without maintenance mode: components in batches, each followed
 * by a health analysis. A failed analysis rolls back every batch applied so far, in reverse.
 * Breaking releases are refused in preflight: they need a maintenance window.
 */
export async function liveUpdate(input: UpdateInput): Promise<UpdateResult> {
  const options = input.live ?? DEFAULT_LIVE;
  const run = new UpdateRun(input, ['preflight', 'pull']);
  const { target, saga } = run;
  const { preflight, pullImages, applyRelease, verifyRollout, rollbackRelease } = run.cluster;
  return run.execute(async () => {
    // Live needs no window, but the cell's change contract (blackouts, notice, a postponement) still holds.
    if (patched('change-contract')) await waitForContract(run, true);
    run.tracker.setStatus('running');
    const { release } = await run.step('preflight', () => preflight(target, { version: input.toVersion, digest: input.digest }, input.fromVersion, true, input.config));
    // A reference names its components (0.2.0); 0.1.0's preflight answered with the release whole.
    const components = Array.isArray(release.components) ? release.components : Object.keys(release.components);
    const groups = batches(components, options.batchSize);
    run.tracker.plan([...groups.flatMap((_, i) => [`apply-batch-${i + 1}`, `analysis-batch-${i + 1}`]), 'verify']);
    await run.step('pull', () => pullImages(target, release));
    for (const [index, group] of groups.entries()) {
      const batch = index + 1;
      const key = `${input.id}#${batch}`;
      saga.add(`rollback:${batch}`, () => rollbackRelease(target, key));
      await run.step(`apply-batch-${batch}`, async () => {
        const { attempt } = await applyRelease(target, release, key, group);
        return { attempt, detail: group.join(', ') };
      });
      await run.step(`analysis-batch-${batch}`, () => analyse(run, options.analysis));
    }
    await run.step('verify', () => verifyRollout(target, release, input.config));
  });
}

/** Health checks over an interval against the thresholds; the first failing check fails the batch. */
async function analyse(run: UpdateRun, analysis: AnalysisOptions): Promise<{ attempt: number; detail: string }> {
  let last = '';
  for (let check = 1; check <= analysis.checks; check++) {
    if (check > 1) await sleep(analysis.intervalSeconds * 1000);
    const { report } = await run.cluster.checkHealth(run.target);
    const verdict = judgeHealth(report, analysis);
    if (!verdict.ok) {
      throw ApplicationFailure.create({ type: ErrorType.AnalysisFailed, message: `health check ${check}/${analysis.checks}: ${verdict.reason}`, nonRetryable: true });
    }
    last = verdict.reason;
  }
  return { attempt: 1, detail: `${analysis.checks} checks passed (${last})` };
}

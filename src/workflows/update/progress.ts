import { upsertSearchAttributes } from '@temporalio/workflow';
import type { StepOutcome } from '../../activities/update/step-context';
import type { CompensationName, CompensationProgress, StepProgress, UpdateProgress, UpdateStatus } from '../../domain/update';
import { describeFailure, failedAttempt } from '../failures';
import { UpdateStatusKey } from '../search-attributes';

/**
 * An update's progress (its `progress` query) and its UpdateStatus search attribute. The first
 * status is published only when the update waits in it (`publish`): an update whose window is open
 * appears as `running` at once.
 */
export class ProgressTracker {
  private published?: UpdateStatus;

  constructor(readonly progress: UpdateProgress) {}

  setStatus(status: UpdateStatus): void {
    if (this.progress.status === status) return;
    this.progress.status = status;
    this.publish();
  }

  /** Puts the status on the UpdateStatus search attribute, unless it is there already. */
  publish(): void {
    if (this.published === this.progress.status) return;
    this.published = this.progress.status;
    upsertSearchAttributes([{ key: UpdateStatusKey, value: this.published }]);
  }

  /** Adds steps known only once the update runs (a live update's batches), as pending. */
  plan(names: string[]): void {
    for (const name of names) this.stepNamed(name);
  }

  /** Notes on a step: the update carrying it out, what it found. */
  annotate(name: string, note: Pick<StepProgress, 'updateId' | 'detail'>): void {
    Object.assign(this.stepNamed(name), note);
  }

  /** Runs one step, recording its status, times, attempts, last error and what it found. */
  async step<T extends StepOutcome & { detail?: string }>(name: string, run: () => Promise<T>): Promise<T> {
    const step = this.stepNamed(name);
    step.status = 'running';
    step.startedAt = now();
    delete step.endedAt;
    try {
      const outcome = await run();
      step.status = 'succeeded';
      step.attempts += outcome.attempt;
      if (outcome.detail) step.detail = outcome.detail;
      delete step.error;
      return outcome;
    } catch (err) {
      step.status = 'failed';
      step.attempts += failedAttempt(err);
      step.error = describeFailure(err);
      this.progress.failedStep ??= step.name;
      this.progress.error ??= step.error;
      throw err;
    } finally {
      step.endedAt = now();
    }
  }

  /** A step this update has no need of, and why. */
  skip(name: string, detail: string): void {
    Object.assign(this.stepNamed(name), { status: 'skipped', detail });
  }

  skipRemaining(): void {
    for (const step of this.progress.steps) if (step.status === 'pending') step.status = 'skipped';
  }

  compensation(name: CompensationName): CompensationProgress {
    const entry: CompensationProgress = { name, status: 'pending', attempts: 0 };
    this.progress.compensations.push(entry);
    return entry;
  }

  private stepNamed(name: string): StepProgress {
    let step = this.progress.steps.find((s) => s.name === name);
    if (!step) {
      step = { name, status: 'pending', attempts: 0 };
      this.progress.steps.push(step);
    }
    return step;
  }
}

/** The workflow's clock as ISO 8601 UTC (deterministic inside a workflow). */
export function now(): string {
  return new Date().toISOString();
}

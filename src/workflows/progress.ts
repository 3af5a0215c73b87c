import { upsertSearchAttributes } from '@temporalio/workflow';
import type { PairedStepOutcome, StepOutcome } from '../activities/step-context';
import type { CompensationName, CompensationProgress, StepProgress, UpdateProgress, UpdateStatus } from '../domain/update';
import { describeFailure, failedAttempt, failedStep } from './failures';
import { UpdateStatusKey } from './search-attributes';

/**
 * Keeps an update's progress (the `progress` query) and its UpdateStatus search attribute current.
 * A lazy tracker leaves the first status off the search attribute until asked (`publish`).
 */
export class ProgressTracker {
  private published?: UpdateStatus;

  /** `startedAs`: the status the search attribute already holds (set as the workflow started) */
  constructor(
    readonly progress: UpdateProgress,
    lazy = false,
    startedAs?: UpdateStatus,
  ) {
    this.published = startedAs;
    if (!lazy) this.publish();
  }

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
    const step = this.begin(name);
    try {
      const outcome = await run();
      this.succeeded(step, outcome);
      return outcome;
    } catch (err) {
      this.failed(step, err);
      throw err;
    } finally {
      step.endedAt = now();
    }
  }

  /**
   * Two steps one activity carries out in turn, recorded as two: the first ends when the activity
   * says the second began; a failure is recorded on the step it names (the first when it names none).
   */
  async pairedSteps<T extends PairedStepOutcome>(first: string, second: string, run: () => Promise<T>): Promise<T> {
    const step = this.begin(first);
    try {
      const outcome = await run();
      // The activity's clock splits the two; kept in order with the workflow's.
      const split = latest(step.startedAt!, outcome.secondStartedAt);
      this.succeeded(step, outcome);
      step.endedAt = split;
      const next = this.begin(second, split);
      this.succeeded(next, outcome);
      next.endedAt = latest(split, now());
      return outcome;
    } catch (err) {
      step.endedAt = now();
      if (failedStep(err) !== second) {
        this.failed(step, err);
        throw err;
      }
      this.succeeded(step, { attempt: failedAttempt(err) });
      const next = this.begin(second);
      this.failed(next, err);
      next.endedAt = now();
      throw err;
    }
  }

  private begin(name: string, at = now()): StepProgress {
    const step = this.stepNamed(name);
    step.status = 'running';
    step.startedAt = at;
    delete step.endedAt;
    return step;
  }

  private succeeded(step: StepProgress, outcome: StepOutcome & { detail?: string }): void {
    step.status = 'succeeded';
    step.attempts += outcome.attempt;
    if (outcome.detail) step.detail = outcome.detail;
    delete step.error;
  }

  private failed(step: StepProgress, err: unknown): void {
    step.status = 'failed';
    step.attempts += failedAttempt(err);
    step.error = describeFailure(err);
    this.progress.failedStep ??= step.name;
    this.progress.error ??= step.error;
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

/** The later of two ISO 8601 UTC times. */
function latest(a: string, b: string): string {
  return a > b ? a : b;
}

export function now(): string {
  return new Date().toISOString();
}

import { ApplicationFailure, CancellationScope, condition, isCancellation, setHandler } from '@temporalio/workflow';
import type { PairedStepOutcome } from '../activities/step-context';
import { ErrorType } from '../domain/errors';
import type { ClusterTarget } from '../domain/ports';
import {
  FINAL_STATUSES,
  type FinalStatus,
  type OperatorActionName,
  type StagingOutcome,
  type UpdateInput,
  type UpdateResult,
  type UpdateStatus,
} from '../domain/update';
import { reads } from './activities';
import { tellControllerFinished } from './controller-link';
import { describeFailure } from './failures';
import {
  abandonCompensation,
  cancelUpdate,
  pauseUpdate,
  progressQuery,
  reportEndSignal,
  resumeUpdate,
  retryCompensation,
  type OperatorCommand,
} from './messages';
import { now, ProgressTracker } from './progress';
import { Saga } from './saga';

/**
 * What every update workflow shares: progress, the saga, and the operator's controls. `cancel`
 * compensates; `pause` and `resume` take effect between steps; `retry` and `abandon` answer a
 * compensation that needs attention. Every command is a Temporal update whose validator answers
 * at once whether it fits the update's state, and is recorded with who sent it.
 */
export class UpdateRun {
  readonly tracker: ProgressTracker;
  readonly saga: Saga;
  readonly target: ClusterTarget;
  /** which revision of this code started the update (UPDATE_REVISION); 1 when it does not say */
  readonly revision: number;
  private readonly main = new CancellationScope();
  private cancelled = false;
  private paused = false;
  /** the controller stopped awaiting this update's result (it continued as new): report the end by signal */
  private reportBySignal = false;
  /** a rejection by the operator (or a decision timeout) ends the update as `rejected` */
  rejected = false;
  /** staging-first: where the staging cell stands, in progress and result */
  set staging(outcome: StagingOutcome) {
    this.progress.staging = outcome;
  }
  /** the end status of another update that failed and compensated on its own (staging, primary) */
  delegatedStatus?: FinalStatus;

  constructor(
    readonly input: UpdateInput,
    steps: readonly string[],
  ) {
    this.target = { cellId: input.cellId, cluster: input.cluster };
    this.revision = input.revision ?? 1;
    this.tracker = new ProgressTracker(
      {
        id: input.id,
        cellId: input.cellId,
        fromVersion: input.fromVersion,
        toVersion: input.toVersion,
        strategy: input.strategy,
        status: 'scheduled',
        steps: steps.map((name) => ({ name, status: 'pending', attempts: 0 })),
        compensations: [],
        actions: [],
        startedAt: now(),
      },
      this.revision >= 2,
      input.startedAs,
    );
    this.saga = new Saga(this.tracker);

    setHandler(progressQuery, () => this.tracker.progress);
    setHandler(reportEndSignal, () => {
      this.reportBySignal = true;
    });
    setHandler(
      cancelUpdate,
      (command) => {
        this.record('cancel', command);
        this.cancelled = true;
        this.main.cancel();
      },
      { validator: (_: OperatorCommand) => this.requireActive('cancel') },
    );
    setHandler(
      pauseUpdate,
      (command) => {
        this.record('pause', command);
        this.paused = true;
      },
      { validator: (_: OperatorCommand) => this.requireActive('pause', () => this.paused, 'it is already paused') },
    );
    setHandler(
      resumeUpdate,
      (command) => {
        this.record('resume', command);
        this.paused = false;
      },
      { validator: (_: OperatorCommand) => this.requireActive('resume', () => !this.paused, 'it is not paused') },
    );
    setHandler(retryCompensation, (command) => this.saga.decide('retry', this.action('retry', command)), {
      validator: (_: OperatorCommand) => this.requireOperatorWait(),
    });
    setHandler(abandonCompensation, (command) => this.saga.decide('abandon', this.action('abandon', command)), {
      validator: (_: OperatorCommand) => this.requireOperatorWait(),
    });
  }

  get progress() {
    return this.tracker.progress;
  }

  /** Between steps: holds here while the update is paused. */
  async checkpoint(): Promise<void> {
    if (!this.paused) return;
    const previous = this.progress.status;
    this.tracker.setStatus('paused');
    await condition(() => !this.paused);
    this.tracker.setStatus(previous);
  }

  /** A step, after the pause checkpoint. */
  async step<T extends { attempt: number; detail?: string }>(name: string, run: () => Promise<T>): Promise<T> {
    await this.checkpoint();
    return this.tracker.step(name, run);
  }

  /** Two steps one activity carries out in turn, after the pause checkpoint. */
  async pairedSteps<T extends PairedStepOutcome>(first: string, second: string, run: () => Promise<T>): Promise<T> {
    await this.checkpoint();
    return this.tracker.pairedSteps(first, second, run);
  }

  /** Runs the strategy's body; on failure or cancel, the compensations; then reports the end to the controller (by result or signal). */
  async execute(body: () => Promise<void>): Promise<UpdateResult> {
    let failure: unknown;
    try {
      await this.main.run(body);
    } catch (err) {
      failure = err;
    }

    let result: UpdateResult;
    if (failure === undefined && !this.rejected) {
      this.tracker.setStatus('succeeded');
      result = this.finish('succeeded', this.input.toVersion, [], []);
    } else {
      this.cancelled ||= failure !== undefined && isCancellation(failure);
      this.tracker.skipRemaining();
      if (failure !== undefined && !this.cancelled) this.progress.error ??= describeFailure(failure);
      this.tracker.setStatus('compensating');
      const { undone, abandoned } = await this.saga.compensate();
      const installed = await CancellationScope.nonCancellable(() => reads.readActualVersion(this.target));
      const status: FinalStatus =
        abandoned.length > 0
          ? 'failed'
          : this.cancelled
            ? 'cancelled'
            : this.rejected
              ? 'rejected'
              : undone.length > 0
                ? 'rolled-back'
                : (this.delegatedStatus ?? 'failed');
      this.tracker.setStatus(status);
      result = this.finish(status, installed.version, undone, abandoned);
    }
    // The controller learns the end from this result when it awaits it, by signal otherwise.
    const controllerAwaits = this.input.reportsByResult && !this.reportBySignal;
    if (!this.input.parentUpdateId && !controllerAwaits) await CancellationScope.nonCancellable(() => tellControllerFinished(this.input.cellId, result));
    return result;
  }

  action(action: OperatorActionName, command: OperatorCommand) {
    return { action, by: command.by, at: now(), ...(command.reason ? { reason: command.reason } : {}) };
  }

  record(action: OperatorActionName, command: OperatorCommand): void {
    this.progress.actions.push(this.action(action, command));
  }

  /** Throws the validator's refusal unless the update is still running (and `blocked` is false). */
  requireActive(command: string, blocked: () => boolean = () => false, why = ''): void {
    const status = this.progress.status;
    if (FINAL_STATUSES.includes(status) || status === 'compensating' || status === 'needs-attention') {
      throw ApplicationFailure.create({ type: ErrorType.InvalidState, message: `cannot ${command} an update that is ${status}`, nonRetryable: true });
    }
    if (blocked()) throw ApplicationFailure.create({ type: ErrorType.InvalidState, message: `cannot ${command}: ${why}`, nonRetryable: true });
  }

  requireStatus(command: string, allowed: UpdateStatus[]): void {
    if (!allowed.includes(this.progress.status)) {
      throw ApplicationFailure.create({
        type: ErrorType.InvalidState,
        message: `cannot ${command} an update that is ${this.progress.status} (only ${allowed.join(', ')})`,
        nonRetryable: true,
      });
    }
  }

  private requireOperatorWait(): void {
    if (!this.saga.waitingForOperator) {
      throw ApplicationFailure.create({
        type: ErrorType.InvalidState,
        message: 'the update is not waiting for an operator (only needs-attention takes retry or abandon)',
        nonRetryable: true,
      });
    }
  }

  private finish(status: FinalStatus, installedVersion: string | undefined, undone: UpdateResult['undone'], abandoned: UpdateResult['abandoned']): UpdateResult {
    this.progress.endedAt = now();
    return {
      id: this.input.id,
      cellId: this.input.cellId,
      fromVersion: this.input.fromVersion,
      toVersion: this.input.toVersion,
      strategy: this.input.strategy,
      status,
      installedVersion,
      failedStep: this.progress.failedStep,
      error: status === 'cancelled' ? undefined : this.progress.error,
      undone,
      abandoned,
      ...(this.progress.staging ? { staging: this.progress.staging } : {}),
      endedAt: this.progress.endedAt,
    };
  }
}

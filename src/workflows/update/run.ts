import { ActivityFailure, CancellationScope, condition, getExternalWorkflowHandle, isCancellation, patched, setHandler, sleep } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import type { ClusterTarget } from '../../domain/ports';
import { FINAL_STATUSES, type FinalStatus, type OperatorActionName, type StagingOutcome, type UpdateInput, type UpdateProgress, type UpdateResult, type UpdateStatus } from '../../domain/update';
import { describeFailure, failedAttempt, isAgentUnreachable, isTargetGone, refuse } from '../failures';
import type { StepOutcome } from '../../activities/update/step-context';
import { cellWorkflowId } from '../ids';
import { abandonCompensation, cancelUpdate, maintenanceSwitchedSignal, pauseUpdate, progressQuery, resumeUpdate, retryCompensation, type OperatorCommand } from '../messages';
import { Projection } from '../read-model/projection';
import { projectUpdate } from '../read-model/activities';
import { clusterActivities, type ClusterSteps } from './activities';
import { EndReport } from './end';
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
  /** the steps on the cell's cluster, routed to its agent for an agent cell */
  readonly cluster: ClusterSteps;
  private readonly main = new CancellationScope();
  private readonly end = new EndReport();
  /** signals to the cell's controller not yet delivered (maintenance switched) */
  private readonly telling: Promise<void>[] = [];
  /** the update's copy in the read model (0.1.0's updates kept none) */
  private readonly projection?: Projection<UpdateProgress>;
  private revision = 0;
  private cancelled = false;
  private paused = false;
  /** the release passed verify: nothing is undone any more, the update only leaves maintenance */
  private verified = false;
  /** a rejection by the operator (or a decision timeout) ends the update as `rejected` */
  rejected = false;
  /** the end status of another update that failed and compensated on its own (staging, primary) */
  delegatedStatus?: FinalStatus;

  constructor(
    readonly input: UpdateInput,
    steps: readonly string[],
  ) {
    this.target = { cellId: input.cellId, cluster: input.cluster, ...(input.connection ? { connection: input.connection } : {}) };
    this.cluster = clusterActivities(this.target, input.agentWaitSeconds);
    this.tracker = new ProgressTracker({
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
    });
    this.saga = new Saga(this.tracker);
    // Written when its status changes (the end included): a running update's steps are read from
    // the workflow itself, so each step costs no write (the API reads through while it runs).
    if (patched('read-model')) this.projection = new Projection(() => this.tracker.progress, projectUpdate, () => ++this.revision, (progress) => progress.status);

    setHandler(progressQuery, () => this.tracker.progress);
    setHandler(
      cancelUpdate,
      (command) => {
        this.record('cancel', command);
        this.cancelled = true;
        this.main.cancel();
      },
      { validator: (_: OperatorCommand) => this.requireActive('cancel', () => this.verified, 'the release passed verify; the update is leaving maintenance mode') },
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

  /** One step, after the pause checkpoint. */
  async step<T extends { attempt: number; detail?: string }>(name: string, run: () => Promise<T>): Promise<T> {
    if (this.paused) {
      const previous = this.progress.status;
      this.tracker.setStatus('paused');
      await condition(() => !this.paused);
      this.tracker.setStatus(previous);
    }
    return this.tracker.step(name, run);
  }

  /**
   * Turns maintenance mode on or off as a step or an undo, and tells the cell's controller, which
   * owns the fact (the API shows it from there); the update's progress says so too.
   */
  async maintenance<T>(enabled: boolean, call: () => Promise<T>): Promise<T> {
    const outcome = await call();
    this.progress.maintenance = enabled;
    if (patched('maintenance-told-to-controller')) {
      // Not awaited: the signal goes with the next step's command, and the update does not wait a
      // round trip for it; the update awaits every one before it ends.
      // Told even when the update is being cancelled: the switch happened.
      const told = CancellationScope.nonCancellable(() => getExternalWorkflowHandle(cellWorkflowId(this.input.cellId)).signal(maintenanceSwitchedSignal, { updateId: this.input.id, enabled })).catch((err: unknown) => {
          // The controller is gone (the cell removed): nobody shows the cell any more.
          if (!isTargetGone(err)) throw err;
        });
      this.telling.push(told);
    }
    return outcome;
  }

  /**
   * The last step once the release passed verify: leaving maintenance is one idempotent write, so it
   * is tried again (each round with the step's own quick retries, then a growing pause up to five
   * minutes) for as long as it takes, and never answered with a rollback of a verified release.
   * Not cancellable; the step shows its attempts and last error meanwhile.
   */
  async leaveMaintenanceAfterVerify(leave: () => Promise<StepOutcome>): Promise<void> {
    this.verified = true;
    this.saga.drop('rollback');
    this.saga.drop('maintenanceOff');
    await CancellationScope.nonCancellable(() =>
      this.tracker.step('maintenanceOff', async () => {
        const step = this.progress.steps.find((s) => s.name === 'maintenanceOff')!;
        for (let pauseMs = 5_000; ; pauseMs = Math.min(pauseMs * 2, 5 * 60_000)) {
          try {
            const outcome = await this.maintenance(false, leave);
            delete step.detail;
            return outcome;
          } catch (err) {
            if (!(err instanceof ActivityFailure)) throw err;
            step.attempts += failedAttempt(err);
            step.error = describeFailure(err);
            step.detail = `the release passed verify and stays; leaving maintenance mode again in ${pauseMs / 1000} s`;
            await sleep(pauseMs);
          }
        }
      }),
    );
  }

  /** The release passed verify on a cell that stayed out of maintenance mode: nothing is undone any more. */
  verifiedLive(): void {
    this.verified = true;
    this.saga.drop('rollback');
    this.tracker.skip('maintenanceOff', 'the cell stayed out of maintenance mode');
  }

  /** Runs the strategy's body; on failure or cancel, the compensations; then hands the result to whoever waits for it. */
  async execute(body: () => Promise<void>): Promise<UpdateResult> {
    let failure: unknown;
    try {
      await this.main.run(body);
    } catch (err) {
      // Whatever failed the body, the saga below answers it: nothing is rethrown past the undo.
      failure = err;
    }
    const result = failure === undefined && !this.rejected ? this.succeed() : await this.compensate(failure);
    // The read model has the end before anyone hears of it.
    await CancellationScope.nonCancellable(async () => {
      await Promise.all(this.telling);
      await this.projection?.flushed();
      await this.end.deliver(result);
    });
    return result;
  }

  private succeed(): UpdateResult {
    this.tracker.setStatus('succeeded');
    return this.finish('succeeded', this.input.toVersion, [], []);
  }

  private async compensate(failure: unknown): Promise<UpdateResult> {
    this.cancelled ||= failure !== undefined && isCancellation(failure);
    this.tracker.skipRemaining();
    if (failure !== undefined && !this.cancelled) this.progress.error ??= describeFailure(failure);
    this.tracker.setStatus('compensating');
    const { undone, abandoned } = await this.saga.compensate();
    const installed = await CancellationScope.nonCancellable(() => this.installedAfterUndo(failure, undone, abandoned));
    const status: FinalStatus =
      abandoned.length > 0 ? 'failed' : this.cancelled ? 'cancelled' : this.rejected ? 'rejected' : undone.length > 0 ? 'rolled-back' : (this.delegatedStatus ?? 'failed');
    this.tracker.setStatus(status);
    return this.finish(status, installed.version, undone, abandoned);
  }

  /**
   * What the cell runs once the undo is over, read from the cluster. An agent that is away leaves
   * the cell as it was when nothing changed or everything was undone: the version it came from.
   */
  private async installedAfterUndo(failure: unknown, undone: UpdateResult['undone'], abandoned: UpdateResult['abandoned']): Promise<{ version?: string }> {
    const unchanged = abandoned.length === 0;
    if (unchanged && undone.length === 0 && isAgentUnreachable(failure)) return { version: this.input.fromVersion };
    try {
      return await this.cluster.readActualVersion(this.target);
    } catch (err) {
      if (unchanged && isAgentUnreachable(err)) return { version: this.input.fromVersion };
      throw err;
    }
  }

  action(action: OperatorActionName, command: OperatorCommand) {
    return { action, by: command.by, at: now(), ...(command.reason ? { reason: command.reason } : {}) };
  }

  /** Writes the progress to the read model now, though its status did not change (the window and what it waits for, which the veto's sweep and readers look at). */
  refreshReadModel(): void {
    this.projection?.refresh();
  }

  record(action: OperatorActionName, command: OperatorCommand): void {
    this.progress.actions.push(this.action(action, command));
  }

  set staging(outcome: StagingOutcome) {
    this.progress.staging = outcome;
  }

  /** Refuses (in a validator) unless the update is still running and `blocked` is false. */
  requireActive(command: string, blocked: () => boolean = () => false, why = ''): void {
    const status = this.progress.status;
    if (FINAL_STATUSES.includes(status) || status === 'compensating' || status === 'needs-attention') refuse(ErrorType.InvalidState, `cannot ${command} an update that is ${status}`);
    if (blocked()) refuse(ErrorType.InvalidState, `cannot ${command}: ${why}`);
  }

  requireStatus(command: string, allowed: UpdateStatus[]): void {
    if (!allowed.includes(this.progress.status)) refuse(ErrorType.InvalidState, `cannot ${command} an update that is ${this.progress.status} (only ${allowed.join(', ')})`);
  }

  private requireOperatorWait(): void {
    if (!this.saga.waitingForOperator) refuse(ErrorType.InvalidState, 'the update is not waiting for an operator (only needs-attention takes retry or abandon)');
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
      ...(this.input.config ? { configRevision: this.input.config.revision } : {}),
      endedAt: this.progress.endedAt,
    };
  }
}

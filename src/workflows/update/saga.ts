import { CancellationScope, condition } from '@temporalio/workflow';
import type { StepOutcome } from '../../activities/update/step-context';
import type { CompensationName, OperatorAction } from '../../domain/update';
import { describeFailure, failedAttempt, isAgentUnreachable } from '../failures';
import { now, type ProgressTracker } from './progress';

type Decision = 'retry' | 'abandon';

/**
 * The compensations of an update, last in first out. They run in a non-cancellable scope, so a
 * cancellation cannot interrupt the undo. A compensation that keeps failing parks the update in
 * `needs-attention` until an operator decides: `retry` runs it again, `abandon` skips it and goes
 * on with the rest (maintenance mode is still turned off after an abandoned rollback).
 */
export class Saga {
  private readonly stack: { name: CompensationName; run: () => Promise<StepOutcome> }[] = [];
  private decision: Decision | undefined;
  private waiting = false;

  constructor(private readonly tracker: ProgressTracker) {}

  /** Registers the undo of a step before the step runs: a step that half-happened is undone too. */
  add(name: CompensationName, run: () => Promise<StepOutcome>): void {
    this.stack.push({ name, run });
  }

  /** Drops the most recent compensation of that name, once its step was undone by the happy path. */
  drop(name: CompensationName): void {
    const index = this.stack.map((c) => c.name).lastIndexOf(name);
    if (index >= 0) this.stack.splice(index, 1);
  }

  get waitingForOperator(): boolean {
    return this.waiting;
  }

  /** Called by the retry/abandon update handlers while the saga waits. */
  decide(decision: Decision, action: OperatorAction): void {
    this.decision = decision;
    this.tracker.progress.actions.push(action);
  }

  async compensate(): Promise<{ undone: CompensationName[]; abandoned: CompensationName[] }> {
    const undone: CompensationName[] = [];
    const abandoned: CompensationName[] = [];
    await CancellationScope.nonCancellable(async () => {
      while (this.stack.length > 0) {
        const { name, run } = this.stack.pop()!;
        const entry = this.tracker.compensation(name);
        for (;;) {
          entry.status = 'running';
          entry.startedAt = now();
          try {
            const outcome = await run();
            entry.attempts += outcome.attempt;
            entry.status = 'succeeded';
            delete entry.error;
            undone.push(name);
            break;
          } catch (err) {
            entry.attempts += failedAttempt(err);
            entry.status = 'failed';
            entry.error = describeFailure(err);
            const decision = isAgentUnreachable(err) ? await this.awaitAgent(run) : await this.askOperator();
            if (decision === 'abandon') {
              abandoned.push(name);
              break;
            }
            if (decision === 'done') {
              entry.attempts += 1;
              entry.status = 'succeeded';
              delete entry.error;
              undone.push(name);
              break;
            }
          } finally {
            entry.endedAt = now();
          }
        }
      }
    });
    return { undone, abandoned };
  }

  /**
   * An undo whose agent is away: `needs-attention` with that reason, while the undo waits on the
   * cell's queue again, and again, until the agent takes it (`done`: the update goes on by itself)
   * or an operator abandons it. `retry` changes nothing: the undo is already waiting. An undo that
   * then fails for another reason is tried once more, as after any failure.
   */
  private async awaitAgent(run: () => Promise<StepOutcome>): Promise<Decision | 'done'> {
    const previous = this.tracker.progress.status;
    this.tracker.setStatus('needs-attention');
    this.waiting = true;
    this.decision = undefined;
    const abandon = condition(() => this.decision === 'abandon').then(() => 'abandon' as const);
    try {
      for (;;) {
        const scope = new CancellationScope();
        const attempt = scope.run(run).then(
          () => 'done' as const,
          (err: unknown) => (isAgentUnreachable(err) ? ('away' as const) : ('failed' as const)),
        );
        const first = await Promise.race([attempt, abandon]);
        if (first === 'abandon') {
          scope.cancel();
          await attempt;
          return 'abandon';
        }
        if (first === 'done') return 'done';
        if (first === 'failed') return 'retry';
      }
    } finally {
      this.waiting = false;
      this.tracker.setStatus(previous);
    }
  }

  private async askOperator(): Promise<Decision> {
    const previous = this.tracker.progress.status;
    this.tracker.setStatus('needs-attention');
    this.decision = undefined;
    this.waiting = true;
    await condition(() => this.decision !== undefined);
    this.waiting = false;
    this.tracker.setStatus(previous);
    return this.decision!;
  }
}

import { condition, setHandler } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import { failureBudget, type RolloutInput, type RolloutProgress } from '../../domain/rollout';
import { refuse } from '../failures';
import { abortRollout, approveRing, pauseRollout, resumeRollout, type OperatorCommand } from '../messages';
import { now } from '../update/progress';

/**
 * An operator's hold on a rollout: pause and resume between waves, resume after a halt (with a
 * new failure budget), approve the next ring, abort (optionally rolling back what it updated).
 * Each is a Temporal update whose validator refuses what does not fit the rollout's state.
 */
export class RolloutControls {
  paused: boolean;
  aborted?: { rollback: boolean };
  approved: boolean;
  private resumed = false;

  constructor(
    private readonly input: RolloutInput,
    private readonly progress: RolloutProgress,
    approved: boolean,
  ) {
    this.paused = progress.status === 'paused';
    this.approved = approved;
    const finished = () => progress.status === 'succeeded' || progress.status === 'aborted';
    const allow = (ok: boolean, message: string) => {
      if (!ok) refuse(ErrorType.InvalidState, message);
    };
    setHandler(
      pauseRollout,
      (command) => {
        this.record('pause', command);
        this.paused = true;
      },
      { validator: (_: OperatorCommand) => allow(!finished() && !this.paused && progress.status !== 'halted', `cannot pause a rollout that is ${progress.status}`) },
    );
    setHandler(
      resumeRollout,
      (command) => {
        this.record('resume', command);
        this.paused = false;
        this.resumed = true;
      },
      { validator: (_: OperatorCommand) => allow(this.paused || progress.status === 'halted', `cannot resume a rollout that is ${progress.status}`) },
    );
    setHandler(
      abortRollout,
      (command) => {
        this.record(command.rollback ? 'abort-and-roll-back' : 'abort', command);
        this.aborted = { rollback: command.rollback ?? false };
      },
      { validator: (_: OperatorCommand & { rollback?: boolean }) => allow(!finished(), `cannot abort a rollout that is ${progress.status}`) },
    );
    setHandler(
      approveRing,
      (command) => {
        this.record('approve', command);
        this.approved = true;
      },
      { validator: (_: OperatorCommand) => allow(progress.status === 'waiting-approval', `cannot approve a rollout that is ${progress.status}`) },
    );
  }

  /** Holds while paused or halted (for `haltReason`); true when the rollout was aborted meanwhile. */
  async gate(haltReason?: string): Promise<boolean> {
    const { progress } = this;
    if (haltReason) {
      progress.status = 'halted';
      progress.haltReason = haltReason;
      this.resumed = false;
      await condition(() => this.resumed || this.aborted !== undefined);
      if (!this.aborted) {
        const total = progress.rings.reduce((n, r) => n + (r.cells?.length ?? 0), 0);
        progress.failuresAllowed += Math.max(1, failureBudget(this.input.waves, total));
        delete progress.haltReason;
      }
    }
    if (this.paused && !this.aborted) {
      progress.status = 'paused';
      await condition(() => !this.paused || this.aborted !== undefined);
    }
    if (this.aborted) return true;
    progress.status = 'running';
    return false;
  }

  /** Waits for an operator's approval of the next ring; true when the rollout was aborted instead. */
  async approval(): Promise<boolean> {
    this.progress.status = 'waiting-approval';
    this.approved = false;
    await condition(() => this.approved || this.aborted !== undefined);
    if (this.aborted) return true;
    this.progress.status = 'running';
    return false;
  }

  private record(action: string, command: OperatorCommand): void {
    this.progress.actions.push({ action, by: command.by, at: now(), ...(command.reason ? { reason: command.reason } : {}) });
  }
}

import { condition, setHandler } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import type { ReleaseVeto } from '../../domain/release';
import { failureBudget, type RolloutInput, type RolloutProgress } from '../../domain/rollout';
import { refuse } from '../failures';
import { abortRollout, approveRing, pauseRollout, releaseVetoedSignal, resumeRollout, type OperatorCommand } from '../messages';
import { now } from '../update/progress';

/**
 * An operator's hold on a rollout: pause and resume between waves, resume after a halt (with a
 * new failure budget), approve the next ring, abort (optionally rolling back what it updated).
 * Each is a Temporal update whose validator refuses what does not fit the rollout's state. A veto
 * of the release (a signal from its sweep) stops the rollout wherever it waits.
 */
export class RolloutControls {
  paused: boolean;
  aborted?: { rollback: boolean };
  approved: boolean;
  private resumed = false;

  /** the release's veto, once told: no cell starts from then on */
  get vetoed(): ReleaseVeto | undefined {
    return this.progress.veto;
  }

  constructor(
    private readonly input: RolloutInput,
    private readonly progress: RolloutProgress,
    approved: boolean,
  ) {
    this.paused = progress.status === 'paused';
    this.approved = approved;
    const finished = () => progress.status === 'succeeded' || progress.status === 'aborted' || progress.status === 'vetoed';
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
    setHandler(releaseVetoedSignal, (veto) => this.veto(veto));
    setHandler(
      approveRing,
      (command) => {
        this.record('approve', command);
        this.approved = true;
      },
      { validator: (_: OperatorCommand) => allow(progress.status === 'waiting-approval', `cannot approve a rollout that is ${progress.status}`) },
    );
  }

  /** The release was vetoed (told by its sweep, or found when asking cells): the first veto stands; a rollback rollout goes on. */
  veto(veto: ReleaseVeto): void {
    if (this.input.rollback || this.progress.veto) return;
    this.progress.veto = veto;
    this.record('veto', { by: veto.by, reason: veto.reason });
  }

  /** Stops where the rollout waits: aborted, or its release vetoed. */
  get stopped(): boolean {
    return this.aborted !== undefined || this.progress.veto !== undefined;
  }

  /** Holds while paused or halted (for `haltReason`); true when the rollout was aborted or vetoed meanwhile. */
  async gate(haltReason?: string): Promise<boolean> {
    const { progress } = this;
    // Stopped already (an abort, or a veto: autoVeto's own after a halt): it ends, never shown halted.
    if (this.stopped) return true;
    if (haltReason) {
      progress.status = 'halted';
      progress.haltReason = haltReason;
      this.resumed = false;
      await condition(() => this.resumed || this.stopped);
      if (!this.stopped) {
        const total = progress.rings.reduce((n, r) => n + (r.cells?.length ?? 0), 0);
        progress.failuresAllowed += Math.max(1, failureBudget(this.input.waves, total));
        delete progress.haltReason;
      }
    }
    if (this.paused && !this.stopped) {
      progress.status = 'paused';
      await condition(() => !this.paused || this.stopped);
    }
    if (this.stopped) return true;
    progress.status = 'running';
    return false;
  }

  /** Waits for an operator's approval of the next ring; true when the rollout was aborted or vetoed instead. */
  async approval(): Promise<boolean> {
    this.progress.status = 'waiting-approval';
    this.approved = false;
    await condition(() => this.approved || this.stopped);
    if (this.stopped) return true;
    this.progress.status = 'running';
    return false;
  }

  private record(action: string, command: OperatorCommand): void {
    this.progress.actions.push({ action, by: command.by, at: now(), ...(command.reason ? { reason: command.reason } : {}) });
  }
}

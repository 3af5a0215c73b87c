import { condition, isCancellation, workflowInfo } from '@temporalio/workflow';

/** Above any history's length (Temporal caps one at 51,200 events). */
const HISTORY_SPAN = 65_536;

/**
 * A workflow's copy in the read model (what the API reads): written after every change of what
 * `key` picks from the value it watches (the whole value by default), one write at a time, each
 * with the latest value and a higher revision, so the read model never goes back. Writes are
 * local activities, retried until the database answers; the workflow goes on meanwhile.
 *
 * A revision is the write's number times a span, plus the history's length when it is made: a
 * worker that died after its write landed but before its workflow task was recorded leaves that
 * number taken; the worker that takes the workflow over writes the same number again, perhaps
 * with newer content, later in the history, and so wins (a bare counter would lose that write).
 */
export class Projection<T> {
  private written = '';
  private writing = false;
  /** a change `key` does not see, to be written all the same (refresh) */
  private forced = false;

  constructor(
    private readonly read: () => T,
    private readonly write: (value: T, revision: number) => Promise<void>,
    private readonly nextRevision: () => number,
    private readonly key: (value: T) => unknown = (value) => value,
  ) {
    this.run().catch((err: unknown) => {
      // The workflow was cancelled: nothing more to write.
      if (!isCancellation(err)) throw err;
    });
  }

  /** Writes the value as it is now even though its key has not changed (what a reader waits on changed beside it). */
  refresh(): void {
    this.forced = true;
  }

  /** Resolves once the read model has the value as it is now (before the workflow ends or continues as new). */
  flushed(): Promise<void> {
    return condition(() => !this.writing && !this.stale());
  }

  private async run(): Promise<void> {
    for (;;) {
      await condition(() => this.stale());
      this.writing = true;
      this.forced = false;
      const value = this.read();
      const json = JSON.stringify(this.key(value));
      await this.write(value, this.nextRevision() * HISTORY_SPAN + Math.min(workflowInfo().historyLength, HISTORY_SPAN - 1));
      this.written = json;
      this.writing = false;
    }
  }

  private stale(): boolean {
    return this.forced || JSON.stringify(this.key(this.read())) !== this.written;
  }
}

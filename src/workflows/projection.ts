import { condition, isCancellation } from '@temporalio/workflow';

/**
 * A workflow's copy in the read model (what the API reads): written after every change of what
 * `key` picks from the value it watches (the whole value by default), one write at a time, each
 * with the latest value and the next revision, so the read model never goes back. Writes are
 * local activities, retried until the database answers; the workflow goes on meanwhile.
 */
export class Projection<T> {
  private written = '';
  private writing = false;

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

  /** Resolves once the read model has the value as it is now (before the workflow ends or continues as new). */
  flushed(): Promise<void> {
    return condition(() => !this.writing && !this.stale());
  }

  private async run(): Promise<void> {
    for (;;) {
      await condition(() => this.stale());
      this.writing = true;
      const value = this.read();
      const json = JSON.stringify(this.key(value));
      await this.write(value, this.nextRevision());
      this.written = json;
      this.writing = false;
    }
  }

  private stale(): boolean {
    return JSON.stringify(this.key(this.read())) !== this.written;
  }
}

import { condition, isCancellation, proxyLocalActivities } from '@temporalio/workflow';
import type { ReadModelActivities } from '../../activities';
import type { Cell } from './cell';

// A write of the read model is a local activity: no task of its own on the server, retried until
// the database answers (the controller goes on meanwhile; the next write carries the latest view).
const { projectCell } = proxyLocalActivities<Pick<ReadModelActivities, 'projectCell'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/**
 * The cell's copy in the read model (what the API's lists read): written after every change of
 * the controller's view, one write at a time, each with the latest view and the next revision.
 */
export class CellProjection {
  private written = '';
  private writing = false;

  constructor(private readonly cell: Cell) {
    this.run().catch((err: unknown) => {
      // The controller was cancelled (the cell removed): nothing more to write.
      if (!isCancellation(err)) throw err;
    });
  }

  /** Resolves once the read model has the view as it is now (before a continue-as-new). */
  flushed(): Promise<void> {
    return condition(() => !this.writing && !this.stale());
  }

  private async run(): Promise<void> {
    for (;;) {
      await condition(() => this.stale());
      this.writing = true;
      const view = this.cell.view();
      const json = JSON.stringify(view);
      await projectCell(view, this.cell.nextRevision());
      this.written = json;
      this.writing = false;
    }
  }

  private stale(): boolean {
    return JSON.stringify(this.cell.view()) !== this.written;
  }
}

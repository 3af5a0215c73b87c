import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import type { CellReadModel } from '../adapters/db/cell-read-model';
import { cellStatusQuery } from '../workflows/messages';

/**
 * Writes the read model again from the workflows, which stay the source of truth: every running
 * cell controller of this cellshift (its task queue) is asked for its view. Rows are written as
 * revision 0, so a controller's own next write replaces them; what the controllers wrote since is
 * kept. Returns how many cells were written.
 */
export async function rebuildReadModel(client: Client, taskQueue: string, cells: CellReadModel, onProgress: (done: number) => void = () => undefined): Promise<number> {
  const limit = pLimit(16);
  const writes: Promise<void>[] = [];
  let done = 0;
  const query = `WorkflowType = 'cellController' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`;
  for await (const execution of client.workflow.list({ query })) {
    writes.push(
      limit(async () => {
        const view = await client.workflow.getHandle(execution.workflowId).query(cellStatusQuery);
        await cells.write(view, 0);
        onProgress(++done);
      }),
    );
  }
  await Promise.all(writes);
  return done;
}

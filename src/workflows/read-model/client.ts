import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import type { CellReadModel } from '../../adapters/db/cell-read-model';
import type { UpdateReadModel } from '../../adapters/db/update-read-model';
import { runningControllers } from '../cell/client';
import { cellStatusQuery, progressQuery } from '../messages';
import { UPDATE_WORKFLOWS } from '../update/client';

/**
 * Writes the read model again from the workflows, which stay the source of truth: every running
 * cell controller of this cellshift (its task queue), and every update the server still keeps
 * (running or within retention), asked for its view. Rows are written as revision 0, so a
 * workflow's own next write replaces them; what the workflows wrote since is kept. Returns how
 * many cells and updates were written.
 */
export async function rebuildReadModel(
  client: Client,
  taskQueue: string,
  models: { cells: CellReadModel; updates: UpdateReadModel },
  onProgress: (done: number) => void = () => undefined,
): Promise<{ cells: number; updates: number }> {
  const limit = pLimit(16);
  const writes: Promise<unknown>[] = [];
  const written = { cells: 0, updates: 0 };
  const each = (query: string, write: (workflowId: string) => Promise<void>, count: 'cells' | 'updates') =>
    (async () => {
      for await (const execution of client.workflow.list({ query })) {
        writes.push(
          limit(async () => {
            await write(execution.workflowId);
            written[count]++;
            onProgress(written.cells + written.updates);
          }),
        );
      }
    })();
  await each(
    runningControllers(taskQueue),
    async (id) => models.cells.write(await client.workflow.getHandle(id).query(cellStatusQuery), 0),
    'cells',
  );
  await each(
    `WorkflowType IN (${UPDATE_WORKFLOWS.map((w) => `'${w}'`).join(', ')}) AND TaskQueue = '${taskQueue}'`,
    async (id) => models.updates.write(await client.workflow.getHandle(id).query(progressQuery), 0),
    'updates',
  );
  await Promise.all(writes);
  return written;
}

import type { CellReadModel } from '../adapters/db/cell-read-model';
import type { UpdateReadModel } from '../adapters/db/update-read-model';
import type { CellView } from '../domain/cell';
import type { UpdateProgress } from '../domain/update';

/** Writes to the read model the API's lists serve from; each is idempotent and ordered by its revision. */
export function createReadModelActivities(cells: CellReadModel, updates: UpdateReadModel) {
  return {
    async projectCell(view: CellView, revision: number): Promise<void> {
      await cells.write(view, revision);
    },
    async projectUpdate(progress: UpdateProgress, revision: number): Promise<void> {
      await updates.write(progress, revision);
    },
  };
}

export type ReadModelActivities = ReturnType<typeof createReadModelActivities>;

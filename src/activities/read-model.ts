import type { CellReadModel } from '../adapters/db/cell-read-model';
import type { CellView } from '../domain/cell';

/** Writes to the read model the API's lists serve from; each is idempotent and ordered by its revision. */
export function createReadModelActivities(cells: CellReadModel) {
  return {
    async projectCell(view: CellView, revision: number): Promise<void> {
      await cells.write(view, revision);
    },
  };
}

export type ReadModelActivities = ReturnType<typeof createReadModelActivities>;

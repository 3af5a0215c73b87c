import { sql } from 'kysely';
import type { UpdateProgress } from '../../domain/update';
import type { Db } from './database';

/** The read model of updates: each update's progress as its workflow last wrote it, ordered by revision. */
export class UpdateReadModel {
  constructor(private readonly db: Db) {}

  async write(progress: UpdateProgress, revision: number): Promise<void> {
    const row = { cell_id: progress.cellId, status: progress.status, view: JSON.stringify(progress), revision, updated_at: new Date().toISOString() };
    await this.db
      .insertInto('updates')
      .values({ id: progress.id, ...row })
      .onConflict((c) => c.column('id').doUpdateSet(row).where('updates.revision', '<', String(revision)))
      .execute();
  }

  /** The update's progress, and whether its workflow wrote it (revision 1 on) or only a rebuild did (0). */
  async get(id: string): Promise<{ view: UpdateProgress; fromWorkflow: boolean } | undefined> {
    const row = await this.db.selectFrom('updates').select(['view', 'revision']).where('id', '=', id).executeTakeFirst();
    return row && { view: row.view, fromWorkflow: Number(row.revision) > 0 };
  }

  /** The updates to `version` that wait: for a maintenance window yet to open, or for an approval. */
  async waitingFor(version: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('updates')
      .select('id')
      .where(sql<boolean>`(status = 'waiting-approval' or (status = 'scheduled' and (view->'window'->>'startsAt')::timestamptz > now()))`)
      .where(sql<string>`view->>'toVersion'`, '=', version)
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  }
}

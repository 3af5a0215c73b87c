import type { CellView } from '../../domain/cell';
import type { Db } from './database';

export interface CellRow {
  id: string;
  ring: string;
  state: string;
  version: string | null;
  desiredVersion: string | null;
  sla: string;
  connection: string;
  currentUpdate: string | null;
}

export interface CellFilter {
  ring?: string;
  state?: string;
  version?: string;
  sla?: string;
  connection?: string;
}

/**
 * The read model of cells: each cell's view as its controller last wrote it, with the columns
 * lists filter on. Writes carry the controller's revision, so a late or repeated write never
 * replaces a newer one (idempotent, in order). Temporal stays the source of truth: `rebuild`
 * (scripts/rebuild-read-model.ts) writes it again from the controllers.
 */
export class CellReadModel {
  constructor(private readonly db: Db) {}

  async write(view: CellView, revision: number): Promise<void> {
    const row = {
      ring: view.spec.ring,
      state: view.state,
      version: view.version ?? null,
      desired_version: view.desiredVersion ?? null,
      sla: view.sla ?? 'in-sla',
      connection: view.spec.connection ?? 'direct',
      current_update: view.currentUpdate?.id ?? null,
      view: JSON.stringify(view),
      revision,
      updated_at: new Date().toISOString(),
    };
    await this.db
      .insertInto('cells')
      .values({ id: view.spec.id, ...row })
      .onConflict((c) => c.column('id').doUpdateSet(row).where('cells.revision', '<', String(revision)))
      .execute();
  }

  /** The cell's view, and whether its controller wrote it (revision 1 on) or only the API or a rebuild did (0). */
  async get(id: string): Promise<{ view: CellView; fromWorkflow: boolean } | undefined> {
    const row = await this.db.selectFrom('cells').select(['view', 'revision']).where('id', '=', id).executeTakeFirst();
    return row && { view: row.view, fromWorkflow: Number(row.revision) > 0 };
  }

  /** One page of cells in id order, after `after`; one more row than asked tells whether a next page exists. */
  async list(filter: CellFilter, pageSize: number, after?: string): Promise<{ cells: CellRow[]; more: boolean }> {
    let query = this.db
      .selectFrom('cells')
      .select(['id', 'ring', 'state', 'version', 'desired_version', 'sla', 'connection', 'current_update'])
      .orderBy('id')
      .limit(pageSize + 1);
    if (after !== undefined) query = query.where('id', '>', after);
    if (filter.ring) query = query.where('ring', '=', filter.ring);
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.version) query = query.where('version', '=', filter.version);
    if (filter.sla) query = query.where('sla', '=', filter.sla);
    if (filter.connection) query = query.where('connection', '=', filter.connection);
    const rows = await query.execute();
    const cells = rows.slice(0, pageSize).map((r) => ({
      id: r.id,
      ring: r.ring,
      state: r.state,
      version: r.version,
      desiredVersion: r.desired_version,
      sla: r.sla,
      connection: r.connection,
      currentUpdate: r.current_update,
    }));
    return { cells, more: rows.length > pageSize };
  }
}

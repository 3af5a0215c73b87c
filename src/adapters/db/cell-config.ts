// Each cell's configuration values (src/domain/config.ts): a new revision for every change, the
// change itself recorded item by item (who, when, old and new). An update names a revision; where
// its release is rendered, the values of that revision are read here (on an agent cell, through the
// agent endpoint, which reads them here for the cell its certificate names).
import { sql } from 'kysely';
import type { ConfigValue, ConfigValues } from '../../domain/config';
import type { Db } from './database';

/** A cell's values at one revision (revision 0: none set yet). */
export interface ConfigRevision {
  revision: number;
  values: ConfigValues;
  setBy?: string;
  setAt?: string;
}

/** One item's change, as the change log lists it. */
export interface ConfigChange {
  revision: number;
  item: string;
  old?: ConfigValue;
  new?: ConfigValue;
  by: string;
  at: string;
}

/** What a set did: the revision the cell is at now, and the items it changed (none: nothing new). */
export interface ConfigSetOutcome {
  revision: number;
  changed: ConfigChange[];
  before: ConfigValues;
  after: ConfigValues;
}

export class CellConfigStore {
  constructor(private readonly db: Db) {}

  /** The cell's newest values. */
  async current(cellId: string): Promise<ConfigRevision> {
    const row = await this.db.selectFrom('cell_config_revisions').selectAll().where('cell_id', '=', cellId).orderBy('revision', 'desc').limit(1).executeTakeFirst();
    return row ? { revision: row.revision, values: row.values, setBy: row.set_by, setAt: row.set_at.toISOString() } : { revision: 0, values: {} };
  }

  /** The cell's values at `revision`; undefined when it never had that revision. */
  async at(cellId: string, revision: number): Promise<ConfigValues | undefined> {
    if (revision === 0) return {};
    const row = await this.db.selectFrom('cell_config_revisions').select('values').where('cell_id', '=', cellId).where('revision', '=', revision).executeTakeFirst();
    return row?.values;
  }

  /**
   * Sets the items `changes` names (null unsets one) as a new revision, recording each change; an
   * item set to what it is already changes nothing, and a set that changes nothing makes no revision.
   * Two sets at once each get their own revision, the later one over the earlier.
   */
  async set(cellId: string, changes: Record<string, ConfigValue | null>, by: string): Promise<ConfigSetOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (tx) => {
          const store = new CellConfigStore(tx as unknown as Db);
          const current = await store.current(cellId);
          const after: ConfigValues = { ...current.values };
          const at = new Date().toISOString();
          const changed: ConfigChange[] = [];
          for (const [item, value] of Object.entries(changes)) {
            const old = current.values[item];
            if (JSON.stringify(old) === JSON.stringify(value ?? undefined)) continue;
            if (value === null) delete after[item];
            else after[item] = value;
            changed.push({ revision: 0, item, ...(old !== undefined ? { old } : {}), ...(value !== null ? { new: value } : {}), by, at });
          }
          if (changed.length === 0) return { revision: current.revision, changed, before: current.values, after };
          const revision = (await store.lastRevision(cellId)) + 1;
          await tx.insertInto('cell_config_revisions').values({ cell_id: cellId, revision, values: JSON.stringify(after), set_by: by, set_at: at }).execute();
          await tx
            .insertInto('cell_config_changes')
            .values(changed.map((c) => ({ cell_id: cellId, revision, item: c.item, old_value: c.old === undefined ? null : JSON.stringify(c.old), new_value: c.new === undefined ? null : JSON.stringify(c.new), changed_by: by, changed_at: at })))
            .execute();
          return { revision, changed: changed.map((c) => ({ ...c, revision })), before: current.values, after };
        });
      } catch (err) {
        // Another set took this revision number first: read again and go on after it.
        if ((err as { code?: string }).code === '23505' && attempt < 5) continue;
        throw err;
      }
    }
  }

  /** The cell's changes, newest first. */
  async changes(cellId: string, limit = 500): Promise<ConfigChange[]> {
    const rows = await this.db.selectFrom('cell_config_changes').selectAll().where('cell_id', '=', cellId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      revision: r.revision,
      item: r.item,
      ...(r.old_value !== null ? { old: r.old_value } : {}),
      ...(r.new_value !== null ? { new: r.new_value } : {}),
      by: r.changed_by,
      at: r.changed_at.toISOString(),
    }));
  }

  /** A removed cell's values go; its change log stays (and a cell registered again under its id goes on after its revisions). */
  async removeValues(cellId: string): Promise<void> {
    await this.db.deleteFrom('cell_config_revisions').where('cell_id', '=', cellId).execute();
  }

  /** The highest revision the cell ever had, its change log included. */
  private async lastRevision(cellId: string): Promise<number> {
    const { rows } = await sql<{ last: number | null }>`select greatest((select max(revision) from cell_config_revisions where cell_id = ${cellId}), (select max(revision) from cell_config_changes where cell_id = ${cellId})) as last`.execute(this.db);
    return Number(rows[0]?.last ?? 0);
  }
}

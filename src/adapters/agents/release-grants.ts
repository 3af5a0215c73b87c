import { sql } from 'kysely';
import type { CatalogRelease } from '../../domain/release';
import type { Db } from '../db/database';
import { SqlReleaseCatalog } from '../catalog/sql-catalog';

/**
 * The releases a cell's agent may read through the agent endpoint: those its cell's tasks named
 * (by digest) when the endpoint handed them out, recorded then, so any replica serves them. A task
 * is the only way a cell learns of a release: nothing else of the catalog reaches a cell.
 */
export class ReleaseGrants {
  private readonly catalog: SqlReleaseCatalog;

  constructor(private readonly db: Db) {
    this.catalog = new SqlReleaseCatalog(db);
  }

  async grant(cellId: string, digests: string[]): Promise<void> {
    if (digests.length === 0) return;
    const at = new Date().toISOString();
    await this.db
      .insertInto('agent_release_grants')
      .values(digests.map((digest) => ({ cell_id: cellId, digest, granted_at: at })))
      .onConflict((c) => c.columns(['cell_id', 'digest']).doUpdateSet({ granted_at: at }))
      .execute();
  }

  /** The release with this version and digest, if a task of the cell named it. */
  async release(cellId: string, version: string, digest: string): Promise<CatalogRelease | undefined> {
    const granted = await this.db.selectFrom('agent_release_grants').select('digest').where('cell_id', '=', cellId).where('digest', '=', digest).executeTakeFirst();
    if (!granted) return undefined;
    const release = await this.catalog.get(version);
    return release?.digest === digest ? release : undefined;
  }

  /** The manifests with this digest, if they belong to a release a task of the cell named. */
  async content(cellId: string, contentDigest: string): Promise<string | undefined> {
    const granted = await this.db
      .selectFrom('agent_release_grants as g')
      .innerJoin('releases as r', 'r.digest', 'g.digest')
      .select('g.digest')
      .where('g.cell_id', '=', cellId)
      .where(sql<boolean>`r.manifest->>'contentDigest' = ${contentDigest}`)
      .executeTakeFirst();
    return granted ? this.catalog.content(contentDigest) : undefined;
  }
}

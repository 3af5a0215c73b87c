import { isDeepStrictEqual } from 'node:util';
import { promotionProblem } from '../../domain/channels';
import { ErrorType, PortError } from '../../domain/errors';
import type { ReleaseCatalog } from '../../domain/ports';
import { sortReleases, type CatalogRelease, type Release, type ReleaseSource, type ReleaseVeto, type Ring } from '../../domain/release';
import type { Db } from '../db/database';

interface Row {
  manifest: Release;
  source: ReleaseSource;
  rings: Ring[];
  published_at: Date;
  veto: ReleaseVeto | null;
}

const COLUMNS = ['manifest', 'source', 'rings', 'published_at', 'veto'] as const;

/**
 * Release manifests in the database, one row per version. The manifest is immutable once
 * published; the rings it was promoted to grow, in order (a promotion locks its row).
 */
export class SqlReleaseCatalog implements ReleaseCatalog {
  constructor(private readonly db: Db) {}

  async list(): Promise<CatalogRelease[]> {
    const rows = await this.db.selectFrom('releases').select(COLUMNS).orderBy('seq').execute();
    return sortReleases(rows.map(view));
  }

  async get(version: string): Promise<CatalogRelease | undefined> {
    const row = await this.db.selectFrom('releases').select(COLUMNS).where('version', '=', version).executeTakeFirst();
    return row && view(row);
  }

  async publish(release: Release, options: { source?: ReleaseSource; rings?: Ring[] } = {}): Promise<'created' | 'unchanged'> {
    const manifest = JSON.stringify(release);
    const inserted = await this.db
      .insertInto('releases')
      .values({ version: release.version, manifest, source: options.source ?? 'registry', rings: JSON.stringify(options.rings ?? []), published_at: new Date().toISOString() })
      .onConflict((c) => c.column('version').doNothing())
      .returning('version')
      .executeTakeFirst();
    if (inserted) return 'created';
    const existing = await this.db.selectFrom('releases').select('manifest').where('version', '=', release.version).executeTakeFirst();
    if (existing && isDeepStrictEqual(existing.manifest, JSON.parse(manifest))) return 'unchanged';
    throw new PortError(ErrorType.ReleaseImmutable, `release ${release.version} is already published with a different manifest`, true);
  }

  /** Vetoes a release once: the first veto stands (returned); undefined when there is no such release. */
  async veto(version: string, veto: ReleaseVeto): Promise<ReleaseVeto | undefined> {
    const set = await this.db.updateTable('releases').set({ veto: JSON.stringify(veto) }).where('version', '=', version).where('veto', 'is', null).returning('veto').executeTakeFirst();
    if (set?.veto) return set.veto;
    return (await this.db.selectFrom('releases').select('veto').where('version', '=', version).executeTakeFirst())?.veto ?? undefined;
  }

  promote(version: string, ring: Ring): Promise<Ring[]> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('releases').select('rings').where('version', '=', version).forUpdate().executeTakeFirst();
      if (!row) throw new PortError(ErrorType.ReleaseNotFound, `release ${version} is not in the catalog`, true);
      const problem = promotionProblem(row.rings, ring);
      if (problem) throw new PortError(ErrorType.PromotionOrder, `release ${version}: ${problem}`, true);
      if (row.rings.includes(ring)) return row.rings;
      const rings = [...row.rings, ring];
      await tx.updateTable('releases').set({ rings: JSON.stringify(rings) }).where('version', '=', version).execute();
      return rings;
    });
  }
}

function view(row: Row): CatalogRelease {
  return { ...row.manifest, source: row.source, rings: [...row.rings], publishedAt: row.published_at.toISOString(), ...(row.veto ? { veto: row.veto } : {}) };
}

import { sql } from 'kysely';
import { promotionProblem } from '../../domain/channels';
import { ErrorType, PortError } from '../../domain/errors';
import type { ReleaseCatalog } from '../../domain/ports';
import { sortReleases, type CatalogRelease, type Release, type ReleaseSource, type ReleaseEmergency, type ReleaseVeto, type Ring } from '../../domain/release';
import type { Db } from '../db/database';
import { splitRelease } from '../../crypto/release-digest';
import type { ReleaseDocument, ReleaseObject } from '../../domain/release';
import type { ReleaseSignature } from '../../crypto/release-signature';

interface Row {
  manifest: ReleaseDocument;
  digest: string;
  source: ReleaseSource;
  rings: Ring[];
  published_at: Date;
  veto: ReleaseVeto | null;
  emergency: ReleaseEmergency | null;
  signature: ReleaseSignature | null;
  bytes: number | null;
  objects: ReleaseObject[] | null;
}

/**
 * Releases in the database, one row per version: its document (immutable once published) and
 * digest, the rings it was promoted to (they grow, in order; a promotion locks its row). Its
 * manifests are stored once, apart, by their digest (`content`), and read only where applied.
 */
export class SqlReleaseCatalog implements ReleaseCatalog {
  constructor(private readonly db: Db) {}

  private select() {
    return this.db
      .selectFrom('releases as r')
      .leftJoin('release_contents as c', (join) => join.on(sql<boolean>`c.digest = r.manifest->>'contentDigest'`))
      .select(['r.manifest', 'r.digest', 'r.source', 'r.rings', 'r.published_at', 'r.veto', 'r.emergency', 'r.signature', 'c.bytes', 'c.objects']);
  }

  async list(): Promise<CatalogRelease[]> {
    const rows = await this.select().orderBy('r.seq').execute();
    return sortReleases(rows.map(view));
  }

  async get(version: string): Promise<CatalogRelease | undefined> {
    const row = await this.select().where('r.version', '=', version).executeTakeFirst();
    return row && view(row);
  }

  /** A release's manifests as stored (their canonical JSON), by their digest: whoever reads them checks it. */
  async content(digest: string): Promise<string | undefined> {
    return (await this.db.selectFrom('release_contents').select('content').where('digest', '=', digest).executeTakeFirst())?.content;
  }

  async publish(release: Release, options: { source?: ReleaseSource; rings?: Ring[]; signature?: ReleaseSignature } = {}): Promise<'created' | 'unchanged'> {
    const split = splitRelease(release);
    if (split.content) {
      const { digest, text, objects } = split.content;
      await this.db.insertInto('release_contents').values({ digest, content: text, bytes: Buffer.byteLength(text), objects: JSON.stringify(objects) }).onConflict((c) => c.column('digest').doNothing()).execute();
    }
    const inserted = await this.db
      .insertInto('releases')
      .values({ version: release.version, manifest: JSON.stringify(split.document), digest: split.digest, signature: options.signature ? JSON.stringify(options.signature) : null, source: options.source ?? 'registry', rings: JSON.stringify(options.rings ?? []), published_at: new Date().toISOString() })
      .onConflict((c) => c.column('version').doNothing())
      .returning('version')
      .executeTakeFirst();
    if (inserted) return 'created';
    const existing = await this.db.selectFrom('releases').select('digest').where('version', '=', release.version).executeTakeFirst();
    if (existing?.digest === split.digest) {
      // The same release, now signed: the signature is added (one never replaces another).
      if (options.signature) await this.db.updateTable('releases').set({ signature: JSON.stringify(options.signature) } as never).where('version', '=', release.version).where('signature', 'is', null).execute();
      return 'unchanged';
    }
    throw new PortError(ErrorType.ReleaseImmutable, `release ${release.version} is already published with different content (${existing?.digest}, not ${split.digest})`, true);
  }

  /** Vetoes a release once: the first veto stands (returned); undefined when there is no such release. */
  async veto(version: string, veto: ReleaseVeto): Promise<ReleaseVeto | undefined> {
    const set = await this.db.updateTable('releases').set({ veto: JSON.stringify(veto) }).where('version', '=', version).where('veto', 'is', null).returning('veto').executeTakeFirst();
    if (set?.veto) return set.veto;
    return (await this.db.selectFrom('releases').select('veto').where('version', '=', version).executeTakeFirst())?.veto ?? undefined;
  }

  /** Marks a release an emergency once: the first mark stands (returned); undefined when there is no such release. */
  async markEmergency(version: string, emergency: ReleaseEmergency): Promise<ReleaseEmergency | undefined> {
    const set = await this.db.updateTable('releases').set({ emergency: JSON.stringify(emergency) }).where('version', '=', version).where('emergency', 'is', null).returning('emergency').executeTakeFirst();
    if (set?.emergency) return set.emergency;
    return (await this.db.selectFrom('releases').select('emergency').where('version', '=', version).executeTakeFirst())?.emergency ?? undefined;
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
  const contentDigest = row.manifest.contentDigest;
  return {
    ...row.manifest,
    digest: row.digest,
    ...(contentDigest && row.bytes !== null ? { content: { digest: contentDigest, bytes: row.bytes, objects: row.objects ?? [] } } : {}),
    source: row.source,
    rings: [...row.rings],
    publishedAt: row.published_at.toISOString(),
    ...(row.veto ? { veto: row.veto } : {}),
    ...(row.emergency ? { emergency: row.emergency } : {}),
    ...(row.signature ? { signature: row.signature } : {}),
  };
}

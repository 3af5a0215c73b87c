import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { promotionProblem } from '../../domain/channels';
import { ErrorType, PortError } from '../../domain/errors';
import type { ReleaseCatalog } from '../../domain/ports';
import { sortReleases, type CatalogRelease, type Release, type ReleaseSource, type Ring } from '../../domain/release';
import { JsonStore } from '../json-store';

interface Entry {
  manifest: Release;
  source: ReleaseSource;
  rings: Ring[];
  publishedAt: string;
}

/**
 * Release manifests as JSON files under `<dataDir>/releases`, one per version. The manifest is
 * immutable once published; the rings it was promoted to grow, in order.
 */
export class FileReleaseCatalog implements ReleaseCatalog {
  private readonly store: JsonStore<Entry>;

  constructor(dataDir: string) {
    this.store = new JsonStore<Entry>(join(dataDir, 'releases'));
  }

  /** Every release, oldest first; the files are read again only after the catalog changed. */
  async list(): Promise<CatalogRelease[]> {
    return sortReleases([...(await this.store.all()).values()].map(view));
  }

  async get(version: string): Promise<CatalogRelease | undefined> {
    const entry = await this.store.get(version);
    return entry && view(entry);
  }

  publish(release: Release, options: { source?: ReleaseSource; rings?: Ring[] } = {}): Promise<'created' | 'unchanged'> {
    const manifest = JSON.parse(JSON.stringify(release)) as Release; // as it will read back from disk
    return this.store.update(release.version, (existing) => {
      if (!existing) {
        const entry: Entry = { manifest, source: options.source ?? 'registry', rings: options.rings ?? [], publishedAt: new Date().toISOString() };
        return { value: entry, result: 'created' as const };
      }
      if (isDeepStrictEqual(existing.manifest, manifest)) return { result: 'unchanged' as const };
      throw new PortError(ErrorType.ReleaseImmutable, `release ${release.version} is already published with a different manifest`, true);
    });
  }

  promote(version: string, ring: Ring): Promise<Ring[]> {
    return this.store.update(version, (existing) => {
      if (!existing) throw new PortError(ErrorType.ReleaseNotFound, `release ${version} is not in the catalog`, true);
      const problem = promotionProblem(existing.rings, ring);
      if (problem) throw new PortError(ErrorType.PromotionOrder, `release ${version}: ${problem}`, true);
      if (existing.rings.includes(ring)) return { result: existing.rings };
      const rings = [...existing.rings, ring];
      return { value: { ...existing, rings }, result: rings };
    });
  }
}

function view(entry: Entry): CatalogRelease {
  return { ...entry.manifest, source: entry.source, rings: [...entry.rings], publishedAt: entry.publishedAt };
}

import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { PortError } from '../../domain/errors';
import type { ReleaseCatalog } from '../../domain/ports';
import { sortReleases, type Release } from '../../domain/release';
import { JsonStore } from '../json-store';

/** Release manifests as JSON files under `<dataDir>/releases`, one per version, immutable once published. */
export class FileReleaseCatalog implements ReleaseCatalog {
  private readonly store: JsonStore<Release>;

  constructor(dataDir: string) {
    this.store = new JsonStore<Release>(join(dataDir, 'releases'));
  }

  async list(): Promise<Release[]> {
    const keys = await this.store.keys();
    const releases = await Promise.all(keys.map((k) => this.store.get(k)));
    return sortReleases(releases.filter((r): r is Release => r !== undefined));
  }

  get(version: string): Promise<Release | undefined> {
    return this.store.get(version);
  }

  publish(release: Release): Promise<'created' | 'unchanged'> {
    const manifest = JSON.parse(JSON.stringify(release)) as Release; // as it will read back from disk
    return this.store.update(release.version, (existing) => {
      if (!existing) return { value: manifest, result: 'created' as const };
      if (isDeepStrictEqual(existing, manifest)) return { result: 'unchanged' as const };
      throw new PortError('ReleaseImmutable', `release ${release.version} is already published with a different manifest`, true);
    });
  }
}

import type { ReleaseBundleSpec } from '../../domain/support-bundle/spec';
import type { ReleaseCatalog } from '../../domain/ports';
import type { CatalogRelease, ReleaseVeto } from '../../domain/release';

export function createCatalogActivities(catalog: ReleaseCatalog) {
  return {
    /** The whole catalog, oldest first: a controller plans upgrade paths from it. */
    listReleases(): Promise<CatalogRelease[]> {
      return catalog.list();
    },
    /** The veto of a release, if it has one: an update asks once its wait ends, before its first step. */
    async releaseVeto(version: string): Promise<ReleaseVeto | null> {
      return (await catalog.get(version))?.veto ?? null;
    },
    /** What the release adds to cellshift's support-bundle collection, if it was published with anything. */
    async releaseBundleSpec(version: string): Promise<ReleaseBundleSpec | null> {
      return (await catalog.get(version))?.supportBundle ?? null;
    },
  };
}

export type CatalogActivities = ReturnType<typeof createCatalogActivities>;

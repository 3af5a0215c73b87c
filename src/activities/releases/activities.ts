import type { ReleaseCatalog } from '../../domain/ports';
import type { CatalogRelease } from '../../domain/release';

export function createCatalogActivities(catalog: ReleaseCatalog) {
  return {
    /** The whole catalog, oldest first: a controller plans upgrade paths from it. */
    listReleases(): Promise<CatalogRelease[]> {
      return catalog.list();
    },
  };
}

export type CatalogActivities = ReturnType<typeof createCatalogActivities>;

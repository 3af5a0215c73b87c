import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../domain/errors';
import type { ReleaseCatalog } from '../domain/ports';
import type { CatalogRelease } from '../domain/release';

export function createCatalogActivities(catalog: ReleaseCatalog) {
  return {
    async getRelease(version: string): Promise<CatalogRelease> {
      const release = await catalog.get(version);
      if (!release) throw ApplicationFailure.nonRetryable(`release ${version} is not in the catalog`, ErrorType.ReleaseNotFound);
      return release;
    },
    listReleases(): Promise<CatalogRelease[]> {
      return catalog.list();
    },
  };
}

export type CatalogActivities = ReturnType<typeof createCatalogActivities>;

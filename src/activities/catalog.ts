import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../domain/errors';
import type { ReleaseCatalog } from '../domain/ports';
import type { Release } from '../domain/release';

export function createCatalogActivities(catalog: ReleaseCatalog) {
  return {
    async getRelease(version: string): Promise<Release> {
      const release = await catalog.get(version);
      if (!release) throw ApplicationFailure.nonRetryable(`release ${version} is not in the catalog`, ErrorType.ReleaseNotFound);
      return release;
    },
    listReleases(): Promise<Release[]> {
      return catalog.list();
    },
  };
}

export type CatalogActivities = ReturnType<typeof createCatalogActivities>;

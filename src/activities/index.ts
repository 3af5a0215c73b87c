import type { ReleaseCatalog } from '../domain/ports';
import { createCatalogActivities } from './catalog';
import { createClusterActivities, type ClusterResolver } from './cluster';

export function createActivities(deps: { resolveCluster: ClusterResolver; catalog: ReleaseCatalog }) {
  return {
    ...createClusterActivities(deps.resolveCluster, deps.catalog),
    ...createCatalogActivities(deps.catalog),
  };
}

export type Activities = ReturnType<typeof createActivities>;

import type { Client } from '@temporalio/client';
import type { ReleaseCatalog } from '../domain/ports';
import { createCatalogActivities } from './catalog';
import { createCellActivities } from './cells';
import { createClusterActivities, type ClusterResolver } from './cluster';

export function createActivities(deps: { resolveCluster: ClusterResolver; catalog: ReleaseCatalog; client: Client }) {
  return {
    ...createClusterActivities(deps.resolveCluster, deps.catalog),
    ...createCatalogActivities(deps.catalog),
    ...createCellActivities(deps.client),
  };
}

export type Activities = ReturnType<typeof createActivities>;

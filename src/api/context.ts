import type { Client } from '@temporalio/client';
import type { SimulatedCluster } from '../adapters/simulated/cluster';
import type { ReleaseCatalog } from '../domain/ports';

/** What routes reach: Temporal, the release catalog, and the simulated clusters' control knobs. */
export interface ApiContext {
  temporal: Client;
  taskQueue: string;
  catalog: ReleaseCatalog;
  simulated: SimulatedCluster;
}

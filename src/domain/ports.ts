// The ports activities call. Each has a real adapter and a simulated one (src/adapters).
import type { ClusterRef } from './cell';
import type { HealthReport } from './health';
import type { CatalogRelease, Release, ReleaseSource, Ring } from './release';

/** Which cell, and the reference its adapter resolves to a connection. */
export interface ClusterTarget {
  cellId: string;
  cluster: ClusterRef;
}

/** What a long step may tell its caller while it runs, and how it learns it must stop. */
export interface StepContext {
  heartbeat(details?: unknown): void;
  /** details of the last heartbeat of a previous attempt, to resume where it stopped */
  resumeFrom?: unknown;
  signal: AbortSignal;
  /** stops the automatic liveness heartbeats: for simulating a stuck call */
  suspendHeartbeats?(): void;
}

export interface ClusterPort {
  /** Connects a cell for the first time; returns the version it runs, if any. Idempotent. */
  register(target: ClusterTarget, ctx: StepContext, initial?: Release): Promise<{ version?: string }>;
  /** Throws PreflightFailed when the cluster cannot take this release now. */
  preflight(target: ClusterTarget, release: Release, ctx: StepContext): Promise<void>;
  setMaintenance(target: ClusterTarget, enabled: boolean, ctx: StepContext): Promise<void>;
  pullImages(target: ClusterTarget, images: string[], ctx: StepContext): Promise<void>;
  /**
   * Applies the release (or only `components` of it), recording what it replaced under `key`.
   * Applying again under the same key is a no-op.
   */
  apply(target: ClusterTarget, release: Release, key: string, ctx: StepContext, components?: string[]): Promise<void>;
  /** Restores what `apply` recorded under `key`; a no-op when nothing was applied under it. */
  rollback(target: ClusterTarget, key: string, ctx: StepContext): Promise<void>;
  /** One health check: error rate, ready replicas, what is unhealthy. */
  checkHealth(target: ClusterTarget, ctx: StepContext): Promise<HealthReport>;
  /** Waits for the rollout of the release to be complete and healthy. */
  verify(target: ClusterTarget, release: Release, ctx: StepContext): Promise<void>;
  /** The version the cluster actually runs, read from the cluster itself. */
  actualVersion(target: ClusterTarget, ctx: StepContext): Promise<string | undefined>;
}

export interface ReleaseCatalog {
  /** every release, oldest first, with its source and the rings it was promoted to */
  list(): Promise<CatalogRelease[]>;
  get(version: string): Promise<CatalogRelease | undefined>;
  /** Stores a release; publishing the same manifest twice is a no-op, a different one is refused. */
  publish(release: Release, options?: { source?: ReleaseSource; rings?: Ring[] }): Promise<'created' | 'unchanged'>;
  /** Makes a release visible to a ring, after the ring before it; returns the rings it is now visible to. */
  promote(version: string, ring: Ring): Promise<Ring[]>;
}

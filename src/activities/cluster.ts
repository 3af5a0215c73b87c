import { ApplicationFailure } from '@temporalio/activity';
import type { ClusterRef } from '../domain/cell';
import { ErrorType } from '../domain/errors';
import type { ClusterPort, ClusterTarget, ReleaseCatalog } from '../domain/ports';
import type { Release } from '../domain/release';
import { runStep } from './step-context';

/** Picks the adapter for a cell's cluster reference. */
export type ClusterResolver = (ref: ClusterRef) => ClusterPort;

/** One thin activity per cluster side effect; the adapters behind them are injected by the worker. */
export function createClusterActivities(resolve: ClusterResolver, catalog: ReleaseCatalog) {
  const port = (target: ClusterTarget) => resolve(target.cluster);
  return {
    async registerCluster(target: ClusterTarget, initialVersion?: string) {
      let initial: Release | undefined;
      if (initialVersion) {
        initial = await catalog.get(initialVersion);
        if (!initial) {
          throw ApplicationFailure.nonRetryable(`initial version ${initialVersion} is not in the catalog`, ErrorType.ReleaseNotFound);
        }
      }
      return runStep((ctx) => port(target).register(target, ctx, initial));
    },
    preflightCluster(target: ClusterTarget, release: Release) {
      return runStep((ctx) => port(target).preflight(target, release, ctx));
    },
    setMaintenance(target: ClusterTarget, enabled: boolean) {
      return runStep((ctx) => port(target).setMaintenance(target, enabled, ctx));
    },
    pullImages(target: ClusterTarget, images: string[]) {
      return runStep((ctx) => port(target).pullImages(target, images, ctx));
    },
    applyRelease(target: ClusterTarget, release: Release, key: string, components?: string[]) {
      return runStep((ctx) => port(target).apply(target, release, key, ctx, components));
    },
    rollbackRelease(target: ClusterTarget, key: string) {
      return runStep((ctx) => port(target).rollback(target, key, ctx));
    },
    checkHealth(target: ClusterTarget) {
      return runStep(async (ctx) => ({ report: await port(target).checkHealth(target, ctx) }));
    },
    verifyRollout(target: ClusterTarget, release: Release) {
      return runStep((ctx) => port(target).verify(target, release, ctx));
    },
    readActualVersion(target: ClusterTarget) {
      return runStep(async (ctx) => ({ version: await port(target).actualVersion(target, ctx) }));
    },
  };
}

export type ClusterActivities = ReturnType<typeof createClusterActivities>;

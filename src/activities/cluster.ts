import { ApplicationFailure } from '@temporalio/activity';
import type { ClusterRef } from '../domain/cell';
import { ErrorType, PortError } from '../domain/errors';
import { breakingRefusal, plannedFromRefusal } from '../domain/preflight';
import type { ClusterPort, ClusterTarget, ReleaseCatalog, StepContext } from '../domain/ports';
import { pathToFileURL } from 'node:url';
import type { BundleStore } from '../adapters/bundles/bundle-store';
import { releaseImages, type CatalogRelease, type Release } from '../domain/release';
import { inStep, runStep } from './step-context';

/** Picks the adapter for a cell's cluster reference, loading it on its first use. */
export type ClusterResolver = (ref: ClusterRef) => Promise<ClusterPort>;

/** One thin activity per cluster side effect; the adapters behind them are injected by the worker. */
export function createClusterActivities(resolve: ClusterResolver, catalog: ReleaseCatalog, bundles: BundleStore) {
  /** Where a pull takes each image from: the registry, or for a bundled release its archive in the bundle store. */
  async function imageSources(release: Release | CatalogRelease): Promise<string[]> {
    if (!('source' in release) || release.source !== 'bundle') return releaseImages(release);
    const sources = await Promise.all(
      Object.entries(release.components).map(async ([component, ref]) =>
        (await bundles.hasImage(release.version, component)) ? pathToFileURL(bundles.imagePath(release.version, component)).href : ref,
      ),
    );
    return [...new Set(sources)].sort();
  }

  /**
   * An update's preflight: the release is in the catalog (and not breaking, when the strategy
   * cannot take that), the cell still runs the version the update was planned from, and the
   * cluster can take the release.
   */
  async function checkPreflight(port: ClusterPort, target: ClusterTarget, toVersion: string, fromVersion: string | undefined, refuseBreaking: boolean, ctx: StepContext) {
    const release = await catalog.get(toVersion);
    if (!release) throw new PortError(ErrorType.ReleaseNotFound, `release ${toVersion} is not in the catalog`, true);
    const breaking = breakingRefusal(release, refuseBreaking);
    if (breaking) throw new PortError(ErrorType.PreflightFailed, breaking, true);
    const moved = plannedFromRefusal(await port.actualVersion(target, ctx), fromVersion);
    if (moved) throw new PortError(ErrorType.PreflightFailed, moved, true);
    await port.preflight(target, release, ctx);
    return release;
  }

  /** One step against the cell's cluster, inside the current activity. */
  const onCluster = <T>(target: ClusterTarget, call: (port: ClusterPort, ctx: StepContext) => Promise<T>) =>
    runStep(async (ctx) => call(await resolve(target.cluster), ctx));
  return {
    async registerCluster(target: ClusterTarget, initialVersion?: string) {
      let initial: Release | undefined;
      if (initialVersion) {
        initial = await catalog.get(initialVersion);
        if (!initial) {
          throw ApplicationFailure.nonRetryable(`initial version ${initialVersion} is not in the catalog`, ErrorType.ReleaseNotFound);
        }
      }
      return onCluster(target, (port, ctx) => port.register(target, ctx, initial));
    },
    /** An update's preflight (checkPreflight) in one call. */
    preflightUpdate(target: ClusterTarget, toVersion: string, fromVersion: string | undefined, refuseBreaking: boolean) {
      return onCluster(target, async (port, ctx) => ({ release: await checkPreflight(port, target, toVersion, fromVersion, refuseBreaking, ctx) }));
    },
    /** Preflight, then maintenance mode on: two steps in one call (a failure names its step). */
    preflightAndEnterMaintenance(target: ClusterTarget, toVersion: string, fromVersion: string | undefined, refuseBreaking: boolean) {
      return onCluster(target, async (port, ctx) => {
        const release = await inStep('preflight', () => checkPreflight(port, target, toVersion, fromVersion, refuseBreaking, ctx));
        const secondStartedAt = new Date().toISOString();
        await inStep('maintenanceOn', () => port.setMaintenance(target, true, ctx));
        return { release, secondStartedAt };
      });
    },
    preflightCluster(target: ClusterTarget, release: Release) {
      return onCluster(target, (port, ctx) => port.preflight(target, release, ctx));
    },
    setMaintenance(target: ClusterTarget, enabled: boolean) {
      return onCluster(target, (port, ctx) => port.setMaintenance(target, enabled, ctx));
    },
    async pullImages(target: ClusterTarget, release: Release) {
      const images = await imageSources(release);
      return onCluster(target, (port, ctx) => port.pullImages(target, images, ctx));
    },
    applyRelease(target: ClusterTarget, release: Release, key: string, components?: string[]) {
      return onCluster(target, (port, ctx) => port.apply(target, release, key, ctx, components));
    },
    rollbackRelease(target: ClusterTarget, key: string) {
      return onCluster(target, (port, ctx) => port.rollback(target, key, ctx));
    },
    checkHealth(target: ClusterTarget) {
      return onCluster(target, async (port, ctx) => ({ report: await port.checkHealth(target, ctx) }));
    },
    verifyRollout(target: ClusterTarget, release: Release) {
      return onCluster(target, (port, ctx) => port.verify(target, release, ctx));
    },
    /** Verify, then maintenance mode off: two steps in one call (a failure names its step). */
    verifyAndLeaveMaintenance(target: ClusterTarget, release: Release) {
      return onCluster(target, async (port, ctx) => {
        await inStep('verify', () => port.verify(target, release, ctx));
        const secondStartedAt = new Date().toISOString();
        await inStep('maintenanceOff', () => port.setMaintenance(target, false, ctx));
        return { secondStartedAt };
      });
    },
    readActualVersion(target: ClusterTarget) {
      return onCluster(target, async (port, ctx) => ({ version: await port.actualVersion(target, ctx) }));
    },
  };
}

export type ClusterActivities = ReturnType<typeof createClusterActivities>;

import type { BundleStore } from '../adapters/bundles/bundle-store';
import { isDigestPinned } from '../adapters/bundles/format';
import type { ClusterRef } from '../domain/cell';
import { ErrorType, PortError } from '../domain/errors';
import { breakingRefusal, plannedFromRefusal } from '../domain/preflight';
import type { ClusterPort, ClusterTarget, ReleaseCatalog, StepContext } from '../domain/ports';
import { releaseImages, type CatalogRelease, type Release } from '../domain/release';
import { runStep } from './step-context';
import { seal } from '../crypto/seal';
import type { DebugGrant, Sealed } from '../domain/debug-access';

/** Picks the adapter for a cell's cluster reference, loading it on its first use. */
export type ClusterResolver = (ref: ClusterRef) => Promise<ClusterPort>;

/** One activity per side effect on a cell's cluster; the adapters behind them are injected by the worker. */
export function createClusterActivities(resolve: ClusterResolver, catalog?: ReleaseCatalog, bundles?: BundleStore) {
  /** One call to the cell's cluster, inside the current activity. */
  const onCluster = <T>(target: ClusterTarget, call: (port: ClusterPort, ctx: StepContext) => Promise<T>) =>
    runStep(async (ctx) => call(await resolve(target.cluster), ctx));

  async function release(version: string): Promise<CatalogRelease> {
    const found = await catalog?.get(version);
    if (!found) throw new PortError(ErrorType.ReleaseNotFound, `release ${version} is not in the catalog`, true);
    return found;
  }

  /** Where a pull takes each image from: the registry, or for a bundled release its archive in the bundle store (the control plane's). */
  async function imageSources(release: Release | CatalogRelease): Promise<string[]> {
    if (!bundles || !('source' in release) || release.source !== 'bundle') return releaseImages(release);
    const sources = await Promise.all(
      Object.entries(release.components).map(async ([component, ref]) => {
        const source = await bundles.imageSource(release.version, component);
        if (source) return source;
        // Pinned by digest, a component may come without its image; one the bundle carried has left the store.
        if (isDigestPinned(ref)) return ref;
        throw new PortError(ErrorType.ImagePullFailed, `the image of ${component} is missing from release ${release.version}'s bundle in ${bundles.files.location}`, true);
      }),
    );
    return [...new Set(sources)].sort();
  }

  return {
    /** Connects a cell for the first time (installing `initialVersion` on a simulated one); returns what it runs. */
    registerCluster(target: ClusterTarget, initial?: Release | string) {
      // An agent has no catalog: the controller hands it the initial release itself.
      return onCluster(target, async (port, ctx) => port.register(target, ctx, typeof initial === 'string' ? await release(initial) : initial));
    },
    /**
     * The release is in the catalog (and not breaking, when the strategy cannot take that), the
     * cell still runs the version the update was planned from, and the cluster can take the release.
     */
    preflight(target: ClusterTarget, toRelease: Release | string, fromVersion: string | undefined, refuseBreaking: boolean) {
      return onCluster(target, async (port, ctx) => {
        // An update started by 0.1.0 names the version only; the catalog has it on the control plane.
        const found = typeof toRelease === 'string' ? await release(toRelease) : toRelease;
        const breaking = breakingRefusal(found, refuseBreaking);
        if (breaking) throw new PortError(ErrorType.PreflightFailed, breaking, true);
        const moved = plannedFromRefusal(await port.actualVersion(target, ctx), fromVersion);
        if (moved) throw new PortError(ErrorType.PreflightFailed, moved, true);
        await port.preflight(target, found, ctx);
        return { release: found };
      });
    },
    enterMaintenance(target: ClusterTarget) {
      return onCluster(target, (port, ctx) => port.setMaintenance(target, true, ctx));
    },
    leaveMaintenance(target: ClusterTarget) {
      return onCluster(target, (port, ctx) => port.setMaintenance(target, false, ctx));
    },
    async pullImages(target: ClusterTarget, release: Release) {
      return onCluster(target, async (port, ctx) => port.pullImages(target, await imageSources(release), ctx));
    },
    applyRelease(target: ClusterTarget, release: Release, key: string, components?: string[]) {
      return onCluster(target, (port, ctx) => port.apply(target, release, key, ctx, components));
    },
    rollbackRelease(target: ClusterTarget, key: string) {
      return onCluster(target, (port, ctx) => port.rollback(target, key, ctx));
    },
    verifyRollout(target: ClusterTarget, release: Release) {
      return onCluster(target, (port, ctx) => port.verify(target, release, ctx));
    },
    checkHealth(target: ClusterTarget) {
      return onCluster(target, async (port, ctx) => ({ report: await port.checkHealth(target, ctx) }));
    },
    /** Writes the cell's feature flags (computed on the control plane) to its cluster. */
    setFlags(target: ClusterTarget, values: Record<string, boolean>) {
      return onCluster(target, async (port, ctx) => {
        await port.setFlags(target, values, ctx);
      });
    },
    /** What the cell runs and whether it is in maintenance mode, read from its cluster. */
    readActualVersion(target: ClusterTarget) {
      return onCluster(target, async (port, ctx) => ({ version: await port.actualVersion(target, ctx), maintenance: await port.inMaintenance(target, ctx) }));
    },
    /**
     * Grants debug access inside the cell and returns its token sealed to the requester's public
     * key: the token itself never leaves this activity (on an agent cell, never leaves the cell).
     */
    grantDebugAccess(target: ClusterTarget, grant: DebugGrant, publicKey: string): Promise<{ sealedToken: Sealed }> {
      return onCluster(target, async (port, ctx) => ({ sealedToken: seal((await port.grantDebugAccess(target, grant, ctx)).token, publicKey) }));
    },
    /** Deletes a debug grant inside the cell: its binding, account, Secret (so its token) and the pods labelled with it. */
    revokeDebugAccess(target: ClusterTarget, n: number) {
      return onCluster(target, (port, ctx) => port.revokeDebugAccess(target, n, ctx));
    },
  };
}

export type ClusterActivities = ReturnType<typeof createClusterActivities>;

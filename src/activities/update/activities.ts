import type { BundleStore } from '../../adapters/bundles/bundle-store';
import { isDigestPinned } from '../../adapters/bundles/format';
import type { ClusterRef } from '../../domain/cell';
import { ErrorType, PortError } from '../../domain/errors';
import { breakingRefusal, plannedFromRefusal } from '../../domain/preflight';
import type { ClusterPort, ClusterTarget, StepContext } from '../../domain/ports';
import { releaseImages, releaseRef } from '../../domain/release';
import { releaseResolver, type NamedRelease, type ReleaseSource, type ResolvedRelease } from '../releases/content';
import { releaseRenderer, type ConfigSource } from '../releases/rendering';
import type { StackResolver } from '../infra/activities';
import type { ConfigRef } from '../../domain/update';
import type { VendorKeys } from '../../crypto/release-signature';
import { runStep } from './step-context';
import { seal } from '../../crypto/seal';
import type { ConsentSignature, DebugGrant, Sealed } from '../../domain/debug-access';
import { approvalDigest, publicKeySha256 } from '../../crypto/debug-approval';

/** Picks the adapter for a cell's cluster reference, loading it on its first use. */
export type ClusterResolver = (ref: ClusterRef) => Promise<ClusterPort>;

/**
 * One activity per side effect on a cell's cluster; the adapters behind them are injected by the
 * worker (or the agent). Steps name their release; its content comes from `releases` (the catalog,
 * or in a cell the agent endpoint), checked against its digests, never from the step's input.
 */
export interface ClusterActivityOptions {
  /** where steps read the releases they name: the catalog, or in a cell the agent endpoint */
  releases?: ReleaseSource;
  /** the control plane's bundle store: a bundled release's images */
  bundles?: BundleStore;
  /** the vendor keys the cell pins: with any, a release must be signed by one */
  vendorKeys?: VendorKeys;
  /** the customer's keys the cell pins: with any, debug access needs the customer's signed approval */
  customerKeys?: VendorKeys;
  /** where the cell's configuration values are read: the database, or in a cell the agent endpoint */
  configs?: ConfigSource;
  /** the cell's stack, for items read from its outputs (with the step's own credentials) */
  stacks?: StackResolver;
}

export function createClusterActivities(resolve: ClusterResolver, options: ClusterActivityOptions = {}) {
  const { releases, bundles, vendorKeys, customerKeys } = options;
  const render = releaseRenderer(options.configs, options.stacks);
  /** One call to the cell's cluster, inside the current activity. */
  const onCluster = <T>(target: ClusterTarget, call: (port: ClusterPort, ctx: StepContext) => Promise<T>) =>
    runStep(async (ctx) => call(await resolve(target.cluster), ctx));

  const resolveRelease = releases ? releaseResolver(releases, vendorKeys) : undefined;
  async function release(named: NamedRelease): Promise<ResolvedRelease> {
    if (!resolveRelease) throw new PortError(ErrorType.ReleaseNotFound, `release ${typeof named === 'string' ? named : named.version} cannot be read here: no catalog`, true);
    return resolveRelease(named);
  }

  /** Where a pull takes each image from: the registry, or for a bundled release its archive in the bundle store (the control plane's). */
  async function imageSources(release: ResolvedRelease): Promise<string[]> {
    if (!bundles || release.catalog.source !== 'bundle') return releaseImages(release);
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
    registerCluster(target: ClusterTarget, initial?: NamedRelease) {
      return onCluster(target, async (port, ctx) => port.register(target, ctx, initial === undefined ? undefined : await release(initial)));
    },
    /**
     * The release is in the catalog (and not breaking, when the strategy cannot take that), the
     * cell still runs the version the update was planned from, and the cluster can take the release.
     * Returns the release by reference: what the next steps name, never its content.
     */
    preflight(target: ClusterTarget, toRelease: NamedRelease, fromVersion: string | undefined, refuseBreaking: boolean, config?: ConfigRef) {
      return onCluster(target, async (port, ctx) => {
        const found = await release(toRelease);
        const breaking = breakingRefusal(found, refuseBreaking);
        if (breaking) throw new PortError(ErrorType.PreflightFailed, breaking, true);
        const moved = plannedFromRefusal(await port.actualVersion(target, ctx), fromVersion);
        if (moved) throw new PortError(ErrorType.PreflightFailed, moved, true);
        // Rendered with the cell's configuration: its required items there, its Secrets in the cell.
        const rendered = await render(target, found, config, ctx);
        await port.preflight(target, rendered.release, ctx);
        const { revision, digest } = rendered.release.rendered!;
        return { release: releaseRef(found.catalog), ...(config ? { config: { revision, digest, maintenance: rendered.maintenance } } : {}) };
      });
    },
    enterMaintenance(target: ClusterTarget) {
      return onCluster(target, (port, ctx) => port.setMaintenance(target, true, ctx));
    },
    leaveMaintenance(target: ClusterTarget) {
      return onCluster(target, (port, ctx) => port.setMaintenance(target, false, ctx));
    },
    async pullImages(target: ClusterTarget, named: NamedRelease) {
      return onCluster(target, async (port, ctx) => port.pullImages(target, await imageSources(await release(named)), ctx));
    },
    /** `config.digest`: what preflight rendered; a release that renders otherwise now is refused (ConfigChanged) before any change. */
    applyRelease(target: ClusterTarget, named: NamedRelease, key: string, components?: string[], config?: ConfigRef & { digest?: string }) {
      return onCluster(target, async (port, ctx) => {
        const found = await release(named);
        if (!config) return port.apply(target, found, key, ctx, components);
        const { release: rendered } = await render(target, found, config, ctx);
        if (config.digest && rendered.rendered!.digest !== config.digest) {
          throw new PortError(ErrorType.ConfigChanged, `${target.cellId}: release ${found.version} renders differently with the cell's configuration than at preflight (a stack output changed?): nothing applied`, true);
        }
        return port.apply(target, rendered, key, ctx, components);
      });
    },
    rollbackRelease(target: ClusterTarget, key: string) {
      return onCluster(target, (port, ctx) => port.rollback(target, key, ctx));
    },
    verifyRollout(target: ClusterTarget, named: NamedRelease, config?: ConfigRef) {
      return onCluster(target, async (port, ctx) => {
        const found = await release(named);
        return port.verify(target, config ? (await render(target, found, config, ctx)).release : found, ctx);
      });
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
    /** What the cell runs (its configuration's revision too) and whether it is in maintenance mode, read from its cluster. */
    readActualVersion(target: ClusterTarget) {
      return onCluster(target, async (port, ctx) => {
        const config = await port.actualConfig(target, ctx);
        return { version: await port.actualVersion(target, ctx), maintenance: await port.inMaintenance(target, ctx), ...(config ? { configRevision: config.revision } : {}) };
      });
    },
    /**
     * Grants debug access inside the cell and returns its token sealed to the requester's public
     * key: the token itself never leaves this activity (on an agent cell, never leaves the cell).
     */
    grantDebugAccess(target: ClusterTarget, grant: DebugGrant, publicKey: string, approval?: ConsentSignature): Promise<{ sealedToken: Sealed }> {
      return onCluster(target, async (port, ctx) => {
        // A cell that pins its customer's key grants only what the customer signed, term for term.
        if (customerKeys && customerKeys.size > 0) {
          const terms = { cellId: target.cellId, n: grant.n, scope: grant.scope, durationMinutes: grant.durationMinutes ?? 0, publicKeySha256: publicKeySha256(publicKey) };
          const refusal = customerKeys.refusal(approvalDigest(terms), approval, 'debug-approval');
          if (refusal) throw new PortError(ErrorType.ApprovalUnverified, `the cell grants no debug access its customer did not approve: the approval of ${target.cellId}/${grant.n} ${refusal}`, true);
        }
        return { sealedToken: seal((await port.grantDebugAccess(target, grant, ctx)).token, publicKey) };
      });
    },
    /** Deletes a debug grant inside the cell: its binding, account, Secret (so its token) and the pods labelled with it. */
    revokeDebugAccess(target: ClusterTarget, n: number) {
      return onCluster(target, (port, ctx) => port.revokeDebugAccess(target, n, ctx));
    },
  };
}

export type ClusterActivities = ReturnType<typeof createClusterActivities>;

import type { ConfigItem } from './config';
import { compareVersions } from './version';

export type Ring = 'staging' | 'saas' | 'dedicated';
export const RINGS: readonly Ring[] = ['staging', 'saas', 'dedicated'];

/** One application version: what to run, and from where it may be reached. */
export interface Release {
  version: string;
  /** component name → image reference, pinned by digest where the publisher gave one */
  components: Record<string, string>;
  /** a breaking release needs the operator's attention and is refused by live updates */
  breaking: boolean;
  /** the oldest installed version this release may be applied over */
  minFromVersion?: string;
  /** releases that must be installed on the way to this one, never skipped */
  requiredStepStones?: string[];
  /** the infrastructure template version this release needs on the cell's stack */
  infraTemplate?: string;
  /**
   * The release's rendered Kubernetes manifests, applied whole by server-side apply (a first
   * install, or a release that changes more than images). Without them, an update patches the
   * image of each component's workloads.
   */
  manifests?: KubernetesManifest[];
  /**
   * For a release that names only images: how to find a component's workloads when neither its
   * name nor the labels `app.kubernetes.io/name` or `app` say it (component → labels the
   * Deployment or StatefulSet carries).
   */
  workloadSelectors?: Record<string, Record<string, string>>;
  /**
   * What each cell configures for this release (src/domain/config.ts): items its manifests refer
   * to as `${{ config.<item> }}`, each rendered with the cell's own value where the content is read.
   */
  config?: ConfigItem[];
  /** feature flags the release introduces (off until enabled) */
  flags?: string[];
  notes?: string;
}

/** One Kubernetes object of a release, as `kubectl apply` would take it. */
export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Where a release came from: the registry, or a bundle uploaded for air-gapped cells. */
export type ReleaseSource = 'registry' | 'bundle';

/**
 * What a release's digest and signature cover: everything of it but its manifests, which it names
 * by their own digest. Workflows carry a release's version and digest, never its content.
 */
export type ReleaseDocument = Omit<Release, 'manifests'> & { contentDigest?: string };

/** One object of a release's content, as the catalog lists it (no spec, no data). */
export interface ReleaseObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** A release as an update carries it: which one, its digest (checked wherever its content is fetched), and its components' names. */
export interface ReleaseRef {
  version: string;
  digest: string;
  components: string[];
}

/** A release as the catalog holds it: its document and digest, what its content holds, and the rings it was promoted to. */
export interface CatalogRelease extends ReleaseDocument {
  /** sha256 of the release document (its canonical JSON, RFC 8785) */
  digest: string;
  /** its manifests, stored once by their digest: how many bytes, which objects */
  content?: { digest: string; bytes: number; objects: ReleaseObject[] };
  /** the vendor's Ed25519 signature over `digest`: what a cell that pins the vendor's key requires */
  signature?: { keyId: string; algorithm: 'ed25519'; value: string };
  source: ReleaseSource;
  /** rings the release is visible to, in promotion order */
  rings: Ring[];
  publishedAt: string;
  /** a vetoed release is never offered, installed or rolled out again */
  veto?: ReleaseVeto;
}

/** Who stopped a bad release everywhere, when and why. */
export interface ReleaseVeto {
  by: string;
  reason: string;
  at: string;
}

export function releaseRef(release: CatalogRelease): ReleaseRef {
  // In the order they were published: a live update applies them in it.
  return { version: release.version, digest: release.digest, components: Object.keys(release.components) };
}

export function releaseImages(release: Pick<Release, 'components'>): string[] {
  return [...new Set(Object.values(release.components))].sort();
}

export function sortReleases<T extends Release>(releases: T[]): T[] {
  return [...releases].sort((a, b) => compareVersions(a.version, b.version));
}

import type { Release, ReleaseSignature } from './schemas/release';
import { compareVersions } from './version';

export type Ring = 'staging' | 'saas' | 'dedicated';
export const RINGS: readonly Ring[] = ['staging', 'saas', 'dedicated'];

// A release's shape is a TypeBox schema (./schemas/release.ts); these are its types.
export type { KubernetesManifest, Release } from './schemas/release';

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
  signature?: ReleaseSignature;
  source: ReleaseSource;
  /** rings the release is visible to, in promotion order */
  rings: Ring[];
  publishedAt: string;
  /** a vetoed release is never offered, installed or rolled out again */
  veto?: ReleaseVeto;
  /** an emergency release overrides cells' windows, postponements and blackouts but `all` (src/domain/contract.ts) */
  emergency?: ReleaseEmergency;
}

/** Who marked a release an emergency, when and why. */
export interface ReleaseEmergency {
  by: string;
  at: string;
  reason: string;
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

// What a step applies is decided by the catalog, never by a workflow's input: a step names its
// release (by reference, or as 0.1.0 did, by version or whole), and only the version and digest
// of that are taken. The release's document and manifests are fetched from the catalog (on an agent
// cell, over the agent's own connection) and each is checked against the digest it is named by.
import { canonicalJson, documentDigest, sha256Digest } from '../../crypto/release-digest';
import { ErrorType, PortError } from '../../domain/errors';
import type { VendorKeys } from '../../crypto/release-signature';
import type { CatalogRelease, KubernetesManifest, Release, ReleaseDocument, ReleaseRef } from '../../domain/release';

/** Where releases are read: the catalog on the control plane, the agent endpoint in a cell. */
export interface ReleaseSource {
  /** the release of this version (the digest is what an agent cell's endpoint checks its right to it by) */
  get(version: string, digest?: string): Promise<CatalogRelease | undefined>;
  content(digest: string): Promise<string | undefined>;
}

/**
 * How a step names its release: a version and, from 0.2.0 on, its digest (a ReleaseRef); 0.1.0's
 * steps named a version or passed the release whole, of which only the version is taken.
 */
export type NamedRelease = { version: string; digest?: string } | ReleaseRef | Release | string;

/** A release whole, as the catalog holds it and its digests vouch for. */
export type ResolvedRelease = Release & { digest: string; catalog: CatalogRelease };

/** Releases resolved lately, by digest: a 5 MB release is fetched once per update, not per step. */
const KEPT = 4;

/**
 * `vendorKeys`: the vendor keys the cell pins (an agent's from its bootstrap, a worker's from
 * CELLSHIFT_RELEASE_KEYS); with any, a release must carry a signature by one of them over its digest.
 */
export function releaseResolver(source: ReleaseSource, vendorKeys?: VendorKeys) {
  const kept = new Map<string, ResolvedRelease>();
  return async function resolve(named: NamedRelease): Promise<ResolvedRelease> {
    const version = typeof named === 'string' ? named : named.version;
    const digest = typeof named === 'object' && 'digest' in named && typeof named.digest === 'string' ? named.digest : undefined;
    const cached = digest ? kept.get(digest) : undefined;
    if (cached) return cached;
    const found = await source.get(version, digest);
    if (!found) throw new PortError(ErrorType.ReleaseNotFound, `release ${version} is not in the catalog`, true);
    if (digest && found.digest !== digest) throw mismatch(`release ${version} is ${found.digest} in the catalog; the update names ${digest}`);
    const document = documentOf(found);
    if (documentDigest(document) !== found.digest) throw mismatch(`release ${version}'s document does not hash to its digest ${found.digest}: refused`);
    const unsigned = vendorKeys && vendorKeys.size > 0 ? vendorKeys.refusal(found.digest, found.signature) : undefined;
    if (unsigned) throw new PortError(ErrorType.ReleaseUnverified, `release ${version} is refused in this cell: ${unsigned}`, true);
    let manifests: KubernetesManifest[] | undefined;
    if (document.contentDigest) {
      const text = await source.content(document.contentDigest);
      if (text === undefined) throw new PortError(ErrorType.ReleaseNotFound, `the manifests of release ${version} (${document.contentDigest}) are not in the catalog`, true);
      if (sha256Digest(text) !== document.contentDigest) throw mismatch(`the manifests of release ${version} do not hash to ${document.contentDigest}: refused`);
      manifests = JSON.parse(text) as KubernetesManifest[];
    }
    const { contentDigest: _, ...rest } = document;
    const resolved: ResolvedRelease = { ...rest, ...(manifests ? { manifests } : {}), digest: found.digest, catalog: found };
    kept.set(found.digest, resolved);
    if (kept.size > KEPT) kept.delete(kept.keys().next().value!);
    return resolved;
  };
}

/** The part of a catalog entry its digest covers. */
export function documentOf(release: CatalogRelease): ReleaseDocument {
  const { digest: _d, content: _c, source: _s, rings: _r, publishedAt: _p, veto: _v, emergency: _e, signature: _g, ...document } = release as CatalogRelease & { cellsOnIt?: unknown };
  delete (document as { cellsOnIt?: unknown }).cellsOnIt;
  return JSON.parse(canonicalJson(document)) as ReleaseDocument;
}

function mismatch(message: string): PortError {
  return new PortError(ErrorType.ReleaseDigestMismatch, message, true);
}

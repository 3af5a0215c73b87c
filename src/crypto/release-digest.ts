// A release split into its document (what is signed) and its content (the manifests, stored once),
// each named by the SHA-256 of its canonical JSON (RFC 8785, the `canonicalize` library): whoever
// fetches either checks it against the digest it was named by.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { KubernetesManifest, Release, ReleaseDocument, ReleaseObject } from '../domain/release';

export function sha256Digest(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('not a JSON value');
  return text;
}

export interface SplitRelease {
  document: ReleaseDocument;
  /** the document's digest: what an update names the release by, and what a signature covers */
  digest: string;
  content?: { digest: string; text: string; objects: ReleaseObject[] };
}

/** Splits a release as published into its document and its content. */
export function splitRelease(release: Release): SplitRelease {
  const { manifests, ...rest } = release;
  let content: SplitRelease['content'];
  if (manifests && manifests.length > 0) {
    const text = canonicalJson(manifests);
    content = { digest: sha256Digest(text), text, objects: manifests.map(objectOf) };
  }
  const document: ReleaseDocument = content ? { ...rest, contentDigest: content.digest } : rest;
  return { document, digest: documentDigest(document), content };
}

export function documentDigest(document: ReleaseDocument): string {
  return sha256Digest(canonicalJson(document));
}

function objectOf(manifest: KubernetesManifest): ReleaseObject {
  return { apiVersion: manifest.apiVersion, kind: manifest.kind, name: manifest.metadata.name, ...(manifest.metadata.namespace ? { namespace: manifest.metadata.namespace } : {}) };
}

// What a support bundle collects, and how it is laid out: a versioned spec shipped with
// cellshift, which a release may extend (more log lines, a larger cap, its own redactions) and the
// cell's customer may add redactions to. The collector runs inside the cell (its agent) or on the
// control plane's worker for a direct cell; this is the part both read.
import type { RedactionRule } from './redact';

export type { ReleaseBundleSpec } from '../schemas/support-bundle';
import type { ReleaseBundleSpec } from '../schemas/support-bundle';

export const COLLECTION_SPEC_VERSION = 1;

export const COLLECTORS = ['cluster', 'nodes', 'workloads', 'pods', 'events', 'logs', 'certificates', 'cellshift'] as const;
export type Collector = (typeof COLLECTORS)[number];

export interface CollectionSpec {
  version: typeof COLLECTION_SPEC_VERSION;
  collectors: Collector[];
  /** the last lines of each container's log */
  logLines: number;
  /** the bundle's cap: files past it are left out, and a finding says which */
  maxBytes: number;
  /** redactions beyond the built-in ones (the release's, then the customer's) */
  redactions: RedactionRule[];
}

export const DEFAULT_COLLECTION_SPEC: CollectionSpec = {
  version: COLLECTION_SPEC_VERSION,
  collectors: [...COLLECTORS],
  logLines: 500,
  maxBytes: 20 * 1024 * 1024,
  redactions: [],
};

export const MAX_LOG_LINES = 10_000;
export const MAX_BUNDLE_BYTES = 200 * 1024 * 1024;

/** The spec a collection runs: cellshift's, extended by the release's, with the customer's redactions. */
export function collectionSpec(release?: ReleaseBundleSpec, customerRedactions: RedactionRule[] = []): CollectionSpec {
  return {
    ...DEFAULT_COLLECTION_SPEC,
    logLines: Math.min(MAX_LOG_LINES, release?.logLines ?? DEFAULT_COLLECTION_SPEC.logLines),
    maxBytes: Math.min(MAX_BUNDLE_BYTES, release?.maxBytes ?? DEFAULT_COLLECTION_SPEC.maxBytes),
    redactions: [...(release?.redactions ?? []), ...customerRedactions],
  };
}

/** One file of a bundle, as its collector wrote it (already redacted). */
export interface BundleFile {
  path: string;
  text: string;
}

/**
 * The files that fit under the cap, in the order given (collectors put what matters most first:
 * the cluster's state before logs), and the paths left out. A file that does not fit is left out
 * whole, and smaller ones after it may still fit.
 */
export function fitToCap(files: BundleFile[], maxBytes: number): { kept: BundleFile[]; leftOut: string[] } {
  const kept: BundleFile[] = [];
  const leftOut: string[] = [];
  let used = 0;
  for (const file of files) {
    const bytes = new TextEncoder().encode(file.text).length;
    if (used + bytes > maxBytes) {
      leftOut.push(file.path);
      continue;
    }
    used += bytes;
    kept.push(file);
  }
  return { kept, leftOut };
}

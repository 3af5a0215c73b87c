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
  /** feature flags the release introduces (off until enabled) */
  flags?: string[];
  notes?: string;
}

/** Where a release came from: the registry, or a bundle uploaded for air-gapped cells. */
export type ReleaseSource = 'registry' | 'bundle';

/** A release as the catalog holds it: the immutable manifest, plus the rings it was promoted to. */
export interface CatalogRelease extends Release {
  source: ReleaseSource;
  /** rings the release is visible to, in promotion order */
  rings: Ring[];
  publishedAt: string;
}

export function releaseImages(release: Release): string[] {
  return [...new Set(Object.values(release.components))].sort();
}

export function sortReleases<T extends Release>(releases: T[]): T[] {
  return [...releases].sort((a, b) => compareVersions(a.version, b.version));
}

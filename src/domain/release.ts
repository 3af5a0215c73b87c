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
  notes?: string;
}

export function releaseImages(release: Release): string[] {
  return [...new Set(Object.values(release.components))].sort();
}

export function sortReleases(releases: Release[]): Release[] {
  return [...releases].sort((a, b) => compareVersions(a.version, b.version));
}

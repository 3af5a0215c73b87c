// Where release bundles' files live once verified: a directory of the data volume (the default),
// or an S3 bucket (production, several API replicas and workers on different hosts).
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { S3BundleFiles, parseS3Location } from './s3-bundle-files';

export interface BundleFiles {
  /** where the files are, for messages and logs: a directory or s3://bucket/prefix */
  readonly location: string;
  /** a new empty local directory an upload is unpacked and verified in (removed by the caller) */
  staging(): Promise<string>;
  /** Places a bundle verified in `dir` (its files `names`) as release `version`: 'exists' when one is already there (left as it was). */
  place(version: string, dir: string, names: string[]): Promise<'placed' | 'exists'>;
  /** a placed bundle's manifest.json, or undefined */
  manifest(version: string): Promise<string | undefined>;
  remove(version: string): Promise<void>;
  /**
   * Where a cell pulls a placed bundle's file from: a file: URL on the shared volume, or a
   * presigned https URL valid for an hour. Undefined when the bundle has no such file. Made inside
   * the activity that pulls, so it never enters a workflow's history.
   */
  source(version: string, name: string): Promise<string | undefined>;
}

/** The bundle store named by CELLSHIFT_BUNDLE_STORE (s3://bucket/prefix), or `<dataDir>/bundles`. */
export function bundleFiles(dataDir: string, env: NodeJS.ProcessEnv = process.env): BundleFiles {
  const location = env.CELLSHIFT_BUNDLE_STORE;
  if (!location) return new DirectoryBundleFiles(join(dataDir, 'bundles'));
  return new S3BundleFiles(parseS3Location(location), { endpoint: env.CELLSHIFT_BUNDLE_S3_ENDPOINT || undefined, region: env.AWS_REGION || 'us-east-1' });
}

/** Bundles unpacked under `<root>/<version>/`; an upload is staged beside them, so placing it is one atomic rename. */
export class DirectoryBundleFiles implements BundleFiles {
  constructor(readonly location: string) {}

  async staging(): Promise<string> {
    await mkdir(this.location, { recursive: true });
    return mkdtemp(join(this.location, '.incoming-'));
  }

  async place(version: string, dir: string): Promise<'placed' | 'exists'> {
    try {
      await rename(dir, join(this.location, version));
      return 'placed';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return 'exists';
      throw err;
    }
  }

  manifest(version: string): Promise<string | undefined> {
    return readFile(join(this.location, version, 'manifest.json'), 'utf8').catch(() => undefined);
  }

  remove(version: string): Promise<void> {
    return rm(join(this.location, version), { recursive: true, force: true });
  }

  async source(version: string, name: string): Promise<string | undefined> {
    const path = join(this.location, version, name);
    return (await stat(path).then((s) => s.isFile(), () => false)) ? pathToFileURL(path).href : undefined;
  }
}

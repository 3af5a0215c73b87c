// Release bundles built in memory (manifest, images, checksums), for `cellshift bundles build` and the tests.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Release } from '../../domain/release';
import { BundleError, CHECKSUMS, MANIFEST, formatChecksums, imageEntry, isDigestPinned, parseManifest } from './format';
import { writeTar, type TarEntry } from './tar';

export interface BuildOptions {
  /** component → its image archive (e.g. `docker save` output) */
  images?: Record<string, Buffer>;
  /** components left out of the bundle: their refs must be pinned by digest */
  digestOnly?: string[];
}

/**
 * A gzipped release bundle, in memory. A component with neither an image nor `digestOnly` gets a
 * placeholder archive that only names its ref: enough for the simulated clusters, which never load
 * image content, and for tests.
 */
export async function buildBundle(release: Release, options: BuildOptions = {}): Promise<Buffer> {
  const manifest = Buffer.from(`${JSON.stringify(release, null, 2)}\n`);
  parseManifest(manifest.toString('utf8')); // refuse to build what ingest would refuse
  const files: TarEntry[] = [{ name: MANIFEST, data: manifest }];
  for (const [component, ref] of Object.entries(release.components).sort(([a], [b]) => a.localeCompare(b))) {
    if (options.digestOnly?.includes(component)) {
      if (!isDigestPinned(ref)) throw new BundleError(`component ${component} can only be left out when its ref is pinned by digest (got ${ref})`);
      continue;
    }
    const image = options.images?.[component] ?? (await placeholderImage(ref));
    files.push({ name: imageEntry(component), data: image });
  }
  const sums = new Map(files.map((f) => [f.name, sha256(f.data)]));
  files.push({ name: CHECKSUMS, data: Buffer.from(formatChecksums(sums)) });
  return promisify(gzip)(await writeTar(files));
}

/**
 * A bundle of `release` with each component's image read from `<imagesDir>/<component>.tar`; a
 * component without one there is left out when its ref is pinned by digest. Without a directory,
 * every component gets a placeholder.
 */
export async function buildBundleFromFiles(release: Release, imagesDir?: string): Promise<Buffer> {
  const images: Record<string, Buffer> = {};
  const digestOnly: string[] = [];
  if (imagesDir) {
    for (const [component, ref] of Object.entries(release.components)) {
      const file = join(imagesDir, `${component}.tar`);
      if (existsSync(file)) images[component] = await readFile(file);
      else if (isDigestPinned(ref)) digestOnly.push(component);
      else throw new BundleError(`${file} is missing and ${ref} is not pinned by digest`);
    }
  }
  return buildBundle(release, { images, digestOnly });
}

export async function placeholderImage(ref: string): Promise<Buffer> {
  return writeTar([{ name: 'IMAGE', data: Buffer.from(`placeholder for ${ref}\n`) }]);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

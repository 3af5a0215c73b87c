// `npm run bundle -- <release.json> [--out file.tar.gz] [--images dir]`: a release bundle for
// air-gapped cells, to upload with `POST /v1/bundles`. With --images, each component's image is
// read from `<dir>/<component>.tar` (e.g. `docker save` output); a component without one there is
// left out when its ref is pinned by digest. Without --images every component gets a placeholder
// archive naming its ref: enough for the simulated clusters, not for a real cell.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundle } from '../src/adapters/bundles/build';
import { isDigestPinned, parseManifest } from '../src/adapters/bundles/format';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, images: { type: 'string' } } });
if (positionals.length !== 1) {
  console.error('usage: npm run bundle -- <release.json> [--out file.tar.gz] [--images dir]');
  process.exit(2);
}

try {
  const release = parseManifest(await readFile(positionals[0], 'utf8'));
  const images: Record<string, Buffer> = {};
  const digestOnly: string[] = [];
  if (values.images) {
    for (const [component, ref] of Object.entries(release.components)) {
      const file = join(values.images, `${component}.tar`);
      if (existsSync(file)) images[component] = await readFile(file);
      else if (isDigestPinned(ref)) digestOnly.push(component);
      else throw new Error(`${file} is missing and ${ref} is not pinned by digest`);
    }
  }
  const out = resolve(values.out ?? `cellshift-bundle-${release.version}.tar.gz`);
  await writeFile(out, await buildBundle(release, { images, digestOnly }));
  console.log(out);
} catch (err) {
  console.error(`bundle: ${(err as Error).message}`);
  process.exit(1);
}

// `cellshift bundles build|upload`: release bundles for air-gapped cells, the release with its images.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { Command } from 'commander';
import { splitRelease } from '../../crypto/release-digest';
import { signRelease } from '../../crypto/release-signature';
import type { CliContext } from '../context';
import { readRelease } from '../release-file';
import { progressBar } from '../watch';

export function addBundlesCommands(program: Command, { client, print }: CliContext): void {
  const bundles = program.command('bundles').description('release bundles for air-gapped cells');
  bundles
    .command('build <release-file>')
    .description("a bundle of the release and its images (each `<dir>/<component>.tar`, e.g. docker save output; without --images, placeholders for simulated cells)")
    .option('--out <file>')
    .option('--images <dir>')
    .option('--key <file>', "sign its release with the vendor's Ed25519 private key")
    .action(async (file: string, options: { out?: string; images?: string; key?: string }) => {
      const { buildBundleFromFiles } = await import('../../adapters/bundles/build');
      const unsigned = readRelease(file, []);
      const release = options.key ? { ...unsigned, signature: signRelease(splitRelease(unsigned).digest, readFileSync(options.key, 'utf8')) } : unsigned;
      const out = resolve(options.out ?? `cellshift-bundle-${release.version}.tar.gz`);
      await writeFile(out, await buildBundleFromFiles(release, options.images));
      print({ file: out }, () => out);
    });
  bundles
    .command('upload <file>')
    .description('upload a bundle, with a progress bar')
    .action(async (file: string) => {
      const size = statSync(file).size;
      let sent = 0;
      const bar = progressBar(size, `uploading ${file}`);
      const counted = createReadStream(file).pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            bar((sent += chunk.length));
            done(null, chunk);
          },
        }),
      );
      const res = await client().request<{ version?: string }>('POST', '/v1/bundles', Readable.toWeb(counted), { 'content-type': 'application/gzip' });
      print(res, () => `bundle of ${res.version ?? '?'} stored`);
    });
}

// `cellshift releases …`: the release catalog, from publishing a release (signed with the vendor's
// key) through its rings to a veto and the rollback of the cells on it.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { CatalogRelease, ReleasePage } from '../../api/schemas/releases';
import { splitRelease } from '../../crypto/release-digest';
import { generateReleaseKey, signRelease } from '../../crypto/release-signature';
import { everyPage, type CliContext } from '../context';
import { followRollout } from '../follow';
import { readRelease } from '../release-file';
import { table } from '../render';

export function addReleasesCommands(program: Command, ctx: CliContext): void {
  const { client, print, id } = ctx;
  const releases = program.command('releases').description('the release catalog');
  releases
    .command('list')
    .action(async () => {
      const all = await everyPage<Static<typeof ReleasePage>, Static<typeof ReleasePage>['releases'][number]>(ctx, '/v1/releases', new URLSearchParams(), (page) => page.releases);
      print(all, () => table(['VERSION', 'RINGS', 'SOURCE', 'BREAKING', 'MANIFESTS', 'VETOED'], all.map((r) => [r.version, r.rings.join(','), r.source, r.breaking ? 'yes' : '', r.manifestCount, r.veto ? `by ${r.veto.by}` : ''])));
    });
  releases
    .command('get <version>')
    .action(async (version: string) => {
      const r = await client().request<Static<typeof CatalogRelease>>('GET', `/v1/releases/${id(version)}`);
      print(r, () => [`${r.version}  rings ${r.rings.join(',') || 'none'}  ${r.source}`, ...Object.entries(r.components).map(([c, image]) => `  ${c}: ${image}`), ...(r.veto ? [`  VETOED by ${r.veto.by} at ${r.veto.at}: ${r.veto.reason}`, `  cells on it: ${(r.cellsOnIt ?? []).join(', ') || 'none'}`] : [])].join('\n'));
    });
  releases
    .command('publish <file>')
    .description('publish a release from a YAML or JSON file; --manifests adds Kubernetes objects from multi-document YAML (e.g. helm template output)')
    .option('--manifests <file...>', 'Kubernetes manifests to ship with the release')
    .option('--key <file>', "sign it with the vendor's Ed25519 private key (cellshift releases keygen): the signature covers its digest")
    .action(async (file: string, options: { manifests?: string[]; key?: string }) => {
      const release = readRelease(file, options.manifests ?? []);
      const body = options.key ? { ...release, signature: signRelease(splitRelease(release).digest, readFileSync(options.key, 'utf8')) } : release;
      const published = await client().request<Static<typeof CatalogRelease>>('POST', '/v1/releases', body);
      print(published, () => `published ${published.version} ${published.digest} (${published.content?.objects.length ?? 0} objects, ${published.content?.bytes ?? 0} bytes); promote it to a ring: cellshift releases promote ${published.version} staging`);
    });
  releases
    .command('keygen <name>')
    .description("make a vendor's release signing key: <name>.key (Ed25519, PKCS#8, 0600; keep it to yourself) and <name>.pub (give it to cellshift and to every cell)")
    .action((name: string) => {
      const key = generateReleaseKey();
      writeFileSync(`${name}.key`, key.privateKeyPem, { mode: 0o600, flag: 'wx' });
      writeFileSync(`${name}.pub`, key.publicKeyPem, { flag: 'wx' });
      print({ keyId: key.keyId, privateKey: `${name}.key`, publicKey: `${name}.pub` }, () => `key ${key.keyId}: private ${name}.key (keep it), public ${name}.pub (CELLSHIFT_RELEASE_KEYS_FILE; each agent's --vendor-keys)`);
    });
  releases
    .command('promote <version> <ring>')
    .action(async (version: string, ring: string) => {
      const r = await client().request<Static<typeof CatalogRelease>>('POST', `/v1/releases/${id(version)}/promote`, { ring });
      print(r, () => `${r.version} is visible to ${r.rings.join(', ')}`);
    });
  releases
    .command('veto <version>')
    .description('stop a bad release everywhere (admin)')
    .requiredOption('--reason <reason>')
    .action(async (version: string, options: { reason: string }) => {
      const r = await client().request<Static<typeof CatalogRelease>>('POST', `/v1/releases/${id(version)}/veto`, { reason: options.reason });
      const onIt = r.cellsOnIt ?? [];
      print(r, () => `${r.version} vetoed by ${r.veto?.by}: ${r.veto?.reason}\ncells on it: ${onIt.join(', ') || 'none'}${onIt.length > 0 ? `\ntake them back: cellshift releases rollback ${r.version}` : ''}`);
    });
  releases
    .command('rollback <version>')
    .description('a rollout taking every cell on the release back to what it ran before')
    .option('--max-concurrent <n>', 'cells at once', Number)
    .option('--respect-windows', "in each cell's maintenance window, not at once")
    .option('--watch', 'follow it to its end')
    .action(async (version: string, options: { maxConcurrent?: number; respectWindows?: boolean; watch?: boolean }) => {
      const body = { ...(options.maxConcurrent ? { waves: { maxConcurrent: options.maxConcurrent } } : {}), ...(options.respectWindows ? { respectWindows: true } : {}) };
      const started = await client().request<{ id: string }>('POST', `/v1/releases/${id(version)}/rollback`, body);
      await followRollout(ctx, started.id, options.watch);
    });
}

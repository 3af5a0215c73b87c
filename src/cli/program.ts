// The `cellshift` command: every operator task over the REST API, with live views (`--watch`)
// that end with the outcome and an exit code a script can use, and `-o json` everywhere.
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { text as readAll } from 'node:stream/consumers';
import { Command, Option } from 'commander';
import type { Static } from 'typebox';
import type { Cell, CellList } from '../api/schemas/cells';
import type { CatalogRelease, ReleasePage } from '../api/schemas/releases';
import type { RolloutPlan } from '../api/schemas/rollouts';
import type { InfraUpdateProgress } from '../workflows/messages';
import { open } from '../crypto/seal';
import { tokenDigest } from '../crypto/token-digest';
import { splitRelease } from '../crypto/release-digest';
import { generateReleaseKey, signRelease } from '../crypto/release-signature';
import { approvalDigest } from '../crypto/debug-approval';
import type { DebugAccessView } from '../domain/debug-access';
import type { RolloutProgress } from '../domain/rollout';
import { FINAL_STATUSES, type UpdateProgress } from '../domain/update';
import { ApiClient, CliError, EXIT } from './client';
import { addConfigCommands } from './cell-config';
import { readRelease } from './release-file';
import { renderRollout, renderUpdate, table } from './render';
import { progressBar, watch } from './watch';

interface RolloutFlags {
  rings?: string;
  maxConcurrent: number;
  maxFailures?: number;
  maxFailurePercent?: number;
  bakeMinutes?: number;
  approvalBetweenRings?: boolean;
  now?: boolean;
  canaryCells?: number;
  canaryPercent?: number;
  canaryBakeMinutes?: number;
  deadline?: string;
  autoVeto?: boolean;
}

interface Globals {
  api?: string;
  token?: string;
  output?: 'text' | 'json';
}

/** Where a watched update stops: its end, or a state that needs a person. */
const UPDATE_STOPS = [...FINAL_STATUSES, 'needs-attention'];
const ROLLOUT_STOPS = ['succeeded', 'aborted', 'vetoed', 'halted'];

export function buildProgram(): Command {
  const program = new Command('cellshift')
    .description('Durable updates for a fleet of cells, from the command line')
    .option('--api <url>', 'the cellshift API (env CELLSHIFT_API, default http://127.0.0.1:8080)')
    .option('--token <token>', 'a bearer token (env CELLSHIFT_TOKEN, a config file, or ./data/admin-token)')
    .addOption(new Option('-o, --output <format>', 'text for people, json for scripts').choices(['text', 'json']).default('text'))
    .showHelpAfterError()
    .exitOverride();

  const client = () => new ApiClient(program.opts<Globals>());
  const json = () => program.opts<Globals>().output === 'json';
  /** Prints JSON for scripts, else the text. */
  const print = (value: unknown, text: () => string) => console.log(json() ? JSON.stringify(value, null, 2) : text());
  const id = (value: string) => encodeURIComponent(value);

  // cells
  const cells = program.command('cells').description('the fleet');
  cells
    .command('list')
    .description('cells with their version, state, SLA and agent')
    .option('--ring <ring>')
    .option('--state <state>')
    .option('--version <version>')
    .option('--sla <sla>')
    .option('--agent <status>', 'online, offline or never-seen')
    .action(async (options: Record<string, string | undefined>) => {
      const query = new URLSearchParams(Object.entries(options).filter((e): e is [string, string] => e[1] !== undefined));
      const all = await everyPage<Static<typeof CellList>, Static<typeof CellList>['cells'][number]>('/v1/cells', query, (page) => page.cells);
      print(all, () => table(['CELL', 'RING', 'VERSION', 'DESIRED', 'STATE', 'SLA', 'AGENT', 'UPDATE'], all.map((c) => [c.id, c.ring, c.version, c.desiredVersion, c.state, c.sla, c.agent?.status ?? (c.connection === 'agent' ? '?' : ''), c.currentUpdate])));
    });
  cells
    .command('get <cell>')
    .description("a cell's spec, version, state, history")
    .action(async (cell: string) => {
      const view = await client().request<Static<typeof Cell>>('GET', `/v1/cells/${id(cell)}`);
      print(view, () =>
        [
          `${view.id}  ring ${view.ring}  ${view.version ?? 'nothing installed'}  ${view.state}  SLA ${view.sla}`,
          `  strategy ${view.strategy}, window ${view.maintenanceWindow.days.join(',')} ${view.maintenanceWindow.start} ${view.maintenanceWindow.timezone} (${view.maintenanceWindow.durationMinutes} min)`,
          ...(view.currentUpdate ? [`  updating: ${view.currentUpdate.id} → ${view.currentUpdate.toVersion}`] : []),
          ...(view.desiredVersion && view.desiredVersion !== view.version ? [`  desired ${view.desiredVersion}${view.plan ? ` via ${view.plan.join(' → ')}` : ''}`] : []),
          ...(view.agent ? [`  agent ${view.agent.status}${view.agent.version ? ` ${view.agent.version}` : ''}`] : []),
          ...(view.config ? [`  configuration revision ${view.config.desired}${view.config.applied !== view.config.desired ? `, the cell runs ${view.config.applied ?? 0}` : ''}${view.config.failed ? ` (revision ${view.config.failed.revision} failed: ${view.config.failed.reason})` : ''}`] : []),
          ...(view.maintenance.leftOn ? [`  IN MAINTENANCE with no update running since ${view.maintenance.leftOn.since} (${view.maintenance.leftOn.reason})`] : []),
          ...(view.removal ? [`  being removed: asked by ${view.removal.by} at ${view.removal.at}${view.removal.reason ? `: ${view.removal.reason}` : ''}`] : []),
          ...view.history.slice(-5).map((h) => `  ${h.at}  ${h.result.padEnd(10)} ${h.fromVersion ?? ''}${h.fromVersion ? ' → ' : ''}${h.version}`),
        ].join('\n'),
      );
    });
  cells
    .command('remove <cell>')
    .description('remove a cell (admin): its debug grants revoked, its controller ended, its history kept in the audit; the id can be registered again')
    .option('--cancel-update', 'cancel the update that runs (it compensates) instead of refusing')
    .option('--reason <text>', 'why, kept with the removal')
    .action(async (cell: string, options: { cancelUpdate?: boolean; reason?: string }) => {
      const query = new URLSearchParams({ ...(options.cancelUpdate ? { cancelUpdate: 'true' } : {}), ...(options.reason ? { reason: options.reason } : {}) });
      const view = await client().request<Static<typeof Cell>>('DELETE', `/v1/cells/${id(cell)}${query.size > 0 ? `?${query}` : ''}`);
      print(view, () => `${view.id} ${view.state}${view.removal?.cancelledUpdate ? ` (cancelling ${view.removal.cancelledUpdate} first)` : ''}`);
    });

  addConfigCommands(cells, { client, print, id });

  // releases
  const releases = program.command('releases').description('the release catalog');
  releases
    .command('list')
    .action(async () => {
      const all = await everyPage<Static<typeof ReleasePage>, Static<typeof ReleasePage>['releases'][number]>('/v1/releases', new URLSearchParams(), (page) => page.releases);
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
      await followRollout(started.id, options.watch);
    });

  // updates
  const updates = program.command('updates').description('updates of one cell');
  updates
    .command('start <cell> <version>')
    .addOption(new Option('--strategy <strategy>').choices(['maintenance-window', 'staging-first', 'live']))
    .option('--now', 'at once, not in the next maintenance window')
    .option('--watch', 'follow it to its end')
    .action(async (cell: string, version: string, options: { strategy?: string; now?: boolean; watch?: boolean }) => {
      const accepted = await client().request<{ id: string }>('POST', `/v1/cells/${id(cell)}/updates`, { version, ...(options.strategy ? { strategy: options.strategy } : {}), ...(options.now ? { window: 'now' } : {}) });
      await followUpdate(accepted.id, options.watch, accepted);
    });
  updates
    .command('rollback <cell>')
    .option('--to <version>', 'a version from its history (default: the one before)')
    .option('--watch', 'follow it to its end')
    .action(async (cell: string, options: { to?: string; watch?: boolean }) => {
      const accepted = await client().request<{ id: string }>('POST', `/v1/cells/${id(cell)}/rollback`, options.to ? { toVersion: options.to } : null);
      await followUpdate(accepted.id, options.watch, accepted);
    });
  updates
    .command('get <update>')
    .option('--watch', 'redraw as it changes, until it ends')
    .action(async (update: string, options: { watch?: boolean }) => followUpdate(update, options.watch));
  for (const action of ['approve', 'reject', 'pause', 'resume', 'cancel', 'retry', 'abandon'] as const) {
    updates
      .command(`${action} <update>`)
      .option('--reason <reason>')
      .action(async (update: string, options: { reason?: string }) => {
        const res = await client().request('POST', `/v1/updates/${id(update)}/${action}`, options.reason ? { reason: options.reason } : {});
        print(res ?? { id: update, action }, () => `${action}: accepted for ${update}`);
      });
  }

  // rollouts
  const rollouts = program.command('rollouts').description('releases through the fleet');
  const rolloutOptions = (command: Command) =>
    command
      .option('--rings <rings>', 'comma-separated, in order (default all)')
      .requiredOption('--max-concurrent <n>', 'cells in flight at once per ring', Number)
      .option('--max-failures <n>', 'failures that halt it', Number)
      .option('--max-failure-percent <p>', '… or as a share of its cells', Number)
      .option('--bake-minutes <m>', 'between rings', Number)
      .option('--approval-between-rings')
      .option('--now', 'ignore maintenance windows (an urgent fix)')
      .option('--canary-cells <n>', "each ring's first cells, alone", Number)
      .option('--canary-percent <p>', "… or a share of each ring's cells", Number)
      .option('--canary-bake-minutes <m>', 'how long canaries bake', Number)
      .option('--deadline <iso>', 'no cell starts after this')
      .option('--auto-veto', 'over budget, veto the release');
  const rolloutBody = (version: string, o: RolloutFlags) => ({
    version,
    ...(o.rings ? { rings: String(o.rings).split(',') } : {}),
    waves: { maxConcurrent: o.maxConcurrent, ...(o.maxFailures !== undefined ? { maxFailures: o.maxFailures } : {}), ...(o.maxFailurePercent !== undefined ? { maxFailurePercent: o.maxFailurePercent } : {}) },
    ...(o.bakeMinutes !== undefined ? { bakeMinutes: o.bakeMinutes } : {}),
    ...(o.approvalBetweenRings ? { approvalBetweenRings: true } : {}),
    ...(o.now ? { window: 'now' } : {}),
    ...(o.canaryCells !== undefined || o.canaryPercent !== undefined
      ? { canary: { ...(o.canaryCells !== undefined ? { cells: o.canaryCells } : {}), ...(o.canaryPercent !== undefined ? { percent: o.canaryPercent } : {}), bakeMinutes: o.canaryBakeMinutes ?? 0 } }
      : {}),
    ...(o.deadline ? { deadline: o.deadline } : {}),
    ...(o.autoVeto ? { autoVeto: true } : {}),
  });
  rolloutOptions(rollouts.command('plan <version>').description('what a rollout would do, per ring and cell, starting nothing')).action(async (version: string, o: RolloutFlags) => {
    const plan = await client().request<Static<typeof RolloutPlan>>('POST', '/v1/rollouts/plan', rolloutBody(version, o));
    print(plan, () =>
      [
        `plan of ${plan.version}: ends ${plan.endsAt ?? 'never (nothing to do)'}`,
        ...plan.rings.flatMap((ring) => [
          `  ${ring.ring}  ${ring.startsAt ?? '-'} → ${ring.endsAt ?? '-'}`,
          ...ring.cells.map((c) => `    ${c.id.padEnd(24)} ${c.startsAt} → ${c.endsAt}${c.canary ? '  canary' : ''}${c.steppingStones?.length ? `  via ${c.steppingStones.join(' → ')}` : ''}`),
          ...ring.held.map((c) => `    ‖ ${c.id.padEnd(22)} held: ${c.reason}`),
        ]),
      ].join('\n'),
    );
  });
  rolloutOptions(rollouts.command('start <version>').description('take a release through the rings'))
    .option('--watch', 'follow it to its end')
    .action(async (version: string, o: RolloutFlags & { watch?: boolean }) => {
      const started = await client().request<{ id: string }>('POST', '/v1/rollouts', rolloutBody(version, o));
      await followRollout(started.id, o.watch);
    });
  rollouts
    .command('get <rollout>')
    .option('--watch', 'redraw as it changes, until it ends')
    .action(async (rollout: string, options: { watch?: boolean }) => followRollout(rollout, options.watch));
  for (const action of ['pause', 'resume', 'abort', 'approve'] as const) {
    const command = rollouts.command(`${action} <rollout>`).option('--reason <reason>');
    if (action === 'abort') command.option('--rollback', 'roll back the cells it updated');
    command.action(async (rollout: string, options: { reason?: string; rollback?: boolean }) => {
      const res = await client().request('POST', `/v1/rollouts/${id(rollout)}/${action}`, { ...(options.reason ? { reason: options.reason } : {}), ...(options.rollback ? { rollback: true } : {}) });
      print(res, () => `${action}: accepted for rollout ${rollout}`);
    });
  }

  // bundles
  const bundles = program.command('bundles').description('release bundles for air-gapped cells');
  bundles
    .command('build <release-file>')
    .description("a bundle of the release and its images (each `<dir>/<component>.tar`, e.g. docker save output; without --images, placeholders for simulated cells)")
    .option('--out <file>')
    .option('--images <dir>')
    .option('--key <file>', "sign its release with the vendor's Ed25519 private key")
    .action(async (file: string, options: { out?: string; images?: string; key?: string }) => {
      const { buildBundleFromFiles } = await import('../adapters/bundles/build');
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

  // infrastructure updates
  const infra = program.command('infra').description("infrastructure (CloudFormation) updates and their two-week deadline");
  infra
    .command('publish <cell>')
    .requiredOption('--template-version <v>')
    .requiredOption('--template-url <url>')
    .option('--published-at <iso>')
    .action(async (cell: string, o: { templateVersion: string; templateUrl: string; publishedAt?: string }) => {
      const res = await client().request<{ deadline: string }>('POST', `/v1/cells/${id(cell)}/infra-updates`, { templateVersion: o.templateVersion, templateUrl: o.templateUrl, ...(o.publishedAt ? { publishedAt: o.publishedAt } : {}) });
      print(res, () => `infrastructure update ${o.templateVersion} for ${cell}: deadline ${res.deadline}`);
    });
  infra.command('get <cell> <template-version>').action(async (cell: string, tv: string) => {
    const p = await client().request<InfraUpdateProgress>('GET', `/v1/cells/${id(cell)}/infra-updates/${id(tv)}`);
    print(p, () => [`${p.cellId} ${p.templateVersion}  ${p.status}  SLA ${p.sla}  deadline ${p.deadline}`, ...p.changes.map((c) => `  ${c.action} ${c.logicalId} (${c.resourceType})`), ...p.attempts.map((a) => `  ${a.at} ${a.by}: ${a.result}${a.error ? ` ${a.error}` : ''}`)].join('\n'));
  });
  for (const action of ['apply', 'check'] as const) {
    infra.command(`${action} <cell> <template-version>`).action(async (cell: string, tv: string) => {
      const res = await client().request('POST', `/v1/cells/${id(cell)}/infra-updates/${id(tv)}/${action}`, {});
      print(res ?? {}, () => `${action}: accepted`);
    });
  }

  // debug access
  const debug = program.command('debug').description('emergency debug access, approved by the customer');
  debug
    .command('request <cell>')
    .requiredOption('--namespace <ns>')
    .addOption(new Option('--role <role>').choices(['view', 'edit']).default('view'))
    .requiredOption('--minutes <m>', 'how long the access lasts', Number)
    .requiredOption('--reason <reason>')
    .requiredOption('--public-key <file>', 'your X25519 public key (PEM): the token is sealed to it')
    .option('--decision-minutes <m>', 'how long the customer has to decide', Number)
    .action(async (cell: string, o: { namespace: string; role: string; minutes: number; reason: string; publicKey: string; decisionMinutes?: number }) => {
      const body = { scope: { namespace: o.namespace, role: o.role }, durationMinutes: o.minutes, reason: o.reason, publicKey: readFileSync(o.publicKey, 'utf8'), ...(o.decisionMinutes ? { decisionMinutes: o.decisionMinutes } : {}) };
      const view = await client().request<DebugAccessView>('POST', `/v1/cells/${id(cell)}/debug-access`, body);
      print(view, () => `debug access ${view.id} asked: the customer decides by ${view.decideBy} (cellshift debug get ${cell} ${view.n} --watch)`);
    });
  debug
    .command('get <cell> <n>')
    .option('--watch', 'redraw as it changes, until it ends')
    .action(async (cell: string, n: string, options: { watch?: boolean }) => {
      const read = () => client().request<DebugAccessView>('GET', `/v1/cells/${id(cell)}/debug-access/${id(n)}`);
      const render = (v: DebugAccessView) =>
        [`debug access ${v.id}  ${v.scope.role} on ${v.scope.namespace}  ${v.status.toUpperCase()}${v.end ? ` (${v.end})` : ''}${v.expiresAt ? `  until ${v.expiresAt}` : ''}`, ...v.events.map((e) => `  ${e.at}  ${e.event.padEnd(16)} ${e.by}${e.reason ? `: ${e.reason}` : ''}`)].join('\n');
      const view = options.watch && !json() ? await watch({ read, render, ended: (v) => v.status === 'ended' || v.status === 'active' }) : await read();
      if (!options.watch || json()) print(view, () => render(view));
    });
  debug
    .command('decide <cell> <n> <decision>')
    .description("approve or deny (a customer token of the cell); --key signs the approval with the customer's key, which a cell that pins it requires")
    .requiredOption('--reason <reason>')
    .option('--key <file>', "the customer's Ed25519 private key (cellshift releases keygen makes one): signs the request's terms")
    .action(async (cell: string, n: string, decision: string, o: { reason: string; key?: string }) => {
      if (decision !== 'approve' && decision !== 'deny') throw new CliError(`decision must be approve or deny, not ${decision}`, EXIT.refused);
      let signature: ReturnType<typeof signRelease> | undefined;
      if (o.key && decision === 'approve') {
        // The terms as the request states them: what the cell checks the signature against.
        const asked = await client().request<DebugAccessView>('GET', `/v1/cells/${id(cell)}/debug-access/${id(n)}`);
        if (!asked.publicKeySha256) throw new CliError(`request ${asked.id} names no public key hash to sign (asked before 0.2.0)`, EXIT.refused);
        const terms = { cellId: asked.cellId, n: asked.n, scope: asked.scope, durationMinutes: asked.durationMinutes, publicKeySha256: asked.publicKeySha256 };
        signature = signRelease(approvalDigest(terms), readFileSync(o.key, 'utf8'), 'debug-approval');
      }
      const view = await client().request<DebugAccessView>('POST', `/v1/cells/${id(cell)}/debug-access/${id(n)}/decide`, { decision, reason: o.reason, ...(signature ? { signature } : {}) });
      print(view, () => `${decision === 'approve' ? 'approved' : 'denied'}: ${view.id}`);
    });
  debug
    .command('revoke <cell> <n>')
    .option('--reason <reason>')
    .action(async (cell: string, n: string, o: { reason?: string }) => {
      const view = await client().request<DebugAccessView>('POST', `/v1/cells/${id(cell)}/debug-access/${id(n)}/revoke`, o.reason ? { reason: o.reason } : {});
      print(view, () => `revoking ${view.id}`);
    });
  debug
    .command('token <cell> <n>')
    .description('open the sealed token with your private key, and print it')
    .requiredOption('--key <file>', 'your X25519 private key (PEM)')
    .action(async (cell: string, n: string, o: { key: string }) => {
      const view = await client().request<DebugAccessView>('GET', `/v1/cells/${id(cell)}/debug-access/${id(n)}`);
      if (!view.sealedToken) throw new CliError(`no token: debug access ${view.id} is ${view.status}${view.end ? ` (${view.end})` : ''}`, EXIT.outcome);
      console.log(open(view.sealedToken, readFileSync(o.key, 'utf8')));
    });

  // API tokens
  const tokens = program.command('tokens').description('API tokens, as the configuration keeps them');
  tokens
    .command('hash')
    .description('the SHA-256 of a token read from stdin, for a tokenSha256 entry of CELLSHIFT_TOKENS (the token stays off the command line)')
    .action(async () => {
      const token = (await readAll(process.stdin)).trim();
      if (!token) throw new CliError('no token on stdin: printf %s "$TOKEN" | cellshift tokens hash', EXIT.refused);
      if (/\s/.test(token)) throw new CliError('a bearer token has no spaces or line breaks: give one token on stdin', EXIT.refused);
      // Unsalted SHA-256 is safe for random tokens only: a guessable one is found again from its hash.
      if (token.length < 32) console.error(`cellshift: this token has ${token.length} characters: a hash of a guessable token can be reversed; use a random one (openssl rand -base64 32)`);
      const tokenSha256 = tokenDigest(token);
      print({ tokenSha256 }, () => tokenSha256);
    });

  /** Every item of a paged list, following its page tokens. */
  async function everyPage<P extends { nextPageToken?: string }, T>(path: string, query: URLSearchParams, items: (page: P) => T[]): Promise<T[]> {
    const all: T[] = [];
    query.set('pageSize', '500');
    for (let page: P | undefined; page === undefined || page.nextPageToken; ) {
      if (page?.nextPageToken) query.set('pageToken', page.nextPageToken);
      page = await client().request<P>('GET', `${path}?${query}`);
      all.push(...items(page));
    }
    return all;
  }

  /** Prints an update (or follows it live); a watched update that ends badly exits 1. */
  async function followUpdate(updateId: string, follow = false, accepted?: unknown): Promise<void> {
    if (!follow && accepted) return print(accepted, () => `update ${updateId} scheduled (cellshift updates get ${updateId} --watch)`);
    await show(() => client().request<UpdateProgress>('GET', `/v1/updates/${id(updateId)}`), renderUpdate, UPDATE_STOPS, follow);
  }

  /** Prints a rollout (or follows it live); a watched rollout that does not succeed exits 1. */
  async function followRollout(rolloutId: string, follow = false): Promise<void> {
    await show(() => client().request<RolloutProgress>('GET', `/v1/rollouts/${id(rolloutId)}`), renderRollout, ROLLOUT_STOPS, follow);
  }

  /** Prints a thing once, or redraws it until its status is one of `stops` (exit 1 unless it succeeded). */
  async function show<T extends { status: string }>(read: () => Promise<T>, render: (value: T) => string, stops: readonly string[], follow: boolean): Promise<void> {
    if (!follow) {
      const value = await read();
      return print(value, () => render(value));
    }
    const ended = (value: T) => stops.includes(value.status);
    const last = json() ? await pollUntil(read, ended) : await watch({ read, render, ended });
    if (json()) print(last, () => '');
    if (last.status !== 'succeeded') process.exitCode = EXIT.outcome;
  }

  return program;
}

async function pollUntil<T>(read: () => Promise<T>, ended: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ended(value)) return value;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// `cellshift debug …`: emergency debug access to a cell, asked by the vendor, decided by the
// customer, its token sealed to the asker's key.
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { open } from '../../crypto/seal';
import { approvalDigest } from '../../crypto/debug-approval';
import { signRelease } from '../../crypto/release-signature';
import type { DebugAccessView } from '../../domain/debug-access';
import { CliError, EXIT } from '../client';
import type { CliContext } from '../context';
import { watch } from '../watch';

export function addDebugAccessCommands(program: Command, { client, json, print, id }: CliContext): void {
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
}

// `cellshift support-bundle …`: evidence from a cell, collected inside it with its customer's
// consent: ask for one, follow it, read its findings, download it, or analyse a bundle a customer
// collected and sent by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { unpackBundle } from '../../activities/support-bundle/activities';
import { signRelease } from '../../crypto/release-signature';
import { bundleApprovalDigest, policyDigest } from '../../crypto/support-bundle-consent';
import { analyze, type Evidence, type Finding } from '../../domain/support-bundle/analyze';
import type { RedactionRule } from '../../domain/support-bundle/redact';
import { download } from '../client';
import type { CliContext } from '../context';
import { table } from '../render';

interface BundleView {
  id: string;
  n: number;
  status: string;
  trigger: string;
  requestedBy: string;
  requestedAt: string;
  bytes?: number;
  error?: string;
  findings?: Finding[];
  manifest?: { leftOut?: string[]; redactions?: Record<string, number> };
}

const STOPS = ['collected', 'refused', 'not-allowed', 'failed', 'deleted'];

function findingLines(findings: Finding[]): string[] {
  return findings.length === 0 ? ['  no findings'] : findings.map((f) => `  ${f.severity.toUpperCase().padEnd(8)} ${f.title}\n           ${f.detail}`);
}

function describe(b: BundleView): string {
  return [`support bundle ${b.id}: ${b.status}${b.error ? ` (${b.error})` : ''}, ${b.trigger} by ${b.requestedBy} at ${b.requestedAt}${b.bytes ? `, ${b.bytes} bytes` : ''}`, ...(b.findings ? findingLines(b.findings) : [])].join('\n');
}

export function addSupportBundleCommands(program: Command, { client, print, id }: CliContext): void {
  const group = program.command('support-bundle').description("evidence from a cell, collected inside it with its customer's consent");
  group
    .command('collect <cell>')
    .option('--reason <reason>')
    .option('--wait', 'follow it until it is collected, refused or failed')
    .action(async (cell: string, options: { reason?: string; wait?: boolean }) => {
      let b = await client().request<BundleView>('POST', `/v1/cells/${id(cell)}/support-bundles`, options.reason ? { reason: options.reason } : null);
      while (options.wait && !STOPS.includes(b.status)) {
        await new Promise((r) => setTimeout(r, 1000));
        b = await client().request<BundleView>('GET', `/v1/cells/${id(cell)}/support-bundles/${b.n}`);
      }
      print(b, () => describe(b));
      if (options.wait && b.status !== 'collected') process.exitCode = 1;
    });
  group.command('list <cell>').action(async (cell: string) => {
    const { supportBundles } = await client().request<{ supportBundles: BundleView[] }>('GET', `/v1/cells/${id(cell)}/support-bundles`);
    print(supportBundles, () => table(['N', 'STATUS', 'TRIGGER', 'BY', 'AT', 'BYTES', 'FINDINGS'], supportBundles.map((b) => [String(b.n), b.status, b.trigger, b.requestedBy, b.requestedAt, String(b.bytes ?? ''), String(b.findings?.length ?? '')])));
  });
  group.command('get <cell> <n>').action(async (cell: string, n: string) => {
    const b = await client().request<BundleView>('GET', `/v1/cells/${id(cell)}/support-bundles/${id(n)}`);
    print(b, () => describe(b));
  });
  group
    .command('download <cell> <n>')
    .option('--out <file>')
    .action(async (cell: string, n: string, options: { out?: string }) => {
      const out = resolve(options.out ?? `support-bundle-${cell}-${n}.tar.gz`);
      writeFileSync(out, await download(client(), `/v1/cells/${id(cell)}/support-bundles/${id(n)}/download`));
      print({ file: out }, () => out);
    });
  group
    .command('decide <cell> <n> <decision>')
    .description("the cell's customer: approve or deny an operator's request; --key signs the approval, which a cell that pins the customer's key requires")
    .option('--reason <reason>')
    .option('--key <file>', "the customer's Ed25519 private key (cellshift releases keygen makes one)")
    .action(async (cell: string, n: string, decision: string, options: { reason?: string; key?: string }) => {
      const signature = options.key && decision === 'approve' ? signRelease(bundleApprovalDigest({ cellId: cell, n: Number(n) }), readFileSync(options.key, 'utf8'), 'support-bundle-consent') : undefined;
      const b = await client().request<BundleView>('POST', `/v1/cells/${id(cell)}/support-bundles/${id(n)}/decide`, { decision, ...(options.reason ? { reason: options.reason } : {}), ...(signature ? { signature } : {}) });
      print(b, () => describe(b));
    });
  group
    .command('policy <cell>')
    .description("what the cell's customer allows (set with the customer's token); --key signs it, which a cell that pins the customer's key requires")
    .option('--requests <ask|allow|never>')
    .option('--on-update-failure <collect|never>')
    .option('--retention-days <days>', 'how long a bundle is kept', Number)
    .option('--key <file>', "the customer's Ed25519 private key (cellshift releases keygen makes one)")
    .action(async (cell: string, options: { requests?: string; onUpdateFailure?: string; retentionDays?: number; key?: string }) => {
      const path = `/v1/cells/${id(cell)}/support-bundle-policy`;
      type Policy = { requests: 'ask' | 'allow' | 'never'; onUpdateFailure: 'collect' | 'never'; retentionDays: number; redactions: RedactionRule[]; signature?: unknown };
      const current = await client().request<Policy>('GET', path);
      const changed = options.requests || options.onUpdateFailure || options.retentionDays || options.key;
      let policy = current;
      if (changed) {
        const next = { requests: (options.requests ?? current.requests) as Policy['requests'], onUpdateFailure: (options.onUpdateFailure ?? current.onUpdateFailure) as Policy['onUpdateFailure'], retentionDays: options.retentionDays ?? current.retentionDays, redactions: current.redactions };
        // The terms the cell holds to, signed as they are sent.
        const signature = options.key ? signRelease(policyDigest({ cellId: cell, ...next }), readFileSync(options.key, 'utf8'), 'support-bundle-consent') : undefined;
        policy = await client().request<Policy>('PUT', path, { ...next, ...(signature ? { signature } : {}) });
      }
      print(policy, () => `requests: ${policy.requests}\non update failure: ${policy.onUpdateFailure}\nretention: ${policy.retentionDays} days\nredactions: ${policy.redactions.length}\nsigned: ${policy.signature ? 'yes' : 'no'}`);
    });
  group
    .command('analyze <file>')
    .description("the findings of a bundle on disk (one a customer collected and sent by hand)")
    .action(async (file: string) => {
      const findings = await analyzeFile(readFileSync(file));
      print(findings, () => findingLines(findings).join('\n'));
    });
}

/** A bundle's findings, worked out again from the evidence it holds. */
export async function analyzeFile(archive: Buffer): Promise<Finding[]> {
  const files = await unpackBundle(archive);
  const read = <T>(name: string): T | undefined => (files.has(name) ? (JSON.parse(files.get(name)!) as T) : undefined);
  const manifest = read<{ collectedAt?: string }>('manifest.json');
  const evidence: Evidence = {
    collectedAt: manifest?.collectedAt ?? new Date().toISOString(),
    pods: read('installation/pods.json'),
    events: read('installation/events.json'),
    nodes: read('cluster/nodes.json'),
    certificates: read('installation/certificates.json'),
    lastUpdate: read('cellshift/last-update.json'),
  };
  return analyze(evidence);
}

// `cellshift infra …`: a cell's infrastructure (CloudFormation) updates and their deadline.
import type { Command } from 'commander';
import type { InfraUpdateProgress } from '../../workflows/messages';
import type { CliContext } from '../context';

export function addInfraCommands(program: Command, { client, print, id }: CliContext): void {
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
}

// `cellshift contract …`: the customer's change contract. Operators set blackouts and fleet-wide
// freezes and mark emergency releases; the cell's customer (with the customer's token) sets
// blackouts within the contract, postpones, and approves or declines updates; both read what is
// upcoming for a cell and why.
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../client';
import { table } from '../render';

interface BlackoutView {
  id: string;
  cellId?: string;
  startsAt: string;
  endsAt: string;
  scope: string;
  reason: string;
  setBy: string;
  setByRole?: string;
}

interface UpcomingView {
  cellId: string;
  upcoming: null | {
    version: string;
    emergency: boolean;
    why: string;
    updateId?: string;
    noticeGivenAt?: string;
    startsAt?: string;
    held?: { rule: string; reason: string };
    waits?: { rule: string; reason: string; until?: string }[];
    postpone: { allowed: boolean; how?: string; latest?: string; reason?: string };
  };
  postponement?: { until: string; setBy: string; reason: string };
  blackouts: BlackoutView[];
  emergencyOverrides?: { version: string; at: string; overrode: string[] }[];
}

function blackoutTable(blackouts: BlackoutView[]): string {
  return table(['ID', 'CELL', 'FROM', 'UNTIL', 'SCOPE', 'BY', 'REASON'], blackouts.map((b) => [b.id, b.cellId ?? '(fleet)', b.startsAt, b.endsAt, b.scope, b.setBy, b.reason]));
}

function describeUpcoming(u: UpcomingView): string {
  const next = u.upcoming;
  const lines = [next ? `${u.cellId}: ${next.version}${next.emergency ? ' (EMERGENCY)' : ''} — ${next.why}${next.noticeGivenAt ? `, told ${next.noticeGivenAt}` : ''}` : `${u.cellId}: nothing upcoming`];
  if (next?.held) lines.push(`  held (${next.held.rule}): ${next.held.reason}`);
  if (next?.startsAt) lines.push(`  starts at the earliest ${next.startsAt}`);
  for (const w of next?.waits ?? []) lines.push(`  waits for ${w.rule}: ${w.reason}`);
  if (next) lines.push(next.postpone.allowed ? `  postpone: until ${next.postpone.latest} at the latest (cellshift contract postpone ${u.cellId} --until … --reason …)` : `  postpone: no (${next.postpone.reason})`);
  if (u.postponement) lines.push(`  postponed until ${u.postponement.until} by ${u.postponement.setBy}: ${u.postponement.reason}`);
  for (const b of u.blackouts) lines.push(`  ${b.cellId ? 'blackout' : 'freeze'} ${b.startsAt} → ${b.endsAt} (${b.scope}): ${b.reason}`);
  for (const o of u.emergencyOverrides ?? []) lines.push(`  emergency ${o.version} at ${o.at} overrode: ${o.overrode.join('; ')}`);
  return lines.join('\n');
}

export function addContractCommands(program: Command, { client, print, id }: CliContext): void {
  const contract = program.command('contract').description("the customer's change contract: blackouts, freezes, notice, postponements, approvals, emergencies");
  contract
    .command('upcoming <cell>')
    .description('what is upcoming for the cell, when at the earliest, what it waits for, and how to postpone it')
    .action(async (cell: string) => {
      const u = await client().request<UpcomingView>('GET', `/v1/cells/${id(cell)}/upcoming`);
      print(u, () => describeUpcoming(u));
    });
  contract
    .command('blackouts <cell>')
    .description("the cell's blackouts and the fleet's freezes")
    .action(async (cell: string) => {
      const { blackouts } = await client().request<{ blackouts: BlackoutView[] }>('GET', `/v1/cells/${id(cell)}/blackouts`);
      print(blackouts, () => blackoutTable(blackouts));
    });
  contract
    .command('blackout <cell>')
    .description('a blackout of the cell (operators any; its customer within the contract)')
    .requiredOption('--from <time>', 'ISO 8601 start')
    .requiredOption('--until <time>', 'ISO 8601 end')
    .requiredOption('--reason <reason>')
    .option('--scope <scope>', 'all | breaking | all-but-emergency', 'all-but-emergency')
    .action(async (cell: string, o: { from: string; until: string; reason: string; scope: string }) => {
      const b = await client().request<BlackoutView>('POST', `/v1/cells/${id(cell)}/blackouts`, { startsAt: o.from, endsAt: o.until, scope: o.scope, reason: o.reason });
      print(b, () => `blackout ${b.id} of ${cell}: ${b.startsAt} → ${b.endsAt} (${b.scope})`);
    });
  contract
    .command('end-blackout <cell> <id>')
    .description('ends a blackout now')
    .action(async (cell: string, blackout: string) => {
      await client().request('DELETE', `/v1/cells/${id(cell)}/blackouts/${id(blackout)}`);
      print({ ended: blackout }, () => `blackout ${blackout} ended`);
    });
  contract
    .command('freezes')
    .description('fleet-wide change freezes')
    .action(async () => {
      const { freezes } = await client().request<{ freezes: BlackoutView[] }>('GET', '/v1/freezes');
      print(freezes, () => blackoutTable(freezes));
    });
  contract
    .command('freeze')
    .description('a change freeze of the whole fleet (operators)')
    .requiredOption('--from <time>')
    .requiredOption('--until <time>')
    .requiredOption('--reason <reason>')
    .option('--scope <scope>', 'all | breaking | all-but-emergency', 'all-but-emergency')
    .action(async (o: { from: string; until: string; reason: string; scope: string }) => {
      const b = await client().request<BlackoutView>('POST', '/v1/freezes', { startsAt: o.from, endsAt: o.until, scope: o.scope, reason: o.reason });
      print(b, () => `freeze ${b.id}: ${b.startsAt} → ${b.endsAt} (${b.scope})`);
    });
  contract
    .command('end-freeze <id>')
    .action(async (freeze: string) => {
      await client().request('DELETE', `/v1/freezes/${id(freeze)}`);
      print({ ended: freeze }, () => `freeze ${freeze} ended`);
    });
  contract
    .command('postpone <cell>')
    .description("the cell's customer: no update starts before --until (within the contract)")
    .requiredOption('--until <time>', 'ISO 8601')
    .requiredOption('--reason <reason>')
    .action(async (cell: string, o: { until: string; reason: string }) => {
      const p = await client().request<{ until: string; setBy: string }>('POST', `/v1/cells/${id(cell)}/postponements`, { until: o.until, reason: o.reason });
      print(p, () => `${cell}: no update before ${p.until} (postponed by ${p.setBy})`);
    });
  contract
    .command('decide <cell> <update> <decision>')
    .description("the cell's customer: approve or deny an update its contract asks approval for")
    .option('--reason <reason>')
    .action(async (cell: string, update: string, decision: string, o: { reason?: string }) => {
      if (decision !== 'approve' && decision !== 'deny') throw new CliError(`decision must be approve or deny, not ${decision}`, EXIT.refused);
      const answer = await client().request<{ id: string; decision: string }>('POST', `/v1/cells/${id(cell)}/updates/${id(update)}/decide`, { decision, ...(o.reason ? { reason: o.reason } : {}) });
      print(answer, () => `${answer.decision === 'approve' ? 'approved' : 'denied'}: ${answer.id}`);
    });
  contract
    .command('emergency <version>')
    .description("an admin: mark a release an emergency (it overrides windows, notice, postponements and blackouts but those of scope all)")
    .requiredOption('--reason <reason>')
    .action(async (version: string, o: { reason: string }) => {
      const r = await client().request<{ version: string; emergency: { by: string; at: string } }>('POST', `/v1/releases/${id(version)}/emergency`, { reason: o.reason });
      print(r, () => `release ${r.version} is an emergency release (${r.emergency.by}, ${r.emergency.at})`);
    });
}

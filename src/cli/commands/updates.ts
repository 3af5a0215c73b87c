// `cellshift updates …`: an update of one cell, started, rolled back, followed and steered.
import { type Command, Option } from 'commander';
import type { CliContext } from '../context';
import { followUpdate } from '../follow';

export function addUpdatesCommands(program: Command, ctx: CliContext): void {
  const { client, print, id } = ctx;
  const updates = program.command('updates').description('updates of one cell');
  updates
    .command('start <cell> <version>')
    .addOption(new Option('--strategy <strategy>').choices(['maintenance-window', 'staging-first', 'live']))
    .option('--now', 'at once, not in the next maintenance window')
    .option('--watch', 'follow it to its end')
    .action(async (cell: string, version: string, options: { strategy?: string; now?: boolean; watch?: boolean }) => {
      const accepted = await client().request<{ id: string }>('POST', `/v1/cells/${id(cell)}/updates`, { version, ...(options.strategy ? { strategy: options.strategy } : {}), ...(options.now ? { window: 'now' } : {}) });
      await followUpdate(ctx, accepted.id, options.watch, accepted);
    });
  updates
    .command('rollback <cell>')
    .option('--to <version>', 'a version from its history (default: the one before)')
    .option('--watch', 'follow it to its end')
    .action(async (cell: string, options: { to?: string; watch?: boolean }) => {
      const accepted = await client().request<{ id: string }>('POST', `/v1/cells/${id(cell)}/rollback`, options.to ? { toVersion: options.to } : null);
      await followUpdate(ctx, accepted.id, options.watch, accepted);
    });
  updates
    .command('get <update>')
    .option('--watch', 'redraw as it changes, until it ends')
    .action(async (update: string, options: { watch?: boolean }) => followUpdate(ctx, update, options.watch));
  for (const action of ['approve', 'reject', 'pause', 'resume', 'cancel', 'retry', 'abandon'] as const) {
    updates
      .command(`${action} <update>`)
      .option('--reason <reason>')
      .action(async (update: string, options: { reason?: string }) => {
        const res = await client().request('POST', `/v1/updates/${id(update)}/${action}`, options.reason ? { reason: options.reason } : {});
        print(res ?? { id: update, action }, () => `${action}: accepted for ${update}`);
      });
  }
}

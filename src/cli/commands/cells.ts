// `cellshift cells list|get|remove`: the fleet, and one cell with its spec, state and history.
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { Cell, CellList } from '../../api/schemas/cells';
import { everyPage, type CliContext } from '../context';
import { table } from '../render';
import { addConfigCommands } from './cell-config';

export function addCellsCommands(program: Command, ctx: CliContext): void {
  const { client, print, id } = ctx;
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
      const all = await everyPage<Static<typeof CellList>, Static<typeof CellList>['cells'][number]>(ctx, '/v1/cells', query, (page) => page.cells);
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

  addConfigCommands(cells, ctx);
}

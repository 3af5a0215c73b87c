// `cellshift cells config get|set|unset|changes`: a cell's configuration values (docs/configuration-per-cell.md).
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { CellConfig, ConfigChanges, ConfigSetAccepted } from '../../api/schemas/config';
import { describeValue } from '../../domain/config';
import { parseAssignment } from '../config-assignment';
import type { CliContext } from '../context';
import { table } from '../render';

export function addConfigCommands(cells: Command, { client, print, id }: CliContext): void {
  const config = cells.command('config').description("a cell's configuration values: one release, each customer's own");
  config
    .command('get <cell>')
    .description("the items of the release the cell is going to, with the cell's values and where each comes from")
    .action(async (cell: string) => {
      const c = await client().request<Static<typeof CellConfig>>('GET', `/v1/cells/${id(cell)}/config`);
      print(c, () =>
        [
          `${c.cellId}  revision ${c.revision}${c.applied !== undefined ? ` (the cell runs ${c.applied})` : ''}${c.release ? `  items of ${c.release}` : ''}${c.setBy ? `  set by ${c.setBy} at ${c.setAt}` : ''}`,
          table(['ITEM', 'TYPE', 'SET BY', 'VALUE', 'SOURCE'], c.items.map((i) => [i.name, i.type, i.setBy, i.missing ? `MISSING (${i.missing})` : i.setBy === 'stack' ? `stack output ${i.output}` : i.value === undefined ? '' : describeValue(i.value), i.source])),
        ].join('\n'),
      );
    });
  config
    .command('set <cell> <assignments...>')
    .description('set items: name=value (a number, true/false or text, as the item is typed; a secret item: name=secret:<Secret>/<key>, a key of a Secret in the cell)')
    .option('--now', "apply the change at once, not in the cell's maintenance window")
    .action(async (cell: string, assignments: string[], options: { now?: boolean }) => {
      const api = client();
      const { items } = await api.request<Static<typeof CellConfig>>('GET', `/v1/cells/${id(cell)}/config`);
      const values = Object.fromEntries(assignments.map((a) => parseAssignment(a, items)));
      const set = await api.request<Static<typeof ConfigSetAccepted>>('PUT', `/v1/cells/${id(cell)}/config`, { values, ...(options.now ? { window: 'now' } : {}) });
      print(set, () => [...set.changed.map((ch) => `${ch.item}: ${describeValue(ch.old)} → ${describeValue(ch.new)}`), set.change].join('\n'));
    });
  config
    .command('unset <cell> <items...>')
    .description("unset items: the release's default applies again (a required item without one holds the cell)")
    .option('--now', "apply the change at once, not in the cell's maintenance window")
    .action(async (cell: string, names: string[], options: { now?: boolean }) => {
      const set = await client().request<Static<typeof ConfigSetAccepted>>('PUT', `/v1/cells/${id(cell)}/config`, { values: Object.fromEntries(names.map((n) => [n, null])), ...(options.now ? { window: 'now' } : {}) });
      print(set, () => [...set.changed.map((ch) => `${ch.item}: ${describeValue(ch.old)} → ${describeValue(ch.new)}`), set.change].join('\n'));
    });
  config
    .command('changes <cell>')
    .description('every change: who, when, old and new (a secret item shows the Secret and key it refers to; cellshift has no value of it)')
    .action(async (cell: string) => {
      const { changes } = await client().request<Static<typeof ConfigChanges>>('GET', `/v1/cells/${id(cell)}/config/changes`);
      print(changes, () => table(['REVISION', 'AT', 'BY', 'ITEM', 'OLD', 'NEW'], changes.map((ch) => [ch.revision, ch.at, ch.by, ch.item, describeValue(ch.old), describeValue(ch.new)])));
    });
}

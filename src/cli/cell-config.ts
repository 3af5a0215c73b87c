// `cellshift cells config get|set|unset|changes`: a cell's configuration values (docs/configuration-per-cell.md).
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { CellConfig, ConfigChanges, ConfigSetAccepted } from '../api/schemas/config';
import { describeValue, type ConfigValue } from '../domain/config';
import { CliError, EXIT, type ApiClient } from './client';
import { table } from './render';

interface Context {
  client: () => ApiClient;
  print: (value: unknown, text: () => string) => void;
  id: (value: string) => string;
}

export function addConfigCommands(cells: Command, { client, print, id }: Context): void {
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

/**
 * `name=value` as the item is typed (from the cell's config): a number, true/false, text, or for a
 * secret item `secret:<Secret>/<key>`. An item the cell's release does not list is taken as JSON,
 * else as text; the API says whether it is an item at all.
 */
export function parseAssignment(assignment: string, items: Static<typeof CellConfig>['items']): [string, ConfigValue] {
  const at = assignment.indexOf('=');
  if (at <= 0) throw new CliError(`"${assignment}" is not name=value`, EXIT.refused);
  const name = assignment.slice(0, at);
  const text = assignment.slice(at + 1);
  const type = items.find((i) => i.name === name)?.type;
  if (type === 'secret' || (type === undefined && text.startsWith('secret:'))) {
    const ref = /^secret:([^/]+)\/(.+)$/.exec(text);
    if (!ref) throw new CliError(`${name} is a secret item: give where its value is in the cell, ${name}=secret:<Secret>/<key> (never the value)`, EXIT.refused);
    return [name, { secret: { name: ref[1], key: ref[2] } }];
  }
  if (type === 'string' || type === 'enum') return [name, text];
  if (type === 'number') {
    if (text.trim() === '' || !Number.isFinite(Number(text))) throw new CliError(`${name} is a number: "${text}" is not`, EXIT.refused);
    return [name, Number(text)];
  }
  if (type === 'boolean') {
    if (text !== 'true' && text !== 'false') throw new CliError(`${name} is true or false: "${text}" is neither`, EXIT.refused);
    return [name, text === 'true'];
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'number' || typeof parsed === 'boolean' || typeof parsed === 'string') return [name, parsed];
  } catch {
    // text
  }
  return [name, text];
}

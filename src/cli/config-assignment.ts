// `name=value` assignments of `cellshift cells config set`, typed as the cell's items (docs/configuration-per-cell.md).
import type { Static } from 'typebox';
import type { CellConfig } from '../api/schemas/config';
import type { ConfigValue } from '../domain/config';
import { CliError, EXIT } from './client';

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

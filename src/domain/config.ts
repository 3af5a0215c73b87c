// Configuration per cell: what a release declares it takes (its items), what each cell's values
// are, and how a release's manifests refer to them. One release, every customer's own values.
//
// A manifest refers to an item in any string value as `${{ config.<item> }}` (a secret item's
// Secret as `${{ config.<item>.name }}` and `${{ config.<item>.key }}`). Neither a shell nor Helm
// gives that text a meaning: `${{` is a bad substitution in every POSIX shell, and a rendered
// Helm chart holds no `{{` of its own but literal text. A string that is one reference and nothing
// else takes the item's value as it is typed (a number stays a number); within other text, its
// text. `$${{` is a literal `${{`.
import type { ConfigItem } from './schemas/config';

/** Who sets an item: an operator, the cell's customer, or nobody (read from an output of the cell's stack). */
export type ConfigSetter = 'operator' | 'customer' | 'stack';
export const CONFIG_SETTERS: readonly ConfigSetter[] = ['operator', 'customer', 'stack'];

export type ConfigType = 'string' | 'number' | 'boolean' | 'enum' | 'secret';
export const CONFIG_TYPES: readonly ConfigType[] = ['string', 'number', 'boolean', 'enum', 'secret'];

/** An item's name: a letter, then letters, digits and underscores. */
export const CONFIG_ITEM_NAME = '^[A-Za-z][A-Za-z0-9_]{0,62}$';

// One item a release takes: a TypeBox schema (./schemas/config.ts), this its type.
export type { ConfigItem } from './schemas/config';

/** Where a secret item's value is: a key of a Secret in the cell, which cellshift never reads. */
export interface SecretReference {
  secret: { name: string; key: string };
}

export type ConfigValue = string | number | boolean | SecretReference;

/** A cell's values by item name, as set (defaults and stack outputs are not stored). */
export type ConfigValues = Record<string, ConfigValue>;

/** One problem with a declaration, values or references: where, and why. */
export interface ConfigProblem {
  field: string;
  reason: string;
}

const NAME = new RegExp(CONFIG_ITEM_NAME);
/** A Secret's name (a DNS subdomain) and a key of its data. */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
/** A CloudFormation output's name. */
const OUTPUT_NAME = /^[A-Za-z0-9]{1,255}$/;
const MAX_STRING = 4096;

// `$$` escapes; `${{ config.x }}`, `${{ config.x.name }}`. Anything else starting `${{ config.` is a malformed reference.
const REFERENCE = /(\$?)\$\{\{\s*config\.([A-Za-z][A-Za-z0-9_]*)(?:\.(name|key))?\s*\}\}/g;
const WHOLE = /^\$\{\{\s*config\.([A-Za-z][A-Za-z0-9_]*)(?:\.(name|key))?\s*\}\}$/;
const STARTS = /\$\{\{\s*config\./g;

/** The problems of a release's declaration (beyond its JSON Schema): duplicate names, defaults of the wrong type, a stack item with no output… */
export function declarationProblems(items: ConfigItem[], field = 'body.config'): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Map<string, number>();
  items.forEach((item, i) => {
    const at = `${field}.${i}`;
    const add = (suffix: string, reason: string) => problems.push({ field: `${at}${suffix}`, reason });
    if (!NAME.test(item.name)) add('.name', `"${item.name}" is not an item name (${CONFIG_ITEM_NAME})`);
    for (const name of [item.name, ...(item.renamedFrom ?? [])]) {
      const other = names.get(name);
      if (other !== undefined) add('.name', `${name} is also item ${other}'s name or former name`);
      else names.set(name, i);
    }
    if (item.type === 'enum' && !(item.values && item.values.length > 0)) add('.values', 'an enum item lists the values it may take');
    if (item.type !== 'enum' && item.values) add('.values', `only an enum item lists values; ${item.name} is a ${item.type}`);
    if (item.setBy === 'stack') {
      if (!item.output || !OUTPUT_NAME.test(item.output)) add('.output', `a stack item names the stack output it is read from`);
      if (item.type === 'secret') add('.type', 'a stack output is not a secret: a secret item is set by an operator or the customer');
    } else if (item.output) add('.output', `only a stack item names an output; ${item.name} is set by the ${item.setBy}`);
    if (item.type === 'secret') {
      if (item.default !== undefined) add('.default', 'a secret item has no default: its Secret is created in the cell');
      if (item.required === false) add('.required', 'a secret item is required: a reference to no Secret renders nothing a workload can use');
    } else if (item.default !== undefined) {
      const wrong = valueProblem(item, item.default);
      if (wrong) add('.default', wrong);
    }
  });
  return problems;
}

/** Why `value` is not a value of `item`, or undefined. */
export function valueProblem(item: ConfigItem, value: unknown): string | undefined {
  switch (item.type) {
    case 'string':
      return typeof value === 'string' && value.length <= MAX_STRING ? undefined : `${item.name} is a string of at most ${MAX_STRING} characters`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${item.name} is a number`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${item.name} is true or false`;
    case 'enum':
      return typeof value === 'string' && item.values?.includes(value) ? undefined : `${item.name} is one of ${(item.values ?? []).join(', ')}`;
    case 'secret': {
      const ref = (value as SecretReference | undefined)?.secret;
      const exact = typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof ref === 'object' && ref !== null && Object.keys(ref).sort().join() === 'key,name';
      if (!exact || typeof ref.name !== 'string' || typeof ref.key !== 'string') return `${item.name} is a secret: {"secret": {"name": <a Secret in the cell>, "key": <a key of its data>}}, never its value`;
      if (!SECRET_NAME.test(ref.name)) return `${item.name}: "${ref.name}" is not a Secret's name`;
      if (!SECRET_KEY.test(ref.key)) return `${item.name}: "${ref.key}" is not a key of a Secret's data`;
      return undefined;
    }
  }
}

/** One reference found in a release's manifests. */
export interface ConfigReference {
  item: string;
  part?: 'name' | 'key';
  /** where it is: the manifest's index and the path in it */
  field: string;
}

/** Every reference in the manifests, and the malformed ones as problems. */
export function findReferences(manifests: unknown[], field = 'body.manifests'): { references: ConfigReference[]; problems: ConfigProblem[] } {
  const references: ConfigReference[] = [];
  const problems: ConfigProblem[] = [];
  walkStrings(manifests, field, (text, at) => {
    if (!text.includes('${{')) return;
    let wellFormed = 0;
    for (const match of text.matchAll(REFERENCE)) {
      wellFormed++;
      if (match[1] === '$') continue; // escaped
      references.push({ item: match[2], ...(match[3] ? { part: match[3] as 'name' | 'key' } : {}), field: at });
    }
    const starts = [...text.matchAll(STARTS)].length;
    if (starts > wellFormed) problems.push({ field: at, reason: 'a malformed configuration reference: write ${{ config.<item> }} (a secret item: ${{ config.<item>.name }}, ${{ config.<item>.key }}), or $${{ for a literal ${{' });
  });
  return { references, problems };
}

/** References to items the release does not declare, or to a part an item does not have. */
export function referenceProblems(items: ConfigItem[], references: ConfigReference[]): ConfigProblem[] {
  const declared = new Map(items.map((i) => [i.name, i]));
  return references.flatMap((ref) => {
    const item = declared.get(ref.item);
    if (!item) return [{ field: ref.field, reason: `refers to ${ref.item}, which the release's config does not declare` }];
    if (item.type === 'secret' && !ref.part) return [{ field: ref.field, reason: `${ref.item} is a secret: refer to its Secret as \${{ config.${ref.item}.name }} and \${{ config.${ref.item}.key }}` }];
    if (item.type !== 'secret' && ref.part) return [{ field: ref.field, reason: `${ref.item} is a ${item.type}: only a secret item has .${ref.part}` }];
    return [];
  });
}

/** The value each item renders with, and the required ones without. */
export interface EffectiveConfig {
  values: Record<string, ConfigValue>;
  /** required items the cell has no value for, each with why */
  missing: { item: string; reason: string }[];
}

/**
 * Each item's value for a cell: a stack item from its stack output; any other from the cell's value
 * under its name or a former one, else its default. Values of another type than the release now
 * declares count as missing for a required item (and are left out otherwise).
 */
export function effectiveConfig(items: ConfigItem[], set: ConfigValues, outputs?: Record<string, string>): EffectiveConfig {
  const values: Record<string, ConfigValue> = {};
  const missing: EffectiveConfig['missing'] = [];
  for (const item of items) {
    if (item.setBy === 'stack') {
      const raw = outputs?.[item.output!];
      const value = raw === undefined ? undefined : fromOutput(item, raw);
      if (value !== undefined) values[item.name] = value;
      else if (item.default !== undefined) values[item.name] = item.default;
      else if (item.required) missing.push({ item: item.name, reason: outputs === undefined ? `read from stack output ${item.output}: the cell has no stack` : raw === undefined ? `stack output ${item.output} is missing` : `stack output ${item.output} is not a ${item.type}` });
      continue;
    }
    const own = [item.name, ...(item.renamedFrom ?? [])].map((n) => set[n]).find((v) => v !== undefined && !valueProblem(item, v));
    if (own !== undefined) values[item.name] = own;
    else if (item.default !== undefined) values[item.name] = item.default;
    else if (item.required || item.type === 'secret') missing.push({ item: item.name, reason: `set by the ${item.setBy}; the cell has no value` });
  }
  return { values, missing };
}

/** The items a cell lacks for a release, without reading its stack (stack items are checked where the stack is read). */
export function missingItems(items: ConfigItem[], set: ConfigValues): EffectiveConfig['missing'] {
  return effectiveConfig(
    items.filter((i) => i.setBy !== 'stack'),
    set,
  ).missing;
}

/** Whether the change from `before` to `after` touches an item that asks for maintenance mode. */
export function changeNeedsMaintenance(items: ConfigItem[], before: Record<string, ConfigValue>, after: Record<string, ConfigValue>): boolean {
  return items.some((i) => i.maintenance && JSON.stringify(before[i.name]) !== JSON.stringify(after[i.name]));
}

/** The manifests with every reference replaced by its item's value; a reference without one fails (a render never guesses). */
export function renderManifests<T>(manifests: T[], values: Record<string, ConfigValue>): T[] {
  const valueOf = (item: string, part: string | undefined): ConfigValue => {
    const value = values[item];
    if (value === undefined) throw new Error(`configuration item ${item} has no value`);
    if (part) return (value as SecretReference).secret[part as 'name' | 'key'];
    return value;
  };
  const render = (text: string): unknown => {
    if (!text.includes('${{')) return text;
    const whole = WHOLE.exec(text);
    if (whole) return valueOf(whole[1], whole[2]);
    return text.replace(REFERENCE, (all, escape: string, item: string, part: string | undefined) => (escape ? all.slice(1) : String(valueOf(item, part))));
  };
  return manifests.map((m) => mapStrings(m, render) as T);
}

/** Secret items' references, as the cell must hold them. */
export function secretReferences(items: ConfigItem[], values: Record<string, ConfigValue>): { item: string; name: string; key: string }[] {
  return items.filter((i) => i.type === 'secret' && values[i.name] !== undefined).map((i) => ({ item: i.name, ...(values[i.name] as SecretReference).secret }));
}

/** A value as the change log shows it: a secret item's reference (never a value: cellshift has none). */
export function describeValue(value: ConfigValue | undefined): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'object') return `Secret ${value.secret.name}, key ${value.secret.key}`;
  return JSON.stringify(value);
}

function fromOutput(item: ConfigItem, raw: string): ConfigValue | undefined {
  if (item.type === 'number') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
  if (item.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : undefined;
  if (item.type === 'enum') return item.values?.includes(raw) ? raw : undefined;
  return raw;
}

function walkStrings(value: unknown, at: string, visit: (text: string, at: string) => void): void {
  if (typeof value === 'string') visit(value, at);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, `${at}.${i}`, visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, `${at}.${k}`, visit);
}

function mapStrings(value: unknown, map: (text: string) => unknown): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, map)]));
  return value;
}

/** An item as the newest release that declares it says, and which release that is. */
export interface DeclaredItem {
  item: ConfigItem;
  version: string;
}

/**
 * The items a cell may hold values for: those declared by the releases it may run (newest first:
 * the newest declaration of a name decides its type and who sets it), each under its name and its
 * former names.
 */
export function declaredItems(releases: { version: string; config?: ConfigItem[] }[], compare: (a: string, b: string) => number): Map<string, DeclaredItem> {
  const found = new Map<string, DeclaredItem>();
  for (const release of [...releases].sort((a, b) => compare(b.version, a.version))) {
    for (const item of release.config ?? []) {
      if (!found.has(item.name)) found.set(item.name, { item, version: release.version });
    }
  }
  return found;
}

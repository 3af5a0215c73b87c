// What a support bundle may never carry out of a cell. Secret data is never collected (no
// collector reads a Secret's data into the bundle); what still shows up in text (a token in a log
// line, a password in an environment dump, an address) is replaced before a file is written: by
// the built-in rules below, the rules the cell's customer added, and every value of the cell's
// own Secrets, which the collector reads inside the cell only to find them in text.

// One rule: what to find, and what to put in its place (`$1` and the like refer to its groups); a
// TypeBox schema, since the customer's policy and a release carry rules.
export type { RedactionRule } from '../schemas/support-bundle';
import type { RedactionRule } from '../schemas/support-bundle';

const MASK = '***';

/** Built in, in the order they apply: the specific before the general. */
export const BUILTIN_REDACTIONS: readonly RedactionRule[] = [
  { name: 'private-key', pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----', replacement: '-----PRIVATE KEY REDACTED-----' },
  { name: 'bearer', pattern: '\\b(Bearer|Basic|Token)\\s+[A-Za-z0-9\\-._~+/]{8,}=*', replacement: `$1 ${MASK}`, ignoreCase: true },
  { name: 'jwt', pattern: '\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}' },
  { name: 'url-credentials', pattern: '\\b([a-z][a-z0-9+.-]{0,30}://)[^/\\s:@]{1,256}:[^/\\s@]{1,256}@', replacement: `$1${MASK}:${MASK}@` },
  {
    name: 'key-value',
    pattern: '((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|credentials?)["\']?\\s*[:=]\\s*["\']?)[^\\s"\',;}]{1,512}',
    replacement: `$1${MASK}`,
    ignoreCase: true,
  },
  { name: 'aws-access-key', pattern: '\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b' },
  { name: 'email', pattern: '[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\\.[A-Za-z]{2,24}' },
  { name: 'ipv4', pattern: '\\b(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}\\b' },
  { name: 'ipv6', pattern: '\\b(?:[0-9A-Fa-f]{1,4}:){3,7}[0-9A-Fa-f]{1,4}\\b|\\b(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{0,4}\\b' },
];

/** Values shorter than this are not redacted by value (a Secret holding `1` or `true` would mask every such character). */
export const MIN_SECRET_VALUE_LENGTH = 6;

/** How many of each rule's matches were replaced in a bundle: what the bundle's manifest tells. */
export type RedactionCounts = Record<string, number>;

/** Why a customer's rule cannot be used, or undefined when it can. */
export function ruleProblem(rule: RedactionRule): string | undefined {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(rule.name)) return 'name: lowercase letters, digits and dashes, at most 63';
  if (rule.pattern.length === 0 || rule.pattern.length > 500) return 'pattern: 1 to 500 characters';
  try {
    if (new RegExp(rule.pattern, 'g').test('')) return 'pattern: matches the empty string';
  } catch (err) {
    return `pattern: not a regular expression (${(err as Error).message})`;
  }
  return undefined;
}

/**
 * A redactor for one bundle: the built-in rules, then the customer's, then the cell's Secret values
 * (longest first, so a value containing another goes whole). Counts what it replaced, by rule.
 */
export function redactor(customerRules: readonly RedactionRule[] = [], secretValues: readonly string[] = []) {
  const rules = [...BUILTIN_REDACTIONS, ...customerRules].map((rule) => ({ name: rule.name, regex: new RegExp(rule.pattern, rule.ignoreCase ? 'gi' : 'g'), replacement: rule.replacement ?? MASK }));
  // Each value as it is, and as it shows inside JSON text (escaped).
  const values = [...new Set(secretValues.filter((v) => v.length >= MIN_SECRET_VALUE_LENGTH).flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  const counts: RedactionCounts = {};
  const count = (name: string, n: number) => {
    if (n > 0) counts[name] = (counts[name] ?? 0) + n;
  };
  const redact = (text: string): string => {
    let out = text;
    // The cell's own secrets first: a rule's mask must not leave half of one behind.
    for (const value of values) {
      const parts = out.split(value);
      count('secret-value', parts.length - 1);
      out = parts.join(MASK);
    }
    for (const rule of rules) {
      out = out.replace(rule.regex, (...match: unknown[]) => {
        count(rule.name, 1);
        return expand(rule.replacement, match as string[]);
      });
    }
    return out;
  };
  /** Every string of a value (an object as the Kubernetes API gives it), and the value of each `{name, value}` pair whose name says it is secret. */
  const redactValue = <T>(value: T): T => {
    if (typeof value === 'string') return redact(value) as T;
    if (Array.isArray(value)) return value.map(redactValue) as T;
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const secretPair = typeof object.name === 'string' && SECRET_NAME.test(object.name) && typeof object.value === 'string' && object.value.length > 0;
    if (secretPair) count('secret-named-value', 1);
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, secretPair && k === 'value' ? MASK : redactValue(v)])) as T;
  };
  return { counts, redact, redactValue };
}

/** A name (of an environment variable, a parameter) that says its value is secret. */
const SECRET_NAME = /pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth/i;

/** `$1`… of a replacement, from a match's groups. */
function expand(replacement: string, match: string[]): string {
  return replacement.replace(/\$(\d)/g, (_, n: string) => (typeof match[Number(n)] === 'string' ? match[Number(n)] : ''));
}

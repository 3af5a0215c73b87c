import { PATTERN_REASONS } from '../../domain/references';
import type { FieldError } from './problem';

/** Ajv's errors, as the fields a client sent wrong and why. */
export function fieldErrors(context: string, errors: SchemaError[]): FieldError[] {
  // A bad property name is reported twice (its pattern, then `propertyNames`): once is enough.
  return pruneUnionErrors(errors)
    .filter((e) => e.keyword !== 'propertyNames')
    .map((v) => validationError(context, v));
}

interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
  /** set on the errors of a property name (`propertyNames`) */
  propertyName?: string;
}

/** Errors that say a union's branch is not the one the client meant: another `kind`, a field it lacks or does not know. */
const WRONG_BRANCH = ['const', 'required', 'additionalProperties'];

/**
 * A union (`anyOf`) reports every branch's errors. Where one branch fits the request's shape (no
 * wrong `kind`, no missing or unknown field) keep only what is wrong within it: `cluster.namespace:
 * must match pattern`, not the simulated branch's complaints too. Innermost unions first.
 * By hand: Ajv's `discriminator` needs a tag on every branch, and `kubeconfig` (path or secretRef) has none.
 */
export function pruneUnionErrors<T extends SchemaError>(errors: T[]): T[] {
  let kept = [...errors];
  const unions = [...new Set(errors.flatMap((e) => [...e.schemaPath.matchAll(/\/anyOf(?=\/\d+)/g)].map((m) => e.schemaPath.slice(0, m.index + m[0].length))))];
  for (const union of unions.sort((a, b) => b.length - a.length)) {
    const branches = new Map<string, boolean>(); // branch → has a wrong-branch error of its own
    for (const e of kept) {
      const branch = new RegExp(`^${escape(union)}/(\\d+)(/.*)?$`).exec(e.schemaPath);
      if (!branch) continue;
      const own = !(branch[2] ?? '').includes('/anyOf/');
      branches.set(branch[1], (branches.get(branch[1]) ?? false) || (own && WRONG_BRANCH.includes(e.keyword)));
    }
    const fitting = [...branches].filter(([, wrong]) => !wrong).map(([b]) => b);
    if (fitting.length === 0) continue;
    kept = kept.filter((e) => {
      if (e.schemaPath === union && e.keyword === 'anyOf') return false;
      const branch = new RegExp(`^${escape(union)}/(\\d+)(/|$)`).exec(e.schemaPath);
      return !branch || fitting.includes(branch[1]);
    });
  }
  return kept;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function validationError(context: string, v: { instancePath: string; message?: string; params: Record<string, unknown>; propertyName?: string }): FieldError {
  let path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (v.propertyName !== undefined) path = path ? `${path}.${v.propertyName}` : v.propertyName;
  if (v.params.missingProperty) path = path ? `${path}.${v.params.missingProperty}` : String(v.params.missingProperty);
  if (v.params.additionalProperty) {
    path = path ? `${path}.${v.params.additionalProperty}` : String(v.params.additionalProperty);
    return { field: `${context}.${path}`, reason: 'is not a known field' };
  }
  let reason = v.message ?? 'is invalid';
  const allowed = v.params.allowedValues as unknown[] | undefined;
  // A long list (the time zones) is the API document's to show, not every answer's.
  if (allowed) reason = allowed.length > 20 ? `is not one of the ${allowed.length} values the API document (/docs/json) lists for it` : `must be one of ${allowed.join(', ')}`;
  if (typeof v.params.pattern === 'string' && PATTERN_REASONS[v.params.pattern]) reason = PATTERN_REASONS[v.params.pattern];
  if (v.propertyName !== undefined && typeof v.params.pattern === 'string') reason = `is not a valid name: ${reason}`;
  return { field: path ? `${context}.${path}` : context, reason };
}

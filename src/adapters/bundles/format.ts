// The release bundle format, shared by the builder and the store:
//   manifest.json           the Release
//   checksums.sha256        `<sha256-hex>  <path>` per line (sha256sum's format), every other file
//   images/<component>.tar  one image archive per component, unless its ref is pinned by digest
import { Value } from 'typebox/value';
import { SignedRelease as ReleaseSchema } from '../../domain/schemas/release';
import { PATTERN_REASONS } from '../../domain/references';
import type { Release } from '../../domain/release';
import { releaseProblems } from '../../domain/release-checks';

export const MANIFEST = 'manifest.json';
export const CHECKSUMS = 'checksums.sha256';
/** a manifest is small; a bigger one is a mistake, and it is read into memory */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** read into memory too: room for 10,000 files with paths of 300 characters */
export const MAX_CHECKSUMS_BYTES = 4 * 1024 * 1024;

export function imageEntry(component: string): string {
  return `images/${component}.tar`;
}

/** A bundle refused, with the HTTP status it means and, for a bad manifest, each field. */
export class BundleError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly errors?: { field: string; reason: string }[],
  ) {
    super(message);
    this.name = 'BundleError';
  }
}

/** A ref like `registry/app@sha256:<64 hex>` needs no image in the bundle: cells pull it by digest. */
export function isDigestPinned(ref: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(ref);
}

/** The manifest, checked against the same schema as `POST /v1/releases`, with its defaults applied. */
export function parseManifest(text: string): Release {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BundleError(`${MANIFEST} is not valid JSON: ${(err as Error).message}`);
  }
  const withDefaults = Value.Default(ReleaseSchema, Value.Clone(value));
  const errors = [...Value.Errors(ReleaseSchema, withDefaults)].flatMap(fieldErrors);
  if (errors.length === 0) errors.push(...releaseProblems(withDefaults as Release, 'manifest'));
  if (errors.length) throw new BundleError(`${MANIFEST} is invalid: ${errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}`, 400, errors);
  return withDefaults as Release;
}

function fieldErrors(e: { keyword: string; schemaPath: string; instancePath: string; params: Record<string, unknown>; message: string }): { field: string; reason: string }[] {
  const at = (path: string) => ['manifest', ...path.split('/').filter(Boolean)].join('.');
  if (e.keyword === 'boolean') return []; // `additionalProperties: false` reports each extra field twice
  if (e.keyword === 'required') return (e.params.requiredProperties as string[]).map((p) => ({ field: at(`${e.instancePath}/${p}`), reason: 'is required' }));
  if (e.keyword === 'additionalProperties') {
    return (e.params.additionalProperties as string[]).map((p) => ({ field: at(`${e.instancePath}/${p}`), reason: 'is not a known field' }));
  }
  if (e.keyword === 'propertyNames') return []; // its name's own error says which and why
  const named = typeof e.params.pattern === 'string' ? PATTERN_REASONS[e.params.pattern] : undefined;
  // A property name's error points at the property; its value's own error, if any, comes too.
  const reason = named ? (e.schemaPath.endsWith('/propertyNames') ? `is not a valid name: ${named}` : named) : e.message;
  return [{ field: at(e.instancePath), reason }];
}

/** `sha256sum` output: path → hex digest. A `*` before the path (binary mode) is accepted. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.replace(/\r$/, ''));
    if (!match) throw new BundleError(`${CHECKSUMS} line ${i + 1} is not "<sha256>  <path>"`);
    const path = match[2].replace(/^(\.\/)+/, '');
    if (sums.has(path)) throw new BundleError(`${CHECKSUMS} lists ${path} twice`);
    sums.set(path, match[1].toLowerCase());
  });
  return sums;
}

export function formatChecksums(sums: Map<string, string>): string {
  return [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([path, hex]) => `${hex}  ${path}\n`).join('');
}

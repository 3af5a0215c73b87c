// The shapes' building blocks, in TypeBox: each schema is the single source of its TypeScript type
// (Static<>), validated by the API with Ajv. Values here run outside workflows; workflow code
// imports their types only.
import { Type } from 'typebox';
import { IMAGE_REFERENCE, LABEL_VALUE, VERSION } from '../references';

/** A string limited to `values`, typed as their union, with a plain `enum` for clear errors. */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * A string or null, as OpenAPI 3.0 says it (`nullable`) rather than an `anyOf`: the response
 * serializer writes it directly instead of validating each value to pick a branch.
 */
export function NullableString(options: Record<string, unknown> = {}) {
  return Type.Unsafe<string | null>({ type: 'string', nullable: true, ...options });
}

export const Version = Type.String({ pattern: VERSION, maxLength: 64, description: 'a semantic or calendar version: 1.2.3, 1.2.3-rc.1, 2026.12.1' });
/** A component's name: a Kubernetes label value. */
export const ComponentName = Type.String({ pattern: LABEL_VALUE });
/** An OCI image reference: [registry[:port]/]name[:tag][@sha256:…]. */
export const ImageReference = Type.String({ pattern: IMAGE_REFERENCE, maxLength: 512 });
/** An infrastructure template's version, as its vendor names it (1.4.0, 2026-12-01, v7). */
export const TemplateVersion = Type.String({ pattern: '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$' });
export const CellId = Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'DNS-label-like cell id' });

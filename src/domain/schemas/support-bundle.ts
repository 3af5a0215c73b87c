// What a support bundle's collection takes from outside cellshift, in TypeBox: a redaction rule
// (the customer's, in the cell's policy; the vendor's, in a release) and what a release adds to
// cellshift's collection spec. Limits as the spec holds them (src/domain/support-bundle/spec.ts).
import { Type, type Static } from 'typebox';

export const RedactionRule = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    pattern: Type.String({ minLength: 1, maxLength: 500, description: 'a JavaScript regular expression, without delimiters; applied to every line' }),
    replacement: Type.Optional(Type.String({ maxLength: 200, description: '$1… name its groups; default ***' })),
    ignoreCase: Type.Optional(Type.Boolean({ description: 'upper and lower case alike' })),
  },
  { additionalProperties: false },
);

export const ReleaseBundleSpec = Type.Object(
  {
    logLines: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'the last lines of each container log (cellshift collects 500)' })),
    maxBytes: Type.Optional(Type.Integer({ minimum: 1024 * 1024, maximum: 200 * 1024 * 1024, description: "the bundle's cap (cellshift's: 20 MiB)" })),
    redactions: Type.Optional(Type.Array(RedactionRule, { maxItems: 50, description: "the release's own redactions (its components' secrets by their shape), beyond the built-in ones" })),
  },
  { additionalProperties: false, description: "what this release adds to cellshift's support-bundle collection for the cells that run it" },
);

export type RedactionRule = Static<typeof RedactionRule>;
export type ReleaseBundleSpec = Static<typeof ReleaseBundleSpec>;

import { Type, type Static } from 'typebox';
import { Version } from './common';

export const Release = Type.Object(
  {
    version: Version,
    components: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }), Type.String({ minLength: 1, pattern: '^[^\\s]+$' }), {
      minProperties: 1,
    }),
    breaking: Type.Boolean({ default: false }),
    minFromVersion: Type.Optional(Version),
    requiredStepStones: Type.Optional(Type.Array(Version, { uniqueItems: true })),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false },
);
export type ReleaseBody = Static<typeof Release>;

export const ReleaseList = Type.Array(Release);

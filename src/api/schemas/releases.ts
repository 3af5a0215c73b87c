import { Type, type Static } from 'typebox';
import { RINGS } from '../../domain/release';
import { StringEnum, Version } from './common';

export const Release = Type.Object(
  {
    version: Version,
    components: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }), Type.String({ minLength: 1, pattern: '^[^\\s]+$' }), {
      minProperties: 1,
    }),
    breaking: Type.Boolean({ default: false }),
    minFromVersion: Type.Optional(Version),
    requiredStepStones: Type.Optional(Type.Array(Version, { uniqueItems: true })),
    infraTemplate: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    flags: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$' }), { uniqueItems: true })),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false },
);
export type ReleaseBody = Static<typeof Release>;

export const CatalogRelease = Type.Object({
  version: Type.String(),
  components: Type.Record(Type.String(), Type.String()),
  breaking: Type.Boolean(),
  minFromVersion: Type.Optional(Type.String()),
  requiredStepStones: Type.Optional(Type.Array(Type.String())),
  infraTemplate: Type.Optional(Type.String()),
  flags: Type.Optional(Type.Array(Type.String())),
  notes: Type.Optional(Type.String()),
  source: Type.String(),
  rings: Type.Array(Type.String()),
  publishedAt: Type.String(),
});

export const ReleaseList = Type.Array(CatalogRelease);

export const PromoteBody = Type.Object({ ring: StringEnum(RINGS) }, { additionalProperties: false });
export const ReleaseParams = Type.Object({ version: Version });

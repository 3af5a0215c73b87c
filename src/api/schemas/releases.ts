import { Type } from 'typebox';
import { RINGS } from '../../domain/release';
import { StringEnum, Version } from '../../domain/schemas/common';
import { ConfigItem } from '../../domain/schemas/config';
import { ReleaseSignature } from '../../domain/schemas/release';

const catalogFields = {
  version: Type.String(),
  components: Type.Record(Type.String(), Type.String()),
  breaking: Type.Boolean(),
  minFromVersion: Type.Optional(Type.String()),
  requiredStepStones: Type.Optional(Type.Array(Type.String())),
  infraTemplate: Type.Optional(Type.String()),
  workloadSelectors: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.String()))),
  config: Type.Optional(Type.Array(ConfigItem)),
  flags: Type.Optional(Type.Array(Type.String())),
  notes: Type.Optional(Type.String()),
  signature: Type.Optional(ReleaseSignature),
  digest: Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: "the SHA-256 of the release's document (everything but its manifests, which it names by contentDigest), as canonical JSON (RFC 8785): what an update names it by" }),
  contentDigest: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'the SHA-256 of its manifests, as canonical JSON' })),
  content: Type.Optional(
    Type.Object(
      {
        digest: Type.String(),
        bytes: Type.Integer(),
        objects: Type.Array(Type.Object({ apiVersion: Type.String(), kind: Type.String(), name: Type.String(), namespace: Type.Optional(Type.String()) })),
      },
      { description: 'what its manifests hold: their size and objects (the manifests themselves: ?manifests=true, operators)' },
    ),
  ),
  source: Type.String(),
  rings: Type.Array(Type.String()),
  publishedAt: Type.String(),
  veto: Type.Optional(Type.Object({ by: Type.String(), reason: Type.String(), at: Type.String() }, { description: 'vetoed: never offered, installed or rolled out again' })),
  emergency: Type.Optional(Type.Object({ by: Type.String(), reason: Type.String(), at: Type.String() }, { description: "an emergency release: it overrides cells' windows, postponements and blackouts but those of scope all" })),
};

export const CatalogRelease = Type.Object({
  ...catalogFields,
  manifests: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'only with ?manifests=true, to an operator' })),
  cellsOnIt: Type.Optional(Type.Array(Type.String(), { description: 'a vetoed release: the cells that run it (the first 1,000, by id)' })),
});

export const ReleaseSummary = Type.Object({ ...catalogFields, manifestCount: Type.Integer({ description: "objects in the release's manifests; GET /v1/releases/:version lists them" }) });

export const ReleaseQuery = Type.Object(
  { manifests: Type.Optional(Type.Boolean({ description: "the release's manifests too (operators; a release carries no Secret data)" })) },
  { additionalProperties: false },
);

export const ReleaseListQuery = Type.Object(
  {
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    pageToken: Type.Optional(Type.String({ maxLength: 2000, description: 'the nextPageToken of the previous page' })),
  },
  { additionalProperties: false },
);

export const ReleasePage = Type.Object({
  releases: Type.Array(ReleaseSummary, { description: 'oldest first, without their manifests' }),
  nextPageToken: Type.Optional(Type.String({ description: 'absent on the last page' })),
});

export const VetoBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
export const PromoteBody = Type.Object({ ring: StringEnum(RINGS) }, { additionalProperties: false });
export const ReleaseParams = Type.Object({ version: Version });

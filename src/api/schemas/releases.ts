import { Type, type Static } from 'typebox';
import { RINGS } from '../../domain/release';
import { LABEL_VALUE } from '../../domain/references';
import { ComponentName, ImageReference, StringEnum, Version } from '../../domain/schemas/common';
import { ConfigItem } from '../../domain/schemas/config';

export const ReleaseSignature = Type.Object(
  {
    keyId: Type.String({ pattern: '^[0-9a-f]{16}$', description: "the first 16 hex digits of the SHA-256 of the vendor's public key (SPKI)" }),
    algorithm: Type.Literal('ed25519'),
    value: Type.String({ pattern: '^[A-Za-z0-9+/]{86}==$', description: "base64 Ed25519 signature over 'cellshift release v1\\n' + the release's digest (cellshift releases sign)" }),
  },
  { additionalProperties: false, description: "the vendor's signature over the release's digest; not part of the digest" },
);

export const Release = Type.Object(
  {
    version: Version,
    components: Type.Record(Type.String(), ImageReference, {
      minProperties: 1,
      maxProperties: 200,
      // Each name a Kubernetes label value: refused by name, not as an unknown field.
      propertyNames: ComponentName,
      description: 'component name (a Kubernetes label value) → its image (an OCI reference)',
    }),
    breaking: Type.Boolean({ default: false }),
    minFromVersion: Type.Optional(Version),
    requiredStepStones: Type.Optional(Type.Array(Version, { uniqueItems: true, maxItems: 100 })),
    infraTemplate: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    manifests: Type.Optional(
      Type.Array(
        Type.Object(
          {
            apiVersion: Type.String({ minLength: 1 }),
            kind: Type.String({ pattern: '^[A-Z][A-Za-z0-9]*$' }),
            metadata: Type.Object({ name: Type.String({ pattern: '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$' }) }, { additionalProperties: true }),
          },
          { additionalProperties: true },
        ),
        { minItems: 1, maxItems: 10_000, description: 'rendered Kubernetes objects, applied whole by server-side apply into the installation namespace; stored once by their digest, never carried by a workflow; no Secret with data' },
      ),
    ),
    workloadSelectors: Type.Optional(
      Type.Record(
        Type.String({ pattern: LABEL_VALUE }),
        Type.Record(Type.String({ pattern: '^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$' }), Type.String({ pattern: '^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$' }), { minProperties: 1, additionalProperties: false }),
        {
          additionalProperties: false,
          description: "for a release that names only images: component → labels its Deployments or StatefulSets carry, when neither the workload's name nor app.kubernetes.io/name or app names the component",
        },
      ),
    ),
    config: Type.Optional(Type.Array(ConfigItem, { maxItems: 500, description: "what each cell configures: items its manifests refer to as ${{ config.<name> }}, rendered with each cell's own values" })),
    flags: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 100 }), { uniqueItems: true, maxItems: 200 })),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
    signature: Type.Optional(ReleaseSignature),
  },
  { additionalProperties: false },
);
export type ReleaseBody = Static<typeof Release>;

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

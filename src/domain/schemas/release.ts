// A release's shape, in TypeBox: validated at publish (and in a bundle), and the domain's Release
// type is derived from it (Static<>). Workflow code imports the types only.
import { Type, type Static } from 'typebox';
import { LABEL_VALUE } from '../references';
import { ComponentName, ImageReference, Version } from './common';
import { ConfigItem } from './config';
import { ReleaseBundleSpec } from './support-bundle';

export const ReleaseSignature = Type.Object(
  {
    keyId: Type.String({ pattern: '^[0-9a-f]{16}$', description: "the first 16 hex digits of the SHA-256 of the vendor's public key (SPKI)" }),
    algorithm: Type.Literal('ed25519'),
    value: Type.String({ pattern: '^[A-Za-z0-9+/]{86}==$', description: "base64 Ed25519 signature over 'cellshift release v1\\n' + the release's digest (cellshift releases sign)" }),
  },
  { additionalProperties: false, description: "the vendor's signature over the release's digest; not part of the digest" },
);

/** A release as its vendor publishes it: what it runs, how it is reached, what each cell configures. */
export const ReleaseShape = Type.Object(
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
    supportBundle: Type.Optional(ReleaseBundleSpec),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false },
);

/** One object of a release's manifests, as `kubectl apply` would take it. */
export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** One application version (its manifests typed as Kubernetes objects). */
export type Release = Omit<Static<typeof ReleaseShape>, 'manifests'> & { manifests?: KubernetesManifest[] };
export type ReleaseSignature = Static<typeof ReleaseSignature>;

/** A release as published: the release and, apart from what its digest covers, the vendor's signature. */
export const SignedRelease = Type.Object({ ...ReleaseShape.properties, signature: Type.Optional(ReleaseSignature) }, { additionalProperties: false });


import { Type } from 'typebox';
import { CellId, StringEnum } from '../../domain/schemas/common';
import { ReleaseSignature } from '../../domain/schemas/release';
import { RedactionRule as Rule } from '../../domain/schemas/support-bundle';

export const SupportBundlePolicyBody = Type.Object(
  {
    requests: StringEnum(['ask', 'allow', 'never'] as const, { description: "an operator's request: the customer approves each (ask), all are allowed, or none" }),
    onUpdateFailure: StringEnum(['collect', 'never'] as const, { description: 'when an update fails or is rolled back: collect a bundle at once, or not' }),
    retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'how long a bundle is kept (default 30)' })),
    redactions: Type.Optional(Type.Array(Rule, { maxItems: 50, description: "the customer's own redactions, beyond the built-in ones" })),
    signature: Type.Optional({ ...ReleaseSignature, description: "the customer's Ed25519 signature over the policy's terms (cellshift support-bundle policy --key signs them): required by a cell that pins its customer's key" }),
  },
  { additionalProperties: false },
);

export const SupportBundlePolicy = Type.Object({
  requests: Type.String(),
  onUpdateFailure: Type.String(),
  retentionDays: Type.Integer(),
  redactions: Type.Array(Rule),
  signature: Type.Optional(ReleaseSignature),
  setBy: Type.Optional(Type.String()),
  setAt: Type.Optional(Type.String({ format: 'date-time' })),
});

export const RequestBundleBody = Type.Union([Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) }, { additionalProperties: false }), Type.Null()]);

const Finding = Type.Object({ severity: Type.String(), analyzer: Type.String(), title: Type.String(), detail: Type.String(), object: Type.Optional(Type.String()) });

export const SupportBundle = Type.Object({
  findings: Type.Optional(Type.Array(Finding, { description: 'what a person reads first, the most severe first' })),
  id: Type.String(),
  cellId: Type.String(),
  n: Type.Integer(),
  status: Type.String({ description: 'waiting-consent, collecting, collected, refused, not-allowed, failed, deleted' }),
  trigger: Type.String(),
  requestedBy: Type.String(),
  reason: Type.Optional(Type.String()),
  updateId: Type.Optional(Type.String()),
  requestedAt: Type.String({ format: 'date-time' }),
  collectedAt: Type.Optional(Type.String({ format: 'date-time' })),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  bytes: Type.Optional(Type.Integer()),
  digest: Type.Optional(Type.String()),
  manifest: Type.Optional(
    Type.Object(
      {
        specVersion: Type.Integer(),
        limits: Type.Optional(Type.Object({ logLines: Type.Integer(), maxBytes: Type.Integer() }, { description: "what it was collected with: cellshift's spec, as the release running in the cell extends it" })),
        cellId: Type.String(),
        collectedAt: Type.String({ format: 'date-time' }),
        collectedBy: Type.String({ description: "the cell's agent (its identity), or the control plane's worker for a direct cell" }),
        files: Type.Array(Type.Object({ path: Type.String(), bytes: Type.Integer() })),
        leftOut: Type.Array(Type.String(), { description: 'files over the cap, left out' }),
        redactions: Type.Record(Type.String(), Type.Integer(), { description: 'what was replaced, by rule' }),
        errors: Type.Array(Type.Object({ collector: Type.String(), error: Type.String() }), { description: 'collectors that could not read the cell, and why' }),
      },
      { description: 'what the bundle holds (also its manifest.json)' },
    ),
  ),
  error: Type.Optional(Type.String()),
  download: Type.Optional(Type.String({ description: 'where its bytes are (a gzipped tar), while it is kept' })),
});

export const SupportBundleList = Type.Object({ supportBundles: Type.Array(SupportBundle) });
export const SupportBundleParams = Type.Object({ cellId: CellId, n: Type.Integer({ minimum: 1 }) });
export const DecideBundleBody = Type.Object(
  {
    decision: StringEnum(['approve', 'deny'] as const),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    signature: Type.Optional({ ...ReleaseSignature, description: "the customer's Ed25519 signature over this request's approval (cellshift support-bundle decide --key): a cell that pins the customer's key collects nothing on an approval without it" }),
  },
  { additionalProperties: false },
);

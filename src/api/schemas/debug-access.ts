import { ReleaseSignature } from '../../domain/schemas/release';
import { Type } from 'typebox';
import { CellId, StringEnum } from '../../domain/schemas/common';

export const DebugAccessBody = Type.Object(
  {
    scope: Type.Object(
      {
        namespace: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'the namespace inside the cell' }),
        role: StringEnum(['view', 'edit'] as const, { description: 'view reads workloads and logs; edit also changes them and execs into pods; neither reads Secrets' }),
      },
      { additionalProperties: false },
    ),
    durationMinutes: Type.Number({ minimum: 0.01, maximum: 480, description: 'how long the access lasts once granted' }),
    decisionMinutes: Type.Optional(Type.Number({ minimum: 0.01, maximum: 24 * 60, description: 'how long the customer has to decide (default 60); no decision is a denial' })),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    publicKey: Type.String({ minLength: 1, maxLength: 4096, description: 'the requester\'s X25519 public key (PEM): the token is sealed to it' }),
  },
  { additionalProperties: false },
);

export const DebugAccessParams = Type.Object({ cellId: CellId, n: Type.Integer({ minimum: 1 }) });

export const DecideBody = Type.Object(
  {
    decision: StringEnum(['approve', 'deny'] as const),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    signature: Type.Optional({ ...ReleaseSignature, description: "the customer's Ed25519 signature over the request's terms (cellshift debug decide --key): a cell that pins the customer's key grants nothing without it" }),
  },
  { additionalProperties: false },
);

export const RevokeBody = Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }), Type.Null()]);

const Event = Type.Object({ event: Type.String(), by: Type.String(), at: Type.String(), reason: Type.Optional(Type.String()) });

export const DebugAccess = Type.Object({
  id: Type.String({ description: '<cell>/<n>' }),
  cellId: Type.String(),
  n: Type.Integer(),
  scope: Type.Object({ namespace: Type.String(), role: Type.String() }),
  durationMinutes: Type.Number(),
  reason: Type.String(),
  requestedBy: Type.String(),
  requestedAt: Type.String(),
  status: Type.String({ description: 'waiting-decision, granting, active, revoking, ended' }),
  decideBy: Type.String(),
  publicKeySha256: Type.Optional(Type.String({ description: "SHA-256 of the requester's public key: part of the terms a customer signs" })),
  decision: Type.Optional(Type.Object({ approve: Type.Boolean(), by: Type.String(), at: Type.String(), reason: Type.String(), signature: Type.Optional(ReleaseSignature) })),
  grantedAt: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
  sealedToken: Type.Optional(
    Type.Object(
      { algorithm: Type.String(), ephemeralPublicKey: Type.String(), iv: Type.String(), ciphertext: Type.String(), tag: Type.String() },
      { description: 'the token, sealed to the request\'s public key (X25519, HKDF-SHA-256, AES-256-GCM): open it with `npm run open-debug-token`' },
    ),
  ),
  endedAt: Type.Optional(Type.String()),
  end: Type.Optional(Type.String({ description: 'denied, no-decision, expired, revoked, grant-failed' })),
  events: Type.Array(Event),
});

// n's maximum is the audit table's integer column's: a larger one is a 400, not the database's error.
export const AuditQuery = Type.Object({ n: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, description: 'one request of the cell; all of them without' })) }, { additionalProperties: false });

export const DebugAccessAudit = Type.Object({
  requests: Type.Array(
    Type.Object({
      id: Type.String({ description: '<cell>/<n>' }),
      n: Type.Integer(),
      workflowId: Type.String(),
      runId: Type.String(),
      scope: Type.Object({ namespace: Type.String(), role: Type.String() }),
      durationMinutes: Type.Number(),
      events: Type.Array(Type.Object({ event: Type.String(), by: Type.String(), at: Type.String(), reason: Type.Optional(Type.String()), recordedAt: Type.String() }), {
        description: 'requested, approved/denied/no-decision, granted, revoke-requested, expired/revoked, grant-failed, ended (its reason: why it ended)',
      }),
    }),
  ),
});

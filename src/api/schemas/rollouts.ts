import { Type } from 'typebox';
import { RINGS } from '../../domain/release';
import { StringEnum, Version } from './common';

export const StartRolloutBody = Type.Object(
  {
    version: Version,
    rings: Type.Optional(Type.Array(StringEnum(RINGS), { minItems: 1, uniqueItems: true })),
    waves: Type.Object(
      {
        maxConcurrent: Type.Integer({ minimum: 1, maximum: 1000 }),
        maxFailures: Type.Optional(Type.Integer({ minimum: 0 })),
        maxFailurePercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
      },
      { additionalProperties: false },
    ),
    bakeMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 7 * 24 * 60 })),
    approvalBetweenRings: Type.Optional(Type.Boolean()),
    window: Type.Optional(
      Type.Literal('now', { description: "update each cell at once instead of in its next maintenance window (an urgent fix); strategies and approvals still apply" }),
    ),
  },
  { additionalProperties: false },
);

const CellRollout = Type.Object({
  id: Type.String(),
  state: Type.String(),
  startedAt: Type.Optional(Type.String()),
  endedAt: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
});

export const Rollout = Type.Object({
  id: Type.String(),
  version: Type.String(),
  status: Type.String(),
  rings: Type.Array(
    Type.Object({
      ring: Type.String(),
      state: Type.String(),
      cells: Type.Optional(Type.Array(CellRollout)),
      startedAt: Type.Optional(Type.String()),
      endedAt: Type.Optional(Type.String()),
      health: Type.Optional(Type.String()),
    }),
  ),
  counts: Type.Object({ pending: Type.Integer(), running: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer(), held: Type.Integer() }),
  failuresAllowed: Type.Integer(),
  haltReason: Type.Optional(Type.String()),
  actions: Type.Array(Type.Object({ action: Type.String(), by: Type.String(), at: Type.String(), reason: Type.Optional(Type.String()) })),
  startedAt: Type.String(),
  endedAt: Type.Optional(Type.String()),
});

export const RolloutParams = Type.Object({ rolloutId: Version });
export const RolloutCommandBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })), rollback: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  Type.Null(),
]);

export const RolloutStarted = Type.Object({ id: Type.String(), status: Type.String() });
export const RolloutCommandAccepted = Type.Object({ id: Type.String(), action: Type.String(), by: Type.String() });

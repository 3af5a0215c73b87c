import { Type } from 'typebox';
import { NullableString } from '../../domain/schemas/common';

const Step = Type.Object({
  name: Type.String(),
  status: Type.String(),
  startedAt: Type.Optional(Type.String()),
  endedAt: Type.Optional(Type.String()),
  attempts: Type.Integer(),
  error: Type.Optional(Type.String()),
  updateId: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
});

export const Update = Type.Object({
  id: Type.String(),
  cellId: Type.String(),
  fromVersion: NullableString(),
  toVersion: Type.String(),
  strategy: Type.String(),
  status: Type.String(),
  window: Type.Optional(Type.Object({ startsAt: Type.String(), endsAt: Type.String() })),
  approval: Type.Optional(
    Type.Object(
      {
        askedAt: Type.String(),
        deadline: Type.String(),
        onDeadline: Type.String(),
        decision: Type.Optional(Type.Object({ approve: Type.Boolean(), by: Type.String(), at: Type.String(), reason: Type.Optional(Type.String()) })),
      },
      { description: "its cell's customer approves it (POST /v1/cells/:cellId/updates/:updateId/decide) by the deadline; without a decision, onDeadline" },
    ),
  ),
  waitingFor: Type.Optional(Type.Array(Type.Object({ rule: Type.String(), reason: Type.String(), until: Type.Optional(Type.String()) }), { description: "while it waits: what the cell's change contract holds it for, each until when" })),
  decisionDeadline: Type.Optional(Type.String()),
  steps: Type.Array(Step),
  compensations: Type.Array(Step),
  failedStep: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  actions: Type.Array(Type.Object({ action: Type.String(), by: Type.String(), at: Type.String(), reason: Type.Optional(Type.String()) })),
  staging: Type.Optional(
    Type.Object({ cellId: Type.String(), updateId: Type.Optional(Type.String()), version: Type.Optional(Type.String()), keptNewVersion: Type.Boolean() }),
  ),
  startedAt: Type.String(),
  endedAt: Type.Optional(Type.String()),
  supportBundle: Type.Optional(
    Type.Object(
      { id: Type.String(), status: Type.String(), url: Type.String(), error: Type.Optional(Type.String()) },
      { description: 'a failed or rolled-back update: the support bundle asked for it (collected, or why not)' },
    ),
  ),
});

export const UpdateParams = Type.Object({ updateId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*-u\\d+$', description: '<cellId>-u<n>' }) });

export const CommandBody = Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }), Type.Null()]);

export const CommandAccepted = Type.Object({ id: Type.String(), action: Type.String(), by: Type.String() });

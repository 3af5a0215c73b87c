import { Type } from 'typebox';
import { RINGS } from '../../domain/release';
import { VERSION } from '../../domain/references';
import { StringEnum, Version } from '../../domain/schemas/common';

export const StartRolloutBody = Type.Object(
  {
    version: Version,
    rings: Type.Optional(Type.Array(StringEnum(RINGS), { minItems: 1, uniqueItems: true })),
    waves: Type.Object(
      {
        maxConcurrent: Type.Integer({ minimum: 1, maximum: 1000 }),
        maxFailures: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
        maxFailurePercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
      },
      { additionalProperties: false },
    ),
    bakeMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 7 * 24 * 60 })),
    approvalBetweenRings: Type.Optional(Type.Boolean()),
    window: Type.Optional(
      Type.Literal('now', { description: "update each cell at once instead of in its next maintenance window (an urgent fix); strategies and approvals still apply" }),
    ),
    canary: Type.Optional(
      Type.Object(
        {
          cells: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'how many cells of each ring go first, alone' })),
          percent: Type.Optional(Type.Number({ minimum: 0.01, maximum: 100, description: "… or which share of each ring's cells (at least one)" })),
          bakeMinutes: Type.Number({ minimum: 0, maximum: 7 * 24 * 60, description: "how long the canaries bake before the ring's health check and the rest of the ring" }),
        },
        { additionalProperties: false },
      ),
    ),
    deadline: Type.Optional(Type.String({ format: 'date-time', description: 'no cell starts after this; a cell whose next window opens later is held' })),
    autoVeto: Type.Optional(Type.Boolean({ description: 'over its failure budget, the rollout vetoes the release instead of halting' })),
  },
  { additionalProperties: false },
);

export const RollbackRolloutBody = Type.Union([
  Type.Object(
    {
      rings: Type.Optional(Type.Array(StringEnum(RINGS), { minItems: 1, uniqueItems: true })),
      waves: Type.Optional(Type.Object({ maxConcurrent: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false })),
      respectWindows: Type.Optional(Type.Boolean({ description: "start each cell's rollback in its maintenance window instead of at once" })),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

const PlannedCell = Type.Object({
  id: Type.String(),
  canary: Type.Optional(Type.Boolean()),
  startsAt: Type.String({ description: 'when it would start: its window open and a slot free' }),
  endsAt: Type.String({ description: 'startsAt plus its expectedUpdateMinutes (per step)' }),
  steppingStones: Type.Optional(Type.Array(Type.String(), { description: 'releases it installs first, in order, on its way' })),
});

export const RolloutPlan = Type.Object({
  version: Type.String(),
  startsAt: Type.String(),
  endsAt: Type.String({ description: 'when the last ring would end, if every update takes its expected time and approvals come at once' }),
  rings: Type.Array(
    Type.Object({
      ring: Type.String(),
      startsAt: Type.String(),
      endsAt: Type.String(),
      canariesBakedAt: Type.Optional(Type.String()),
      waitsForApproval: Type.Boolean(),
      cells: Type.Array(PlannedCell, { description: 'in the order they would start' }),
      held: Type.Array(Type.Object({ id: Type.String(), reason: Type.String() })),
      upToDate: Type.Array(Type.String(), { description: 'cells already on the release' }),
    }),
  ),
});

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
      canaries: Type.Optional(Type.Array(Type.String(), { description: 'the cells that went first, alone' })),
      canariesBaked: Type.Optional(Type.Boolean()),
      startedAt: Type.Optional(Type.String()),
      endedAt: Type.Optional(Type.String()),
      health: Type.Optional(Type.String()),
    }),
  ),
  counts: Type.Object({ pending: Type.Integer(), running: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer(), held: Type.Integer() }),
  failuresAllowed: Type.Integer(),
  haltReason: Type.Optional(Type.String()),
  veto: Type.Optional(Type.Object({ by: Type.String(), reason: Type.String(), at: Type.String() }, { description: 'the release was vetoed: no cell started since' })),
  rollback: Type.Optional(Type.Boolean({ description: 'takes the cells on the version back to what each ran before' })),
  actions: Type.Array(Type.Object({ action: Type.String(), by: Type.String(), at: Type.String(), reason: Type.Optional(Type.String()) })),
  startedAt: Type.String(),
  endedAt: Type.Optional(Type.String()),
});

export const RolloutParams = Type.Object({
  rolloutId: Type.String({ pattern: `^(rollback-)?${VERSION.slice(1)}`, maxLength: 80, description: 'the release version, or rollback-<version>' }),
});
export const RolloutCommandBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })), rollback: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  Type.Null(),
]);

export const RolloutStarted = Type.Object({ id: Type.String(), status: Type.String() });
export const RolloutCommandAccepted = Type.Object({ id: Type.String(), action: Type.String(), by: Type.String() });

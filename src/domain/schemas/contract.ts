// The customer's change contract, in TypeBox: what a cell's spec says of it (notice, the customer's
// limits), a blackout (a cell's own, or a fleet-wide freeze), a postponement. Stored and shown by
// the API; the decision that reads them is src/domain/contract.ts.
import { Type, type Static } from 'typebox';
import { StringEnum } from './common';

export const BLACKOUT_SCOPES = ['all', 'breaking', 'all-but-emergency'] as const;
export type BlackoutScope = (typeof BLACKOUT_SCOPES)[number];

/** What the cell's contract says, in its spec (set by the operator at registration). */
export const CellContract = Type.Object(
  {
    lag: Type.Optional(Type.Integer({ minimum: 0, maximum: 2, description: 'follow the ring this many minor versions behind its newest release (GitLab Dedicated runs one behind)' })),
    noticeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 90, description: "days of notice before an update's window (default: its ring's)" })),
    customerBlackouts: Type.Optional(
      Type.Object(
        {
          maxDaysPerQuarter: Type.Integer({ minimum: 0, maximum: 92, description: 'how many days of blackout the customer may set per calendar quarter' }),
          minNoticeDays: Type.Integer({ minimum: 0, maximum: 90, description: 'how many days ahead a customer blackout must start' }),
        },
        { additionalProperties: false },
      ),
    ),
    approval: Type.Optional(
      Type.Object(
        {
          deadlineHours: Type.Integer({ minimum: 1, maximum: 30 * 24, description: 'how long after an update is scheduled the customer has to decide' }),
          onDeadline: StringEnum(['proceed', 'skip'] as const, { description: 'without a decision by then: the update goes on, or is skipped (rejected)' }),
        },
        { additionalProperties: false, description: "each update waits for its customer's approval (an emergency release does not)" },
      ),
    ),
    postponement: Type.Optional(
      Type.Object(
        {
          maxDays: Type.Integer({ minimum: 0, maximum: 180, description: 'how far past its scheduled window the customer may move an update' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: "the customer's change contract: notice, and what the customer may set (blackouts, postponements)" },
);
export type CellContract = Static<typeof CellContract>;

export const BlackoutBody = Type.Object(
  {
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time' }),
    scope: StringEnum(BLACKOUT_SCOPES, { description: 'all: no update at all, not even an emergency; breaking: no breaking release; all-but-emergency: only emergencies' }),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);

export const PostponementBody = Type.Object(
  {
    until: Type.String({ format: 'date-time', description: 'no update of the cell starts before this moment' }),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);

import { Type } from 'typebox';
import { RINGS } from '../../domain/release';
import { CellId, StringEnum } from '../../domain/schemas/common';

export const FlagParams = Type.Object({ flag: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 100 }) });
export const FlagRule = Type.Object({ scope: Type.String(), target: Type.String(), enabled: Type.Boolean(), setBy: Type.String(), at: Type.String() });
export const FlagRules = Type.Record(Type.String(), Type.Array(FlagRule));

export const SetFlagBody = Type.Object(
  {
    rings: Type.Optional(Type.Array(StringEnum(RINGS), { uniqueItems: true })),
    cells: Type.Optional(Type.Array(CellId, { uniqueItems: true, maxItems: 1000 })),
    enabled: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const FlagSet = Type.Object({ flag: Type.String(), rules: Type.Array(FlagRule), notified: Type.Integer() });

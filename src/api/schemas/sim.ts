import { Type } from 'typebox';
import { FAULT_STEPS } from '../../domain/faults';
import { CellId, ComponentName, StringEnum, TemplateVersion } from '../../domain/schemas/common';

export const SimCellParams = Type.Object({ cellId: CellId });

const Fault = Type.Object(
  {
    mode: StringEnum(['none', 'fail', 'fail-times', 'hang'] as const),
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    components: Type.Optional(Type.Array(ComponentName, { maxItems: 100, uniqueItems: true, description: 'health only: unhealthy while these components run a new image' })),
  },
  { additionalProperties: false },
);

export const Faults = Type.Object(Object.fromEntries(FAULT_STEPS.map((step) => [step, Type.Optional(Fault)])), {
  additionalProperties: false,
});

const StackFault = Type.Object(
  {
    mode: StringEnum(['none', 'fail', 'fail-times'] as const),
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const StackFaults = Type.Object({ prepare: Type.Optional(StackFault), execute: Type.Optional(StackFault), update: Type.Optional(StackFault) }, { additionalProperties: false });

export const CustomerApplyBody = Type.Object({ templateVersion: TemplateVersion }, { additionalProperties: false });

import { Type } from 'typebox';
import { FAULT_STEPS } from '../../domain/faults';
import { StringEnum } from './common';

const Fault = Type.Object(
  {
    mode: StringEnum(['none', 'fail', 'fail-times', 'hang'] as const),
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    components: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'health only: unhealthy while these components run a new image' })),
  },
  { additionalProperties: false },
);

export const Faults = Type.Object(Object.fromEntries(FAULT_STEPS.map((step) => [step, Type.Optional(Fault)])), {
  additionalProperties: false,
});

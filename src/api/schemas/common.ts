import { Type, type TSchema } from 'typebox';

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), reason: Type.String() }))),
  },
  { additionalProperties: true, $id: 'Problem' },
);

export const ProblemRef = Type.Unsafe({ $ref: 'Problem#' });

/** The problem responses a route may give, for its schema. */
export function problems(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((code) => [code, ProblemRef]));
}

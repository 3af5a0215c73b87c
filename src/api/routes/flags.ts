import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FlagStore } from '../../adapters/flags/flag-store';
import type { FlagRule } from '../../domain/flags';
import { RINGS } from '../../domain/release';
import { cellWorkflowId } from '../../workflows/ids';
import { flagsChangedSignal } from '../../workflows/messages';
import { cellExists, ringCellIds } from '../cell-list';
import type { ApiContext } from '../context';
import { badRequest } from '../problem';
import { CellId, StringEnum, problems } from '../schemas/common';

const FlagName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 100 });
const Rule = Type.Object({ scope: Type.String(), target: Type.String(), enabled: Type.Boolean(), setBy: Type.String(), at: Type.String() });
const SetFlagBody = Type.Object(
  {
    rings: Type.Optional(Type.Array(StringEnum(RINGS), { uniqueItems: true })),
    cells: Type.Optional(Type.Array(CellId, { uniqueItems: true, maxItems: 1000 })),
    enabled: Type.Boolean(),
  },
  { additionalProperties: false },
);

/**
 * Feature flags, apart from deploys: rules per ring or per cell, pushed to every affected cell by
 * its controller (a signal), with no redeploy. A cell whose release does not declare the flag gets
 * it when it arrives on one that does.
 */
export async function flagRoutes(app: FastifyInstance, ctx: ApiContext & { flags: FlagStore }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/flags',
    { config: { role: 'viewer' }, schema: { summary: 'Every flag rule', response: { 200: Type.Record(Type.String(), Type.Array(Rule)), ...problems(401) } } },
    async () => ctx.flags.all(),
  );

  api.put(
    '/v1/flags/:flag',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Enable or disable a flag for rings or cells',
        params: Type.Object({ flag: FlagName }),
        body: SetFlagBody,
        response: { 200: Type.Object({ flag: Type.String(), rules: Type.Array(Rule), notified: Type.Integer() }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { rings = [], cells = [], enabled } = request.body;
      if (rings.length + cells.length === 0) throw badRequest([{ field: 'body', reason: 'name at least one of rings or cells' }]);
      const unknown = [];
      for (const cell of cells) if (!(await cellExists(ctx, cell))) unknown.push(cell);
      if (unknown.length > 0) throw badRequest(unknown.map((cell) => ({ field: 'body.cells', reason: `cell ${cell} is not registered` })));

      const at = new Date().toISOString();
      const rules: FlagRule[] = [
        ...rings.map((ring) => ({ scope: 'ring' as const, target: ring, enabled, setBy: request.subject, at })),
        ...cells.map((cell) => ({ scope: 'cell' as const, target: cell, enabled, setBy: request.subject, at })),
      ];
      const stored = await ctx.flags.set(request.params.flag, rules);
      const affected = new Set(cells);
      for (const ring of rings) for (const cell of await ringCellIds(ctx, ring)) affected.add(cell);
      await Promise.all([...affected].map((cell) => ctx.temporal.workflow.getHandle(cellWorkflowId(cell)).signal(flagsChangedSignal)));
      return { flag: request.params.flag, rules: stored, notified: affected.size };
    },
  );
}

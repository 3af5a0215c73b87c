import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Faults as FaultsType } from '../../domain/faults';
import type { ApiContext } from '../context';
import { notFound } from '../problem';
import { CellId, problems } from '../schemas/common';
import { Faults } from '../schemas/sim';

const Params = Type.Object({ cellId: CellId });

/** Control knobs of simulated cells: fault injection and a look at the simulated cluster. */
export async function simRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.put(
    '/v1/sim/cells/:cellId/faults',
    { config: { role: 'admin' }, schema: { summary: 'Set the injected faults of a simulated cell', params: Params, body: Faults, response: { 200: Faults, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      const faults = request.body as FaultsType;
      if (!(await ctx.simulated.setFaults(request.params.cellId, faults))) throw notFound(`simulated cell ${request.params.cellId}`);
      return faults;
    },
  );

  api.get(
    '/v1/sim/cells/:cellId',
    { config: { role: 'viewer' }, schema: { summary: 'The state of a simulated cell’s cluster', params: Params, response: problems(401, 404) } },
    async (request) => {
      const cell = await ctx.simulated.store.get(request.params.cellId);
      if (!cell) throw notFound(`simulated cell ${request.params.cellId}`);
      return cell;
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Faults as FaultsType } from '../../domain/faults';
import type { SimulatedStack, StackFaults as StackFaultsType } from '../../adapters/simulated/stack';
import type { ApiContext } from '../context';
import { notFound } from '../problem';
import { CellId, problems } from '../schemas/common';
import { Faults } from '../schemas/sim';

const Params = Type.Object({ cellId: CellId });

const StackFault = Type.Object(
  { mode: Type.Unsafe<'none' | 'fail' | 'fail-times'>({ type: 'string', enum: ['none', 'fail', 'fail-times'] }), times: Type.Optional(Type.Integer({ minimum: 1 })), latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })), reason: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
const StackFaults = Type.Object({ prepare: Type.Optional(StackFault), execute: Type.Optional(StackFault), update: Type.Optional(StackFault) }, { additionalProperties: false });

/** Control knobs of simulated cells: fault injection and a look at the simulated cluster and stack. */
export async function simRoutes(app: FastifyInstance, ctx: ApiContext & { simulatedStack: SimulatedStack }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.put(
    '/v1/sim/cells/:cellId/stack-faults',
    { config: { role: 'admin' }, schema: { summary: 'Set the injected faults of a simulated stack (update: the stack update rolls back)', params: Params, body: StackFaults, response: { 200: StackFaults, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      if (!(await ctx.simulatedStack.setFaults(request.params.cellId, request.body as StackFaultsType))) throw notFound(`simulated stack of ${request.params.cellId}`);
      return request.body;
    },
  );

  api.post(
    '/v1/sim/cells/:cellId/stack/customer-apply',
    {
      config: { role: 'admin' },
      schema: { summary: 'Act as the customer running a template on the simulated stack', params: Params, body: Type.Object({ templateVersion: Type.String({ minLength: 1 }) }, { additionalProperties: false }), response: problems(400, 401, 403, 404) },
    },
    async (request) => {
      try {
        return await ctx.simulatedStack.customerApply(request.params.cellId, request.body.templateVersion);
      } catch {
        throw notFound(`simulated stack of ${request.params.cellId}`);
      }
    },
  );

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

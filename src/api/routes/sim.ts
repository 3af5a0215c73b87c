import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StackFaults as StackFaultsType } from '../../adapters/simulated/stack';
import type { Faults as FaultsType } from '../../domain/faults';
import { notFound } from '../http/problem';
import { problems } from '../schemas/common';
import { CustomerApplyBody, Faults, SimCellParams, StackFaults } from '../schemas/sim';

/** Control knobs of simulated cells: fault injection and a look at the simulated cluster and stack. */
/** A simulated cell's or stack's state, as its file holds it. */
const SimState = Type.Object({}, { additionalProperties: true, description: 'the simulated state, as stored' });

const sim: FastifyPluginAsyncTypebox = async (app) => {
  const { simulated, simulatedStack } = app;

  app.put(
    '/v1/sim/cells/:cellId/stack-faults',
    { config: { role: 'admin' }, schema: { summary: 'Set the injected faults of a simulated stack (update: the stack update rolls back)', params: SimCellParams, body: StackFaults, response: { 200: StackFaults, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      if (!(await simulatedStack.setFaults(request.params.cellId, request.body as StackFaultsType))) throw notFound(`simulated stack of ${request.params.cellId}`);
      return request.body;
    },
  );

  app.post(
    '/v1/sim/cells/:cellId/stack/customer-apply',
    {
      config: { role: 'admin' },
      schema: { summary: 'Act as the customer running a template on the simulated stack', params: SimCellParams, body: CustomerApplyBody, response: { 200: SimState, ...problems(400, 401, 403, 404) } },
    },
    async (request) => {
      try {
        return await simulatedStack.customerApply(request.params.cellId, request.body.templateVersion);
      } catch {
        throw notFound(`simulated stack of ${request.params.cellId}`);
      }
    },
  );

  app.put(
    '/v1/sim/cells/:cellId/faults',
    { config: { role: 'admin' }, schema: { summary: 'Set the injected faults of a simulated cell', params: SimCellParams, body: Faults, response: { 200: Faults, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      const faults = request.body as FaultsType;
      if (!(await simulated.setFaults(request.params.cellId, faults))) throw notFound(`simulated cell ${request.params.cellId}`);
      return faults;
    },
  );

  app.get(
    '/v1/sim/cells/:cellId',
    { config: { role: 'viewer' }, schema: { summary: 'The state of a simulated cell’s cluster', params: SimCellParams, response: { 200: SimState, ...problems(401, 404) } } },
    async (request) => {
      const cell = await simulated.store.get(request.params.cellId);
      if (!cell) throw notFound(`simulated cell ${request.params.cellId}`);
      return cell;
    },
  );
};

export default sim;

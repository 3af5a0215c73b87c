import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { controllerOf } from '../../../workflows/cell/client';
import { removeCell } from '../../../workflows/messages';
import { toCell } from './view';
import { readCell } from '../read-views';
import { Cell, CellParams, CellRemovals, RemoveCellQuery } from '../../schemas/cells';
import { problems } from '../../schemas/common';

/** Removing a cell (its controller does it: cancel its update if asked, end its workflows, leave the read model), and the audit of removals. */
const cellRemoval: FastifyPluginAsyncTypebox = async (app) => {
  app.delete(
    '/v1/cells/:cellId',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Remove a cell: refused while an update runs unless cancelUpdate; its debug grants are revoked, its infrastructure updates cancelled, its bootstrap token dropped; its id can be registered again once it is gone',
        params: CellParams,
        querystring: RemoveCellQuery,
        response: { 202: Cell, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { cellId } = request.params;
      await readCell(app, cellId); // 404 for a cell that is not there (or is gone)
      const view = await controllerOf(app.temporal, cellId).executeUpdate(removeCell, { args: [{ by: request.subject, cancelUpdate: request.query.cancelUpdate ?? false, ...(request.query.reason ? { reason: request.query.reason } : {}) }] });
      return reply.status(202).send(toCell(view));
    },
  );

  app.get(
    '/v1/cells/:cellId/removals',
    { config: { role: 'admin' }, schema: { summary: "The removals of cells with this id: who, when, why, and the cell's last view and updates", params: CellParams, response: { 200: CellRemovals, ...problems(400, 401, 403) } } },
    async (request) => {
      const removals = await app.cells.removals(request.params.cellId);
      return { removals: removals.map(({ view, ...removal }) => ({ cellId: request.params.cellId, ...removal, cell: toCell(view) })) };
    },
  );
};

export default cellRemoval;

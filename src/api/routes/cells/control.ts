import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { controllerOf } from '../../../workflows/cell/client';
import {
  checkNowSignal,
  configureCell,
  requestRollback,
  requestUpdate,
  resolveDrift,
  setDesiredVersion,
  type UpdateAccepted as UpdateAcceptedMessage,
} from '../../../workflows/messages';
import { toCell } from './view';
import { refuseVetoed } from '../../http/problem';
import {
  Cell,
  CellParams,
  CellSettingsBody,
  CheckAccepted,
  DesiredVersionAccepted,
  DesiredVersionBody,
  DriftParams,
  RequestUpdateBody,
  RollbackBody,
  UpdateAccepted,
} from '../../schemas/cells';
import { problems } from '../../schemas/common';

/** Steering a cell through its controller: updates, rollback, desired version, settings, checks, drift. */
const cellControl: FastifyPluginAsyncTypebox = async (app) => {
  const controller = (cellId: string) => controllerOf(app.temporal, cellId);

  app.post(
    '/v1/cells/:cellId/updates',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Request an update of the cell to a release',
        params: CellParams,
        body: RequestUpdateBody,
        response: { 202: UpdateAccepted, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      await refuseVetoed(app.catalog, request.body.version);
      const accepted = await controller(request.params.cellId).executeUpdate(requestUpdate, { args: [{ ...request.body, requestedBy: request.subject }] });
      return sendAccepted(reply, accepted);
    },
  );

  app.post(
    '/v1/cells/:cellId/rollback',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Roll the cell back to its previous installed version, or to a named one from its history',
        params: CellParams,
        body: RollbackBody,
        response: { 202: UpdateAccepted, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const accepted = await controller(request.params.cellId).executeUpdate(requestRollback, {
        args: [{ toVersion: request.body?.toVersion, requestedBy: request.subject }],
      });
      return sendAccepted(reply, accepted);
    },
  );

  app.put(
    '/v1/cells/:cellId/desired-version',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Set the version the cell should run; the controller gets there through the upgrade path, stepping stones first',
        params: CellParams,
        body: DesiredVersionBody,
        response: { 202: DesiredVersionAccepted, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      await refuseVetoed(app.catalog, request.body.version);
      const accepted = await controller(request.params.cellId).executeUpdate(setDesiredVersion, {
        args: [{ version: request.body.version, requestedBy: request.subject }],
      });
      return reply.status(202).send(accepted);
    },
  );

  app.patch(
    '/v1/cells/:cellId',
    { config: { role: 'operator' }, schema: { summary: "Change auto-update, the check interval, or the cell's change contract (replaced whole)", params: CellParams, body: CellSettingsBody, response: { 200: Cell, ...problems(400, 401, 403, 404) } } },
    async (request) => toCell(await controller(request.params.cellId).executeUpdate(configureCell, { args: [request.body] })),
  );

  app.post(
    '/v1/cells/:cellId/check',
    { config: { role: 'operator' }, schema: { summary: 'Check for updates and for drift now', params: CellParams, response: { 202: CheckAccepted, ...problems(401, 403, 404) } } },
    async (request, reply) => {
      await controller(request.params.cellId).signal(checkNowSignal);
      return reply.status(202).send({ id: request.params.cellId });
    },
  );

  app.post(
    '/v1/cells/:cellId/drift/:action',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Resolve a drift: reconcile puts the recorded version back, accept records what the cluster runs',
        params: DriftParams,
        response: { 200: Cell, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      toCell(await controller(request.params.cellId).executeUpdate(resolveDrift, { args: [{ action: request.params.action, requestedBy: request.subject }] })),
  );
};

/** 202 for a started update, with where to watch it. */
function sendAccepted(reply: FastifyReply, accepted: UpdateAcceptedMessage) {
  return reply
    .status(202)
    .header('location', `/v1/updates/${accepted.id}`)
    .send({ ...accepted, fromVersion: accepted.fromVersion ?? null });
}

export default cellControl;

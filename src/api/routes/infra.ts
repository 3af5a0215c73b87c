import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { controllerOf } from '../../workflows/cell/client';
import { infraUpdateOf } from '../../workflows/infra/client';
import { applyInfraUpdate, infraProgressQuery, publishInfraUpdate, stackChangedSignal } from '../../workflows/messages';
import { sendCommand } from '../http/commands';
import { problems } from '../schemas/common';
import { InfraApplyAccepted, InfraCellParams, InfraCheckAccepted, InfraPublished, InfraUpdateParams, PublishInfraBody } from '../schemas/infra';

/** Infrastructure (CloudFormation) updates: mandatory, due within the install's deadline (14 days). */
const infra: FastifyPluginAsyncTypebox = async (app) => {
  const infraUpdate = (cellId: string, templateVersion: string) => infraUpdateOf(app.temporal, cellId, templateVersion);

  app.post(
    '/v1/cells/:cellId/infra-updates',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Publish a new template version for the cell’s stack; due within the deadline',
        params: InfraCellParams,
        body: PublishInfraBody,
        response: { 202: InfraPublished, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { cellId } = request.params;
      const accepted = await controllerOf(app.temporal, cellId).executeUpdate(publishInfraUpdate, {
        args: [{ ...request.body, deadlineDays: app.infraDeadlineDays, requestedBy: request.subject }],
      });
      const id = `${cellId}/${request.body.templateVersion}`;
      return reply.status(202).header('location', `/v1/cells/${id.replace('/', '/infra-updates/')}`).send({ id, ...accepted });
    },
  );

  app.get(
    '/v1/cells/:cellId/infra-updates/:templateVersion',
    { config: { role: 'viewer' }, schema: { summary: 'An infra update: deadline, SLA, changes, reminders, attempts', params: InfraUpdateParams, response: problems(400, 401, 404) } },
    async (request) => infraUpdate(request.params.cellId, request.params.templateVersion).query(infraProgressQuery),
  );

  app.post(
    '/v1/cells/:cellId/infra-updates/:templateVersion/apply',
    {
      config: { role: 'operator' },
      schema: { summary: 'Execute the change set now (when the cell lets cellshift apply it)', params: InfraUpdateParams, response: { 202: InfraApplyAccepted, ...problems(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const { cellId, templateVersion } = request.params;
      await sendCommand(infraUpdate(cellId, templateVersion), applyInfraUpdate, [{ by: request.subject }], `infra update ${templateVersion} of ${cellId}`, 'apply');
      return reply.status(202).send({ id: `${cellId}/${templateVersion}`, by: request.subject });
    },
  );

  app.post(
    '/v1/cells/:cellId/infra-updates/:templateVersion/check',
    { config: { role: 'operator' }, schema: { summary: 'Check the stack now (the customer ran the template)', params: InfraUpdateParams, response: { 202: InfraCheckAccepted, ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const { cellId, templateVersion } = request.params;
      await infraUpdate(cellId, templateVersion).signal(stackChangedSignal);
      return reply.status(202).send({ id: `${cellId}/${templateVersion}` });
    },
  );
};

export default infra;

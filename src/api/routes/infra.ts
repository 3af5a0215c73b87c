import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { cellWorkflowId, infraWorkflowId } from '../../workflows/ids';
import { applyInfraUpdate, infraProgressQuery, publishInfraUpdate, stackChangedSignal } from '../../workflows/messages';
import { sendCommand } from '../commands';
import type { ApiContext } from '../context';
import { CellId, problems } from '../schemas/common';

const TemplateVersion = Type.String({ pattern: '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$' });
const Params = Type.Object({ cellId: CellId, templateVersion: TemplateVersion });
const PublishBody = Type.Object(
  {
    templateVersion: TemplateVersion,
    templateUrl: Type.String({ pattern: '^(https?|file)://\\S+$', description: 'where the new template is: https:// (S3) or file:// on the worker' }),
    publishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

/** Infrastructure (CloudFormation) updates: mandatory, due within the install's deadline (14 days). */
export async function infraRoutes(app: FastifyInstance, ctx: ApiContext & { infraDeadlineDays: number }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/v1/cells/:cellId/infra-updates',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Publish a new template version for the cell’s stack; due within the deadline',
        params: Type.Object({ cellId: CellId }),
        body: PublishBody,
        response: { 202: Type.Object({ id: Type.String(), workflowId: Type.String(), deadline: Type.String() }), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { cellId } = request.params;
      const accepted = await ctx.temporal.workflow.getHandle(cellWorkflowId(cellId)).executeUpdate(publishInfraUpdate, {
        args: [{ ...request.body, deadlineDays: ctx.infraDeadlineDays, requestedBy: request.subject }],
      });
      const id = `${cellId}/${request.body.templateVersion}`;
      return reply.status(202).header('location', `/v1/cells/${id.replace('/', '/infra-updates/')}`).send({ id, ...accepted });
    },
  );

  api.get(
    '/v1/cells/:cellId/infra-updates/:templateVersion',
    { config: { role: 'viewer' }, schema: { summary: 'An infra update: deadline, SLA, changes, reminders, attempts', params: Params, response: problems(400, 401, 404) } },
    async (request) => ctx.temporal.workflow.getHandle(infraWorkflowId(request.params.cellId, request.params.templateVersion)).query(infraProgressQuery),
  );

  api.post(
    '/v1/cells/:cellId/infra-updates/:templateVersion/apply',
    {
      config: { role: 'operator' },
      schema: { summary: 'Execute the change set now (when the cell lets cellshift apply it)', params: Params, response: { 202: Type.Object({ id: Type.String(), by: Type.String() }), ...problems(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const { cellId, templateVersion } = request.params;
      const handle = ctx.temporal.workflow.getHandle(infraWorkflowId(cellId, templateVersion));
      await sendCommand(handle, applyInfraUpdate, [{ by: request.subject }], `infra update ${templateVersion} of ${cellId}`, 'apply');
      return reply.status(202).send({ id: `${cellId}/${templateVersion}`, by: request.subject });
    },
  );

  api.post(
    '/v1/cells/:cellId/infra-updates/:templateVersion/check',
    { config: { role: 'operator' }, schema: { summary: 'Check the stack now (the customer ran the template)', params: Params, response: { 202: Type.Object({ id: Type.String() }), ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const { cellId, templateVersion } = request.params;
      await ctx.temporal.workflow.getHandle(infraWorkflowId(cellId, templateVersion)).signal(stackChangedSignal);
      return reply.status(202).send({ id: `${cellId}/${templateVersion}` });
    },
  );
}

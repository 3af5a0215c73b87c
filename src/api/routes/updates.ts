import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { updateWorkflowId } from '../../workflows/ids';
import {
  abandonCompensation,
  approveUpdate,
  cancelUpdate,
  pauseUpdate,
  progressQuery,
  rejectUpdate,
  resumeUpdate,
  retryCompensation,
} from '../../workflows/messages';
import { sendCommand } from '../commands';
import type { ApiContext } from '../context';
import { problems } from '../schemas/common';
import { CommandAccepted, CommandBody, Update, UpdateParams } from '../schemas/updates';

const COMMANDS = {
  cancel: cancelUpdate,
  pause: pauseUpdate,
  resume: resumeUpdate,
  retry: retryCompensation,
  abandon: abandonCompensation,
  approve: approveUpdate,
  reject: rejectUpdate,
} as const;

export async function updateRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/updates/:updateId',
    { config: { role: 'viewer' }, schema: { summary: 'An update: status and every step', params: UpdateParams, response: { 200: Update, ...problems(400, 401, 404) } } },
    async (request) => {
      const progress = await ctx.temporal.workflow.getHandle(updateWorkflowId(request.params.updateId)).query(progressQuery);
      return { ...progress, fromVersion: progress.fromVersion ?? null };
    },
  );

  for (const [action, definition] of Object.entries(COMMANDS)) {
    api.post(
      `/v1/updates/:updateId/${action}`,
      {
        config: { role: 'operator' },
        schema: {
          summary: `${action} an update`,
          params: UpdateParams,
          body: CommandBody,
          response: { 202: CommandAccepted, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { updateId } = request.params;
        const handle = ctx.temporal.workflow.getHandle(updateWorkflowId(updateId));
        const command = { by: request.subject, ...(request.body?.reason ? { reason: request.body.reason } : {}) };
        await sendCommand(handle, definition, [command], `update ${updateId}`, action);
        return reply.status(202).send({ id: updateId, action, by: request.subject });
      },
    );
  }
}

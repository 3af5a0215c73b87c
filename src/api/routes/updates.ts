import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { updateOf } from '../../workflows/update/client';
import {
  abandonCompensation,
  approveUpdate,
  cancelUpdate,
  pauseUpdate,
  rejectUpdate,
  resumeUpdate,
  retryCompensation,
} from '../../workflows/messages';
import { sendCommand } from '../http/commands';
import { readUpdate } from './read-views';
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

/** An update: its progress, and the operator's commands to it. */
const updates: FastifyPluginAsyncTypebox = async (app) => {
  const update = (updateId: string) => updateOf(app.temporal, updateId);

  app.get(
    '/v1/updates/:updateId',
    { config: { role: 'viewer' }, schema: { summary: 'An update: status and every step', params: UpdateParams, response: { 200: Update, ...problems(400, 401, 404) } } },
    async (request) => {
      const progress = await readUpdate(app, request.params.updateId);
      const bundle = await app.supportBundles.ofUpdate(progress.id);
      return {
        ...progress,
        fromVersion: progress.fromVersion ?? null,
        ...(bundle ? { supportBundle: { id: bundle.id, status: bundle.status, url: `/v1/cells/${bundle.cellId}/support-bundles/${bundle.n}`, ...(bundle.error ? { error: bundle.error } : {}) } } : {}),
      };
    },
  );

  for (const [action, definition] of Object.entries(COMMANDS)) {
    app.post(
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
        const command = { by: request.subject, ...(request.body?.reason ? { reason: request.body.reason } : {}) };
        await sendCommand(update(updateId), definition, [command], `update ${updateId}`, action);
        return reply.status(202).send({ id: updateId, action, by: request.subject });
      },
    );
  }
};

export default updates;

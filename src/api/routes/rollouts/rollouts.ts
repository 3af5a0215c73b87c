import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { RINGS, type Ring } from '../../../domain/release';
import { ringPolicy, type RolloutInput } from '../../../domain/rollout';
import { rollbackRolloutId } from '../../../workflows/ids';
import { rolloutOf, startRollout as start } from '../../../workflows/rollout/client';
import { abortRollout, approveRing, pauseRollout, resumeRollout, rolloutProgressQuery } from '../../../workflows/messages';
import { sendCommand } from '../../http/commands';
import { rolloutPlan } from './plan';
import { badRequest, fromTemporal, notFound, refuseVetoed } from '../../http/problem';
import { problems } from '../../schemas/common';
import { ReleaseParams } from '../../schemas/releases';
import { RollbackRolloutBody, Rollout, RolloutCommandAccepted, RolloutCommandBody, RolloutParams, RolloutPlan, RolloutStarted, StartRolloutBody } from '../../schemas/rollouts';

const COMMANDS = { pause: pauseRollout, resume: resumeRollout, abort: abortRollout, approve: approveRing } as const;

/** Fleet rollouts: one release through the rings in waves, its progress, and the operator's commands. */
const rollouts: FastifyPluginAsyncTypebox = async (app) => {
  const rollout = (rolloutId: string) => rolloutOf(app.temporal, rolloutId);
  const startRollout = async (input: RolloutInput, what: string) => {
    try {
      await start(app.temporal, app.taskQueue, input);
    } catch (err) {
      // Here, not in the error handler: the URL does not name the rollout, the problem should.
      throw fromTemporal(err, what) ?? err;
    }
  };

  app.post(
    '/v1/rollouts',
    {
      config: { role: 'operator' },
      schema: { summary: 'Take a release through the fleet, ring by ring, each cell in its window', body: StartRolloutBody, response: { 202: RolloutStarted, ...problems(400, 401, 403, 409, 422) } },
    },
    async (request, reply) => {
      const body = request.body;
      const settings = await rolloutSettings(app, body);
      const input: RolloutInput = {
        id: body.version,
        version: body.version,
        rings: settings.rings,
        waves: body.waves,
        bakeSeconds: Math.round((body.bakeMinutes ?? 0) * 60),
        approvalBetweenRings: body.approvalBetweenRings ?? false,
        ...(body.window ? { window: body.window } : {}),
        ...(body.canary ? { canary: body.canary } : {}),
        ...(body.deadline ? { deadline: settings.deadline } : {}),
        ...(body.autoVeto ? { autoVeto: true } : {}),
        requestedBy: request.subject,
      };
      await startRollout(input, `a rollout of ${body.version}`);
      return reply.status(202).header('location', `/v1/rollouts/${input.id}`).send({ id: input.id, status: 'running' });
    },
  );

  app.post(
    '/v1/releases/:version/rollback',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'A rollout taking every cell on this release back to the version it ran before (after a veto), ring by ring',
        params: ReleaseParams,
        body: RollbackRolloutBody,
        response: { 202: RolloutStarted, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { version } = request.params;
      if (!(await app.catalog.get(version))) throw notFound(`release ${version}`);
      const input: RolloutInput = {
        id: rollbackRolloutId(version),
        version,
        rollback: true,
        rings: request.body?.rings ?? [...RINGS],
        waves: { maxConcurrent: request.body?.waves?.maxConcurrent ?? 10 },
        bakeSeconds: 0,
        approvalBetweenRings: false,
        ...(request.body?.respectWindows ? {} : { window: 'now' as const }),
        requestedBy: request.subject,
      };
      await startRollout(input, `a rollback of ${version}`);
      return reply.status(202).header('location', `/v1/rollouts/${input.id}`).send({ id: input.id, status: 'running' });
    },
  );

  app.post(
    '/v1/rollouts/plan',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'What a rollout with this body would do, per ring and per cell, before anything starts',
        body: StartRolloutBody,
        response: { 200: RolloutPlan, ...problems(400, 401, 422) },
      },
    },
    async (request) => {
      const body = request.body;
      const settings = await rolloutSettings(app, body);
      return rolloutPlan(app, {
        version: body.version,
        rings: settings.rings,
        policy: ringPolicy({ waves: body.waves, window: body.window, canary: body.canary, deadline: settings.deadline }),
        bakeMs: (body.bakeMinutes ?? 0) * 60_000,
        approvalBetweenRings: body.approvalBetweenRings ?? false,
      });
    },
  );

  app.get(
    '/v1/rollouts/:rolloutId',
    { config: { role: 'viewer' }, schema: { summary: 'A rollout: per ring and per cell, state and times, and counts', params: RolloutParams, response: { 200: Rollout, ...problems(400, 401, 404) } } },
    async (request) => rollout(request.params.rolloutId).query(rolloutProgressQuery),
  );

  for (const [action, definition] of Object.entries(COMMANDS)) {
    app.post(
      `/v1/rollouts/:rolloutId/${action}`,
      {
        config: { role: 'operator' },
        schema: { summary: `${action} a rollout`, params: RolloutParams, body: RolloutCommandBody, response: { 202: RolloutCommandAccepted, ...problems(400, 401, 403, 404, 409) } },
      },
      async (request, reply) => {
        const command = { by: request.subject, ...(request.body?.reason ? { reason: request.body.reason } : {}), ...(request.body?.rollback ? { rollback: true } : {}) };
        await sendCommand(rollout(request.params.rolloutId), definition as typeof abortRollout, [command], `rollout ${request.params.rolloutId}`, action);
        return reply.status(202).send({ id: request.params.rolloutId, action, by: request.subject });
      },
    );
  }
};

export default rollouts;

/** The body's settings, checked the same way for a rollout and for its plan: 400 with every field at fault. */
async function rolloutSettings(app: Pick<FastifyInstance, 'catalog'>, body: Static<typeof StartRolloutBody>): Promise<{ rings: Ring[]; deadline?: string }> {
  const errors = [];
  const rings = body.rings ?? [...RINGS];
  if (rings.some((ring, i) => i > 0 && RINGS.indexOf(ring) < RINGS.indexOf(rings[i - 1]))) {
    errors.push({ field: 'body.rings', reason: `rings go in order: ${RINGS.join(' → ')}` });
  }
  if (!(await app.catalog.get(body.version))) errors.push({ field: 'body.version', reason: `release ${body.version} is not in the catalog` });
  else await refuseVetoed(app.catalog, body.version);
  if (body.canary && body.canary.cells === undefined && body.canary.percent === undefined) errors.push({ field: 'body.canary', reason: 'needs cells or percent' });
  if (body.canary?.cells !== undefined && body.canary.percent !== undefined) errors.push({ field: 'body.canary', reason: 'takes cells or percent, not both' });
  const deadline = body.deadline === undefined ? undefined : Date.parse(body.deadline);
  if (deadline !== undefined && !(deadline > Date.now())) errors.push({ field: 'body.deadline', reason: 'must be in the future' });
  if (errors.length > 0) throw badRequest(errors);
  return { rings, ...(deadline !== undefined ? { deadline: new Date(deadline).toISOString() } : {}) };
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { WebhookTargetRefused, checkWebhookTarget } from '../../adapters/notify/webhook-target';
import { EVENT_TYPES } from '../../domain/events';
import { HttpProblem, badRequest, notFound } from '../http/problem';
import { StringEnum } from '../../domain/schemas/common';
import { problems } from '../schemas/common';

const Webhook = Type.Object({ id: Type.String(), url: Type.String(), events: Type.Array(Type.String()), createdBy: Type.String(), createdAt: Type.String() });
const WebhookParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Webhook subscriptions (admin): what to tell whom, signed with a secret the subscriber chose. */
const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Subscribe a URL to events; each delivery is signed with the secret (HMAC-SHA256), retried until it answers 2xx, given up after a day',
        description:
          'The URL is https to a public address: every address its name resolves to is checked (not loopback, private, unique-local, link-local, CGNAT, multicast, reserved, nor a cloud metadata service), now and again before every delivery, which connects to the address checked. A redirect is a failed attempt, not followed.',
        body: Type.Object(
          {
            url: Type.String({ format: 'uri', pattern: '^https?://[\\x21-\\x7e]+$', maxLength: 2000, description: 'https, to a public address (plain http only to a loopback receiver where CELLSHIFT_WEBHOOKS_ALLOW_LOOPBACK=1)' }),
            events: Type.Array(StringEnum(EVENT_TYPES), { minItems: 1, uniqueItems: true }),
            secret: Type.String({ minLength: 16, maxLength: 200, pattern: '^[\\x20-\\x7e]+$', description: 'printable ASCII; signs each delivery; never shown again' }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Webhook, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      try {
        await checkWebhookTarget(request.body.url, app.webhookTargets);
      } catch (err) {
        if (err instanceof WebhookTargetRefused) throw badRequest([{ field: 'body.url', reason: err.message }]);
        throw new HttpProblem(503, 'DNS unavailable', `the name in url could not be resolved now: ${(err as Error).message}`);
      }
      const hook = await app.webhooks.create(request.body.url, request.body.events, request.body.secret, request.subject);
      return reply.status(201).header('location', `/v1/webhooks/${hook.id}`).send(hook);
    },
  );

  app.get('/v1/webhooks', { config: { role: 'admin' }, schema: { summary: 'The subscriptions (without their secrets)', response: { 200: Type.Object({ webhooks: Type.Array(Webhook) }), ...problems(401, 403) } } }, async () => ({
    webhooks: await app.webhooks.list(),
  }));

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: {
        summary: "A subscription's latest deliveries: sent, retrying (attempts, last error) or given up",
        params: WebhookParams,
        response: {
          200: Type.Object({ deliveries: Type.Array(Type.Object({ id: Type.String(), type: Type.String(), attempts: Type.Integer(), deliveredAt: Type.Union([Type.String(), Type.Null()]), givenUp: Type.Boolean(), lastError: Type.Union([Type.String(), Type.Null()]) })) }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      if (!(await app.webhooks.list()).some((h) => h.id === request.params.id)) throw notFound(`webhook ${request.params.id}`);
      return { deliveries: await app.webhooks.deliveries(request.params.id) };
    },
  );

  app.delete(
    '/v1/webhooks/:id',
    { config: { role: 'admin' }, schema: { summary: 'Unsubscribe (pending deliveries are dropped)', params: WebhookParams, response: { 204: Type.Null(), ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      if (!(await app.webhooks.delete(request.params.id))) throw notFound(`webhook ${request.params.id}`);
      return reply.status(204).send(null);
    },
  );
};

export default webhooks;

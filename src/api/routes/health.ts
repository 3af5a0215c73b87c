import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** `/healthz`: open, unlimited, and answered without asking Temporal, so a probe measures the API alone. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { hide: true }, config: { rateLimit: false } }, async () => ({ status: 'ok' }));
};

export default health;

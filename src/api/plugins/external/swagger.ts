import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';

/**
 * The OpenAPI document, built by @fastify/swagger from the routes' schemas and served, open, at
 * `/docs/json` (by hand: @fastify/swagger-ui would serve it, with a UI nobody here needs).
 */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'cellshift', version: '0.1.0', description: 'Durable updates for fleets of cells' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);

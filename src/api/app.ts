import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { ApiContext } from './context';
import { registerAuth, type ApiToken } from './plugins/auth';
import { registerErrorHandler } from './plugins/errors';
import { cellRoutes } from './routes/cells';
import { releaseRoutes } from './routes/releases';
import { simRoutes } from './routes/sim';
import { updateRoutes } from './routes/updates';
import { Problem } from './schemas/common';

export interface AppOptions extends ApiContext {
  tokens: ApiToken[];
  logger?: boolean;
}

/** The HTTP API: Fastify in front of Temporal. Keeps no state of its own. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ? { level: 'info', redact: ['req.headers.authorization'] } : false,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array' } },
    bodyLimit: 1024 * 1024,
  });
  registerErrorHandler(app);
  registerAuth(app, options.tokens);
  app.addSchema(Problem);
  await app.register(swagger, {
    openapi: {
      info: { title: 'cellshift', version: '0.1.0', description: 'Durable updates for fleets of cells' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  await cellRoutes(app, options);
  await updateRoutes(app, options);
  await releaseRoutes(app, options);
  await simRoutes(app, options);
  return app;
}

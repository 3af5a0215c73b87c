import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { BundleStore } from '../adapters/bundles/bundle-store';
import { DEFAULT_BUNDLE_LIMIT_BYTES } from '../config';
import type { ApiContext } from './context';
import { registerAuth, type ApiToken } from './plugins/auth';
import { registerErrorHandler } from './plugins/errors';
import { cellControlRoutes, cellRoutes } from './routes/cells';
import { bundleRoutes } from './routes/bundles';
import { FlagStore } from '../adapters/flags/flag-store';
import { SimulatedStack } from '../adapters/simulated/stack';
import { flagRoutes } from './routes/flags';
import { infraRoutes } from './routes/infra';
import { releaseRoutes } from './routes/releases';
import { rolloutRoutes } from './routes/rollouts';
import { simRoutes } from './routes/sim';
import { updateRoutes } from './routes/updates';
import { Problem } from './schemas/common';

export interface AppOptions extends ApiContext {
  tokens: ApiToken[];
  logger?: boolean;
  /** where uploaded bundles are unpacked (`<dataDir>/bundles`) */
  dataDir: string;
  bundleLimitBytes?: number;
  /** days from publication to an infrastructure update's deadline (the install's rule) */
  infraDeadlineDays?: number;
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
  await cellControlRoutes(app, options);
  await updateRoutes(app, options);
  await releaseRoutes(app, options);
  await bundleRoutes(app, { ...options, bundles: new BundleStore(options.dataDir, options.catalog), bundleLimitBytes: options.bundleLimitBytes ?? DEFAULT_BUNDLE_LIMIT_BYTES });
  await rolloutRoutes(app, options);
  await infraRoutes(app, { ...options, infraDeadlineDays: options.infraDeadlineDays ?? 14 });
  await flagRoutes(app, { ...options, flags: new FlagStore(options.dataDir) });
  await simRoutes(app, { ...options, simulatedStack: new SimulatedStack(options.dataDir) });
  return app;
}

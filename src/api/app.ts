import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import type { BundleLimits } from '../adapters/bundles/limits';
import type { WebhookTargetPolicy } from '../adapters/notify/webhook-target';
import type { SimulatedCluster } from '../adapters/simulated/cluster';
import type { SimulatedStack } from '../adapters/simulated/stack';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from './http/request-limits';
import type { ApiStores } from './stores';
import { schemaController } from './http/validators';
import agentSettings, { type AgentSettings } from './plugins/app/agents';
import auth, { type ApiToken } from './plugins/app/auth';
import errors from './plugins/app/errors';
import limits from './plugins/app/limits';
import releasePolicy, { type ReleasePolicy } from './plugins/app/release-policy';
import methods from './plugins/app/methods';
import simulation from './plugins/app/simulation';
import stores from './plugins/app/stores';
import temporal from './plugins/app/temporal';
import rateLimit from './plugins/external/rate-limit';
import openapi from './plugins/external/swagger';
import agents from './routes/agents';
import bundles from './routes/bundles';
import cellConfig from './routes/cells/config';
import cellContract from './routes/cells/contract';
import cellControl from './routes/cells/control';
import cellRegistry from './routes/cells/registry';
import cellRemoval from './routes/cells/removal';
import debugAccess from './routes/debug-access';
import metrics from './routes/metrics/metrics';
import webhooks from './routes/webhooks';
import flags from './routes/flags';
import health from './routes/health';
import infra from './routes/infra';
import releases from './routes/releases';
import rollouts from './routes/rollouts/rollouts';
import sim from './routes/sim';
import supportBundles from './routes/support-bundles';
import updates from './routes/updates';

/** What the API is built from. Its owner builds each one (server.ts from the config, tests from theirs) and closes the connection. */
export interface AppOptions {
  temporal: Client;
  taskQueue: string;
  /** what the routes read and write outside Temporal (src/api/stores.ts) */
  stores: ApiStores;
  simulated: SimulatedCluster;
  simulatedStack: SimulatedStack;
  tokens: ApiToken[];
  /** cell agents: bootstrap tokens, where registered agents connect, when one counts as offline */
  agents: AgentSettings;
  /** what one bundle `POST /v1/bundles` accepts (defaults: DEFAULT_BUNDLE_LIMITS) */
  bundleLimits?: Partial<BundleLimits>;
  /** days from publication to an infrastructure update's deadline (the install's rule) */
  infraDeadlineDays?: number;
  /** where webhook subscriptions may point (default: public https addresses only) */
  webhookTargets?: WebhookTargetPolicy;
  /** requests a minute per subject or address, and how long one may take (defaults: DEFAULT_REQUEST_LIMITS) */
  requestLimits?: Partial<RequestLimits>;
  /** what the install asks of releases: vendor keys, rings for unsigned releases, rings that need digest-pinned images (default: signed only, dedicated pinned) */
  releasePolicy?: Partial<ReleasePolicy>;
  /** request logging, as JSON lines on stdout */
  logger?: boolean;
}

/** The HTTP API: Fastify in front of Temporal. Keeps no state of its own, and does not listen (server.ts does). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const requestLimits = { ...DEFAULT_REQUEST_LIMITS, ...options.requestLimits };
  const app = Fastify({
    logger: options.logger ? { level: 'info', redact: ['req.headers.authorization'] } : false,
    schemaController, // JSON bodies validated as sent, paths and query strings coerced
    bodyLimit: 1024 * 1024,
    // Longer than any id: a too-long one reaches its schema and is a 400 naming the param, not the router's bare 414.
    routerOptions: { maxParamLength: 2048 },
    // Long query strings reach the schemas too (a 400 naming the field), not Node's bare 431.
    http: { maxHeaderSize: 64 * 1024 },
    // A request not answered in time is a 503 (Temporal or the database too slow), not a connection held open.
    handlerTimeout: requestLimits.timeoutMs,
  });

  // External plugins first: they see every route registered after them (and so must the methods each path has).
  await app.register(methods);
  await app.register(openapi);
  await app.register(rateLimit, requestLimits);

  // The application's plugins: problem+json, auth, and the services routes read as decorators.
  await app.register(errors);
  await app.register(auth, { tokens: options.tokens });
  await app.register(temporal, { client: options.temporal, taskQueue: options.taskQueue });
  await app.register(stores, options.stores);
  await app.register(simulation, { cluster: options.simulated, stack: options.simulatedStack });
  await app.register(agentSettings, options.agents);
  await app.register(limits, { bundleLimits: options.bundleLimits, infraDeadlineDays: options.infraDeadlineDays, webhookTargets: options.webhookTargets, requestLimits });

  await app.register(releasePolicy, { vendorKeys: [], unsignedRings: [], digestPinnedRings: ['dedicated'], ...options.releasePolicy });

  // Routes, each its own encapsulated plugin.
  await app.register(health);
  await app.register(cellRegistry);
  await app.register(cellControl);
  await app.register(cellRemoval);
  await app.register(cellConfig);
  await app.register(cellContract);
  await app.register(debugAccess);
  await app.register(supportBundles);
  await app.register(agents);
  await app.register(updates);
  await app.register(releases);
  await app.register(bundles);
  await app.register(rollouts);
  await app.register(infra);
  await app.register(flags);
  await app.register(sim);
  await app.register(metrics);
  await app.register(webhooks);
  return app;
}

// `npm run api`: the only file that listens. Builds the adapters from the config, and closes
// gracefully on SIGINT/SIGTERM: the app first (in-flight requests answered), then Temporal.
import { Client } from '@temporalio/client';
import closeWithGrace from 'close-with-grace';
import { openDatabase } from '../adapters/db/database';
import { SimulatedCluster } from '../adapters/simulated/cluster';
import { SimulatedStack } from '../adapters/simulated/stack';
import { databaseUrl, loadConfig } from '../config';
import { connectClient } from '../workflows/client';
import { buildApp } from './app';
import { apiStores } from './stores';
import { loadTokens } from './http/tokens';
import { endWithParent } from '../lifecycle';

endWithParent();
const config = loadConfig();
const { tokens, generated } = loadTokens(config.dataDir);
const connection = await connectClient(config);
const db = await openDatabase(databaseUrl(config));
const { stores, bootstrapTokens, agentCredentials } = await apiStores(db, config.dataDir, process.env, config.agentEndpoint.credentialMinutes);
const app = await buildApp({
  temporal: new Client({ connection, namespace: config.namespace }),
  taskQueue: config.taskQueue,
  stores,
  simulated: new SimulatedCluster(config.dataDir),
  simulatedStack: new SimulatedStack(config.dataDir),
  tokens,
  agents: {
    bootstrapTokens,
    credentials: agentCredentials,
    endpoint: config.agentEndpoint.address,
    offlineAfterSeconds: config.agentOfflineAfterSeconds,
    minVersion: config.minAgentVersion,
  },
  logger: process.env.CELLSHIFT_LOG !== 'off',
  bundleLimits: config.bundleLimits,
  infraDeadlineDays: config.infraDeadlineDays,
  webhookTargets: config.webhookTargets,
  requestLimits: config.requestLimits,
  releasePolicy: { vendorKeys: config.releaseKeys, unsignedRings: config.unsignedRings, digestPinnedRings: config.digestPinnedRings },
});

closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) app.log.error({ err }, 'closing after an error');
  await app.close();
  await connection.close();
  await db.destroy();
});

await app.listen({ port: config.port, host: config.host });
// The token itself never reaches a log: only the file that holds it.
if (generated) console.error(`no API token configured: the generated admin token is in ${config.dataDir}/admin-token`);

// `npm run api`: the only file that listens. Closes gracefully on SIGINT/SIGTERM.
import { Client } from '@temporalio/client';
import { FileReleaseCatalog } from '../adapters/catalog/file-catalog';
import { SimulatedCluster } from '../adapters/simulated/cluster';
import { loadConfig } from '../config';
import { connectClient } from '../temporal/connect';
import { buildApp } from './app';
import { loadTokens } from './tokens';

const config = loadConfig();
const { tokens, generated } = loadTokens(config.dataDir);
const connection = await connectClient(config);
const app = await buildApp({
  temporal: new Client({ connection, namespace: config.namespace }),
  taskQueue: config.taskQueue,
  catalog: new FileReleaseCatalog(config.dataDir),
  simulated: new SimulatedCluster(config.dataDir),
  tokens,
  logger: process.env.CELLSHIFT_LOG !== 'off',
  dataDir: config.dataDir,
  bundleLimitBytes: config.bundleLimitBytes,
  infraDeadlineDays: config.infraDeadlineDays,
});

const close = async () => {
  await app.close();
  await connection.close();
  process.exit(0);
};
process.once('SIGINT', () => void close());
process.once('SIGTERM', () => void close());

await app.listen({ port: config.port, host: config.host });
if (generated) console.error(`no API token configured: use the generated admin token ${generated} (kept in ${config.dataDir}/admin-token)`);

// `npm run temporal`: the embedded Temporal dev server alone, persisted under the data directory.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { startDevServer } from './lib/dev-server';

const config = loadConfig();
if (config.temporalAddress) {
  console.error(`TEMPORAL_ADDRESS=${config.temporalAddress} is set: cellshift uses that server and starts none.`);
  process.exit(0);
}
mkdirSync(config.dataDir, { recursive: true });
const server = await startDevServer({ port: 7233, uiPort: 8233, dbFile: join(config.dataDir, 'temporal.db'), stdio: 'inherit' });
console.error(`Temporal dev server on ${server.address}, Web UI on http://localhost:8233, state in ${join(config.dataDir, 'temporal.db')}`);
const stop = () => void server.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
server.process.once('exit', (code) => process.exit(code ?? 1));

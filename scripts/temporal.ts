// `npm run temporal`: the embedded Temporal dev server alone, persisted under the data directory.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { endWithParent } from '../src/lifecycle';
import { startDevServer, type DevServer } from './lib/dev-server';

const config = loadConfig();
if (config.temporalAddress) {
  console.error(`TEMPORAL_ADDRESS=${config.temporalAddress} is set: cellshift uses that server and starts none.`);
  process.exit(0);
}
mkdirSync(config.dataDir, { recursive: true });

// Every signal asks for the same stop, also one that comes while the server is still starting;
// a second one while it runs changes nothing.
const running: { server?: DevServer; stopping: boolean } = { stopping: false };
const stop = () => void running.server?.stop().then(() => process.exit(0));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (running.stopping) return;
    running.stopping = true;
    if (running.server) stop();
  });
}
endWithParent();

const server = (running.server = await startDevServer({ port: 7233, uiPort: 8233, dbFile: join(config.dataDir, 'temporal.db'), stdio: 'inherit' }));
if (running.stopping) stop();
console.error(`Temporal dev server on ${server.address}, Web UI on http://localhost:8233, state in ${join(config.dataDir, 'temporal.db')}`);
server.process.once('exit', (code) => process.exit(code ?? 1));

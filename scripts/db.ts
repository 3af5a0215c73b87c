// `npm run db`: the embedded database alone (PGlite over PostgreSQL's protocol on 127.0.0.1:7432),
// kept under the data directory. Not started when DATABASE_URL names a PostgreSQL server.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/adapters/db/embedded';
import { EMBEDDED_DATABASE_PORT, loadConfig } from '../src/config';
import { endWithParent } from '../src/lifecycle';

const config = loadConfig();
if (config.databaseUrl) {
  console.error('DATABASE_URL is set: cellshift uses that database and starts none.');
  process.exit(0);
}
const dir = join(config.dataDir, 'pglite');
mkdirSync(dir, { recursive: true });

// Every signal asks for the same stop, also one that comes while the database is still opening;
// a second one while it runs changes nothing (a second close could cut the first one's flush short).
const running: { database?: EmbeddedDatabase; stopping: boolean } = { stopping: false };
const stop = () => void running.database?.stop().then(() => process.exit(0));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (running.stopping) return;
    running.stopping = true;
    if (running.database) stop();
  });
}
endWithParent();

const database = (running.database = await startEmbeddedDatabase({ dir, port: EMBEDDED_DATABASE_PORT }));
if (running.stopping) stop();
console.error(`embedded database on ${database.url}, kept in ${dir}`);

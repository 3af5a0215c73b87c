// `npm run db`: the embedded database alone (PGlite over PostgreSQL's protocol on 127.0.0.1:7432),
// kept under the data directory. Not started when DATABASE_URL names a PostgreSQL server.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../src/adapters/db/embedded';
import { EMBEDDED_DATABASE_PORT, loadConfig } from '../src/config';

const config = loadConfig();
if (config.databaseUrl) {
  console.error('DATABASE_URL is set: cellshift uses that database and starts none.');
  process.exit(0);
}
const dir = join(config.dataDir, 'pglite');
mkdirSync(dir, { recursive: true });
const database = await startEmbeddedDatabase({ dir, port: EMBEDDED_DATABASE_PORT });
console.error(`embedded database on ${database.url}, kept in ${dir}`);
const stop = () => void database.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

// `npm run production-shape`: PostgreSQL (Debian's package) and Temporal's own server on it, as
// production runs them, on loopback, until Ctrl-C. It prints the two variables that point
// `npm start` (or a worker and an API) at them instead of the embedded defaults.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensurePostgres, startPostgres } from './lib/postgres';
import { startTemporalOnPostgres } from './lib/temporal-server';

const pg = await startPostgres();
const temporal = await startTemporalOnPostgres(pg);
// cellshift's own database beside Temporal's two, as docker-compose.yml has it.
execFileSync(join(ensurePostgres(), 'createdb'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', 'cellshift']);
console.error(`PostgreSQL on 127.0.0.1:${pg.port} (data in ${pg.dataDir}), Temporal ${temporal.address} (log ${temporal.logFile}). In another shell:

  export TEMPORAL_ADDRESS=${temporal.address} DATABASE_URL=postgres://postgres@127.0.0.1:${pg.port}/cellshift CELLSHIFT_DATA_DIR=./data-production-shape
  npm start
`);
const stop = () =>
  void temporal.stop().then(() => {
    pg.stop();
    process.exit(0);
  });
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

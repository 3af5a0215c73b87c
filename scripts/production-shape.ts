// `npm run production-shape`: PostgreSQL (Debian's package) and Temporal's own server on it, as
// production runs them, on loopback, until Ctrl-C. It prints the two variables that point
// `npm start` (or a worker and an API) at them instead of the embedded defaults.
import { startPostgres } from './lib/postgres';
import { startTemporalOnPostgres } from './lib/temporal-server';

const pg = await startPostgres();
const temporal = await startTemporalOnPostgres(pg);
// cellshift's own database beside Temporal's two, as docker-compose.yml has it.
const databaseUrl = pg.createDatabase('cellshift');
console.error(`PostgreSQL on 127.0.0.1:${pg.port} (data in ${pg.dataDir}), Temporal ${temporal.address} (log ${temporal.logFile}). In another shell:

  export TEMPORAL_ADDRESS=${temporal.address} DATABASE_URL=${databaseUrl} CELLSHIFT_DATA_DIR=./data-production-shape
  npm start
`);
const stop = () =>
  void temporal.stop().then(() => {
    pg.stop();
    process.exit(0);
  });
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

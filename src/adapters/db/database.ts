// The one way cellshift reaches its database: PostgreSQL's wire protocol through `pg` and Kysely,
// whether the server is PostgreSQL itself (production, `DATABASE_URL`) or the embedded PGlite
// that `npm start` runs (embedded.ts).
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrate } from './migrations';
import { PatientPool } from './patient-pool';
import type { Tables } from './tables';

export type Db = Kysely<Tables>;

/** Connects (a pool of at most `maxConnections`) and brings the schema up to date. */
export async function openDatabase(url: string, maxConnections = 10): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections });
  // A dropped connection (the server restarting) is replaced on the next query: not a crash; reads
  // wait for the server to come back (PatientPool).
  pool.on('error', () => undefined);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: new PatientPool(pool) }) });
  try {
    await migrate(db as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

// The embedded default: PGlite (PostgreSQL compiled to WebAssembly, from npm) served over
// PostgreSQL's wire protocol on loopback, so the worker, the API and `psql` reach it as they
// would reach PostgreSQL. One process owns the data directory; its clients' transactions are
// serialised by the server (PGlite is one connection).
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Serves the database kept in `dir` (in memory when absent) on 127.0.0.1:`port` (0: any free port). */
export async function startEmbeddedDatabase(options: { dir?: string; port?: number } = {}): Promise<EmbeddedDatabase> {
  const db = await PGlite.create(options.dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 100 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

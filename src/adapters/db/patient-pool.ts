// A pool that rides out the database restarting: while PostgreSQL is down (a failover, a restart
// for an upgrade) a read waits for it to come back instead of failing the request that needed it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/** How long a read waits for the database to come back before its error is let through. */
export const DEFAULT_PATIENCE_MS = 30_000;

/** Errors that mean the connection or the server went away, not that the statement was wrong. */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (!e || typeof e !== 'object') return false;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03'].includes(e.code)) return true;
  if (e.code?.startsWith('08')) return true; // connection exceptions
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e.message ?? '');
}

/**
 * The embedded database serves every connection through one session: another connection's
 * statement can take the place of this one's unnamed prepared statement between its Parse and its
 * Bind (26000, seen at a start with the API, the worker and the agent endpoint opening it at once).
 * The statement did not run, so it is sent again.
 */
export function isStatementLost(err: unknown): boolean {
  return (err as { code?: string })?.code === '26000';
}

/**
 * pg-pool listens for a connection's errors only while it is idle: the server ending one the
 * process holds between statements (a restart, a failover: 57P01) would be an unhandled 'error'
 * event and end the process. With this listener its next statement fails as a connection loss
 * instead (a read runs again on a new connection) and the pool drops it when it comes back.
 */
const ignoreLoss = (): void => undefined;

/**
 * Connecting retries while the server refuses or is starting up; a statement on a connection the
 * server dropped runs again on a new one when repeating it cannot change anything twice: a read
 * outside a transaction. Writes and transactions fail as they did (their callers retry whole:
 * Temporal's activities, or the client that sent the request).
 */
export class PatientPool implements PostgresPool {
  constructor(
    private readonly pool: pg.Pool,
    private readonly patienceMs = DEFAULT_PATIENCE_MS,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    return new PatientClient(await this.connectRaw(), this);
  }

  /** A connection, waiting (with backoff) while the server is away. */
  async connectRaw(): Promise<pg.PoolClient> {
    const deadline = Date.now() + this.patienceMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        const client = await this.pool.connect();
        if (!client.listeners('error').includes(ignoreLoss)) client.on('error', ignoreLoss);
        return client;
      } catch (err) {
        if (!isConnectionLoss(err) || Date.now() + delay > deadline) throw err;
        await sleep(delay);
      }
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class PatientClient implements PostgresPoolClient {
  private inTransaction = false;

  constructor(
    private client: pg.PoolClient,
    private readonly pool: PatientPool,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  // cellshift streams no query (no cursor): only statements reach here.
  query<R>(sql: string | PostgresCursor<R>, parameters: ReadonlyArray<unknown> = []): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sql !== 'string') throw new Error('cursors are not supported');
    return this.statement(sql, parameters);
  }

  private async statement<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    const statement = sql.trimStart().slice(0, 16).toLowerCase();
    if (statement.startsWith('begin') || statement.startsWith('start transaction')) this.inTransaction = true;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return (await this.client.query(sql, [...parameters])) as unknown as PostgresQueryResult<R>;
        } catch (err) {
          const lost = isStatementLost(err);
          if (this.inTransaction || attempt > 3 || !(lost || (statement.startsWith('select') && isConnectionLoss(err)))) throw err;
          if (lost) continue;
          this.client.release(true);
          this.client = await this.pool.connectRaw();
        }
      }
    } finally {
      if (statement.startsWith('commit') || statement.startsWith('rollback')) this.inTransaction = false;
    }
  }

  release(destroy?: boolean): void {
    this.client.release(destroy);
  }
}

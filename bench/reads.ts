// Reads from the read model under a steady load: one cell, and a filtered page of 100 cells out of
// 10,000, at a fixed rate (open loop: each request's latency counts from when it was due, so a slow server
// cannot hide its queue), through cellshift's API process against a bare Fastify process running
// the same query. PostgreSQL from Debian's package, as in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { CellReadModel } from '../src/adapters/db/cell-read-model';
import { openDatabase } from '../src/adapters/db/database';
import type { CellView } from '../src/domain/cell';
import { freePort } from '../scripts/lib/dev-server';
import { startPostgres } from '../scripts/lib/postgres';
import { percentile } from './stats';

export const READ_CELLS = 10_000;
const RATE = Number(process.env.BENCH_READ_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 20);
const RINGS = ['staging', 'saas', 'dedicated'] as const;

interface Latencies {
  p50: number;
  p99: number;
  errors: number;
}

export interface ReadCase {
  name: string;
  cellshift: Latencies;
  bare: Latencies;
  p99Ratio: number;
  /** the target's p99, ms */
  target: number;
}

export interface ReadFigures {
  cells: number;
  rate: number;
  seconds: number;
  cases: ReadCase[];
}

export async function readsCase(temporalAddress: string): Promise<ReadFigures> {
  const pg = await startPostgres();
  const children: ChildProcess[] = [];
  try {
    const db = await openDatabase(pg.url);
    await seed(new CellReadModel(db));
    // Statistics, as autovacuum keeps them on a database in use: without them, the planner takes a
    // freshly filled table for a small one and sorts a ring's rows instead of walking the index.
    await sql`analyze cells`.execute(db);
    await db.destroy();

    const token = 'bench-viewer-token';
    const apiPort = await freePort();
    const barePort = await freePort();
    const env = { ...process.env, DATABASE_URL: pg.url, TEMPORAL_ADDRESS: temporalAddress, CELLSHIFT_LOG: 'off', CELLSHIFT_DATA_DIR: mkdtempSync(join(tmpdir(), 'cellshift-reads-')) };
    children.push(spawn(process.execPath, ['--import', 'tsx', 'src/api/server.ts'], { env: { ...env, PORT: String(apiPort), HOST: '127.0.0.1', CELLSHIFT_TOKENS: JSON.stringify([{ token, subject: 'bench', role: 'viewer' }]), CELLSHIFT_RATE_LIMIT_PER_MINUTE: '1000000000' }, stdio: ['ignore', 'ignore', 'inherit'] }));
    children.push(spawn(process.execPath, ['--import', 'tsx', 'bench/bare-api.ts'], { env: { ...env, PORT: String(barePort) }, stdio: ['ignore', 'ignore', 'inherit'] }));
    const api = `http://127.0.0.1:${apiPort}`;
    const bareApi = `http://127.0.0.1:${barePort}`;
    const headers = { authorization: `Bearer ${token}` };
    await until(`${api}/v1/cells`, headers);
    await until(`${bareApi}/cells`, {});

    const cases: ReadCase[] = [];
    for (const [name, path, barePath, target] of [
      ['one cell, GET /v1/cells/:id', '/v1/cells/cell-04242', '/cells/cell-04242', 20],
      ['a filtered page of 100, GET /v1/cells?ring=saas&pageSize=100', '/v1/cells?ring=saas&pageSize=100', '/cells?ring=saas', 50],
    ] as const) {
      const cellshift = await load(`${api}${path}`, headers);
      const bare = await load(`${bareApi}${barePath}`, {});
      cases.push({ name, cellshift, bare, p99Ratio: cellshift.p99 / bare.p99, target });
    }
    return { cells: READ_CELLS, rate: RATE, seconds: SECONDS, cases };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    pg.stop();
  }
}

async function seed(cells: CellReadModel): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let i = 0; i < READ_CELLS; i++) {
    const id = `cell-${String(i).padStart(5, '0')}`;
    const view = {
      spec: { id, ring: RINGS[i % 3], strategy: 'maintenance-window', maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 120, timezone: 'UTC' }, cluster: { kind: 'simulated' }, expectedUpdateMinutes: 30 },
      state: 'ready',
      version: i % 7 === 0 ? '1.1.0' : '1.2.0',
      maintenance: { enabled: false },
      history: [{ version: '1.2.0', at: '2026-12-01T00:00:00.000Z', result: 'registered' }],
    } as CellView;
    writes.push(cells.write(view, 1));
    if (writes.length === 50) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

async function until(url: string, headers: Record<string, string>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url, { headers })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer`);
}

/** A warm-up second, then RATE requests a second for SECONDS seconds; latencies in ms from when each was due. */
async function load(url: string, headers: Record<string, string>): Promise<Latencies> {
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    let errors = 0;
    const pending: Promise<void>[] = [];
    const start = performance.now();
    const total = Math.round(RATE * seconds);
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      pending.push(
        fetch(url, { headers })
          .then(async (res) => {
            await res.arrayBuffer();
            if (!res.ok) errors++;
            latencies.push(performance.now() - due);
          })
          .catch(() => void errors++),
      );
    }
    await Promise.all(pending);
    return { latencies, errors };
  };
  await run(1);
  const { latencies, errors } = await run(SECONDS);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

// A rollout of a large fleet on the production topology (Temporal's server on PostgreSQL, worker
// processes as `npm run worker` runs them), on one worker and then on two: how far adding a worker
// carries throughput on this machine. Each side gets a topology of its own, started afresh.
import { Client, Connection } from '@temporalio/client';
import { SqlReleaseCatalog } from '../src/adapters/catalog/sql-catalog';
import { openDatabase } from '../src/adapters/db/database';
import type { CellSpec } from '../src/domain/cell';
import { cellWorkflowId } from '../src/workflows/ids';
import { CellIdKey, CellStatusKey, RingKey } from '../src/workflows/search-attributes';
import { Topology } from '../scripts/lib/topology';
import { FLEET_CONCURRENCY } from './fleet';

const TOKEN = 'bench-admin-token';

export interface WorkersFigures {
  cells: number;
  /** seconds from the rollout's start to its end, by worker count */
  seconds: Record<string, number>;
  /** cells per second, two workers against one */
  throughputRatio: number;
}

export async function workersCase(cells: number, workflowBundlePath: string): Promise<WorkersFigures> {
  const seconds: Record<string, number> = {};
  for (const workers of [1, 2]) seconds[workers] = await rolloutOn(workers, cells, workflowBundlePath);
  return { cells, seconds, throughputRatio: seconds[1] / seconds[2] };
}

async function rolloutOn(workers: number, cells: number, workflowBundlePath: string): Promise<number> {
  const topology = await Topology.start({ workers, apis: 1, workflowBundlePath, tokens: [{ token: TOKEN, subject: 'bench', role: 'admin' }] });
  const connection = await Connection.connect({ address: topology.temporal.address });
  const db = await openDatabase(topology.databaseUrl);
  try {
    const catalog = new SqlReleaseCatalog(db);
    for (const version of ['1.0.0', '1.1.0']) {
      await catalog.publish({ version, components: { server: `bench/server:${version}`, proxy: `bench/proxy:${version}` }, breaking: false }, { rings: ['saas'] });
    }
    const client = new Client({ connection });
    const ids = Array.from({ length: cells }, (_, i) => `w-${String(i).padStart(4, '0')}`);
    // Registered straight through Temporal, 50 at a time: registration is not what is measured.
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids.slice(i, i + 50).map((id) => {
          const spec: CellSpec = {
            id,
            ring: 'saas',
            strategy: 'maintenance-window',
            maintenanceWindow: { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', durationMinutes: 1439, timezone: 'UTC' },
            cluster: { kind: 'simulated', initialVersion: '1.0.0' },
            expectedUpdateMinutes: 1,
          };
          return client.workflow.start('cellController', {
            workflowId: cellWorkflowId(id),
            taskQueue: topology.taskQueue,
            args: [{ spec }],
            typedSearchAttributes: [
              { key: CellIdKey, value: id },
              { key: RingKey, value: 'saas' },
              { key: CellStatusKey, value: 'registering' },
            ],
          });
        }),
      );
    }
    const api = topology.apis[0];
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: res.status, body: (await res.json()) as any };
    };
    while ((await db.selectFrom('cells').select((e) => e.fn.countAll<string>().as('n')).where('state', '=', 'ready').executeTakeFirstOrThrow()).n !== String(cells)) {
      await new Promise((r) => setTimeout(r, 1000));
    }
    const started = performance.now();
    const accepted = await call('POST', '/v1/rollouts', { version: '1.1.0', waves: { maxConcurrent: FLEET_CONCURRENCY, maxFailurePercent: 0 }, window: 'now', bakeMinutes: 0 });
    if (accepted.status !== 202) throw new Error(`rollout refused: ${JSON.stringify(accepted.body)}`);
    for (;;) {
      const { body } = await call('GET', '/v1/rollouts/1.1.0');
      if (body.status === 'succeeded') break;
      if (['halted', 'aborted'].includes(body.status)) throw new Error(`rollout on ${workers} worker(s) ended ${body.status}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return (performance.now() - started) / 1000;
  } finally {
    await db.destroy();
    await connection.close();
    await topology.stop();
  }
}

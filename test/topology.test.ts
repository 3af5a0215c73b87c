// The production topology, each part its own process: PostgreSQL, Temporal's server on it, two
// cellshift workers, two API replicas and two agent endpoints on cellshift's database, and three
// cells reached through their agents (which reach the endpoints only). During a rollout of 203
// cells one worker is SIGKILLed, the other restarted, an API SIGKILLed while clients keep calling
// the other, an agent endpoint SIGKILLed and started again, and PostgreSQL restarted once: the
// rollout still takes every cell exactly once.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { cellWorkflowId, rolloutWorkflowId } from '../src/workflows/ids';
import { cellStatusQuery } from '../src/workflows/messages';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqlReleaseCatalog } from '../src/adapters/catalog/sql-catalog';
import { openDatabase } from '../src/adapters/db/database';
import { SimulatedCluster } from '../src/adapters/simulated/cluster';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { Topology } from '../scripts/lib/topology';
import { everyDay, utcClock, waitFor } from './helpers/harness';
import { replayAllFromServer, replayFromServer } from './helpers/replay-check';

const CELLS = 200;
const AGENT_CELLS = ['topo-agent-0', 'topo-agent-1', 'topo-agent-2'];
const VERSION = '1.2.7';
const ADMIN = 'topology-admin-token';

describe('two workers and two APIs on Temporal and PostgreSQL, through crashes and a database restart', () => {
  let topology: Topology;
  const call = async (api: { url: string }, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    topology = await Topology.start({ workers: 2, apis: 2, endpoints: 2, workflowBundlePath: inject('workflowBundlePath'), tokens: [{ token: ADMIN, subject: 'ops', role: 'admin' }] });
    const db = await openDatabase(topology.databaseUrl);
    const catalog = new SqlReleaseCatalog(db);
    const rings = ['staging', 'saas', 'dedicated'] as const;
    for (const release of DEMO_RELEASES) await catalog.publish(release, { rings: [...rings] });
    await catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: VERSION }, { rings: [...rings] });
    await db.destroy();
  }, 600_000);
  afterAll(() => topology?.stop());

  it(`rolls ${CELLS} cells out exactly once while its parts crash and restart`, { timeout: 1_200_000 }, async () => {
    const [api1, api2] = topology.apis;
    const ids = Array.from({ length: CELLS }, (_, i) => `topo-${String(i).padStart(3, '0')}`);
    const window = everyDay(utcClock(-60_000), 600);
    for (let i = 0; i < ids.length; i += 20) {
      const batch = ids.slice(i, i + 20).map((id, j) =>
        call((i + j) % 2 ? api2 : api1, 'POST', '/v1/cells', { id, ring: 'saas', maintenanceWindow: window, cluster: { kind: 'simulated', initialVersion: '1.1.0' }, expectedUpdateMinutes: 5 }),
      );
      for (const res of await Promise.all(batch)) expect(res.status).toBe(201);
    }
    // Cells in customers' accounts: their agents register through an API and connect to the agent
    // endpoints only; the third is sent to the second replica, as a load balancer would send it.
    const [endpoint1, endpoint2] = topology.endpoints;
    for (const [i, id] of AGENT_CELLS.entries()) {
      expect((await call(api1, 'POST', '/v1/cells', { id, ring: 'saas', connection: 'agent', maintenanceWindow: window, cluster: { kind: 'simulated', initialVersion: '1.1.0' }, expectedUpdateMinutes: 5 })).status).toBe(201);
      const bootstrap = await call(api2, 'POST', `/v1/cells/${id}/bootstrap-token`, {});
      expect(bootstrap.status).toBe(201);
      const agent = topology.agent(id, api1, bootstrap.body);
      agent.start();
      if (i === 2) {
        const file = join(topology.dataDir, `agent-${id}.json`);
        await waitFor(`${id} registered`, async () => (existsSync(file) ? true : undefined), 60_000);
        await agent.kill();
        writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), endpoint: endpoint2.address }));
        agent.start();
      }
    }
    const total = CELLS + AGENT_CELLS.length;
    await waitFor('every cell ready', async () => {
      const res = await call(api1, 'GET', '/v1/cells?state=ready&pageSize=1000');
      return res.body?.cells?.length === total ? true : undefined;
    }, 300_000);

    // Clients keep calling the API that survives, all through: reads of the read model and of Temporal.
    const answered: { status: number; path: string; sentAt: number; answeredAt: number }[] = [];
    let calling = true;
    const outage = { from: 0, to: 0 };
    const client = (async () => {
      for (let n = 0; calling; n++) {
        const path = [`/v1/cells/${ids[n % CELLS]}`, '/v1/cells?ring=saas&pageSize=100', `/v1/rollouts/${VERSION}`, '/v1/releases'][n % 4];
        const sentAt = Date.now();
        const status = await fetch(`${api2.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } }).then(
          async (r) => (await r.arrayBuffer(), r.status),
          () => 0, // no answer at all
        );
        answered.push({ status, path, sentAt, answeredAt: Date.now() });
        await sleep(25);
      }
    })();

    expect((await call(api1, 'POST', '/v1/rollouts', { version: VERSION, waves: { maxConcurrent: 20, maxFailurePercent: 0 } })).status).toBe(202);
    // The rollout's history, as the server holds it, replays with this code (through every crash);
    // a rollout that parted from its own history stalls, so a wait that times out looks there first.
    const replays = () => replayFromServer(topology.temporal.address, rolloutWorkflowId(VERSION), inject('workflowBundlePath'));
    const orReplay = <T>(wait: Promise<T>) =>
      wait.catch(async (err: Error) => {
        const replay = await replays();
        throw new Error(`${err.message}\n${replay.ok ? 'its history replays' : replay.report}`);
      });
    const succeeded = async (atLeast: number) =>
      orReplay(
        waitFor(`${atLeast} cells updated`, async () => {
          const res = await call(api2, 'GET', `/v1/rollouts/${VERSION}`);
          return res.status === 200 && res.body.counts.succeeded >= atLeast ? (res.body.counts.succeeded as number) : undefined;
        }, 600_000),
      );

    const [worker1, worker2] = topology.workers;
    await succeeded(20);
    await worker1.kill();
    await succeeded(50);
    await worker2.stop();
    worker2.start();
    worker1.start(); // its replacement, as an orchestrator would start one
    await succeeded(80);
    await api1.kill();
    // An agent endpoint replica crashes and comes back on its address: its agents reconnect.
    await endpoint1.kill();
    await sleep(2_000);
    endpoint1.start();
    // Still mid-rollout when the database goes away.
    expect(await succeeded(110)).toBeLessThan(total);
    outage.from = Date.now();
    topology.pg.stop();
    await sleep(2_000);
    topology.pg.start();
    outage.to = Date.now();

    const done = await orReplay(
      waitFor('the rollout to end', async () => {
        const res = await call(api2, 'GET', `/v1/rollouts/${VERSION}`);
        if (res.status === 200 && ['succeeded', 'halted', 'aborted'].includes(res.body.status)) return res.body;
        // Not yet: what it said last goes into the timeout's message.
        throw new Error(`the last answer: ${res.status} ${JSON.stringify(res.status === 200 ? { status: res.body.status, counts: res.body.counts } : res.body)}`);
      }, 900_000),
    );
    calling = false;
    await client;

    const replay = await replays();
    expect(replay.ok ? '' : replay.report).toBe('');
    // So do every controller's, each of its runs: they took signals, updates and their updates' ends through the same crashes.
    const controllerReplay = await replayAllFromServer(topology.temporal.address, "WorkflowType = 'cellController'", inject('workflowBundlePath'));
    expect(controllerReplay.ok ? '' : controllerReplay.report).toBe('');
    expect(controllerReplay.ok && controllerReplay.replayed).toBeGreaterThanOrEqual(total);
    expect(done.status).toBe('succeeded');
    expect(done.counts).toMatchObject({ succeeded: total, failed: 0, held: 0 });
    const simulated = new SimulatedCluster(topology.dataDir);
    for (const id of [...ids, ...AGENT_CELLS]) {
      const cell = await simulated.read(id);
      expect(cell.version, id).toBe(VERSION);
      expect(cell.maintenance, `${id} left in maintenance`).toBe(false);
      expect(cell.log.filter((e) => e.op === 'apply' && e.version === VERSION), `${id} applied once`).toHaveLength(1);
    }
    // The read model follows each controller by a write: every cell shows the release there too.
    const readModelDeadline = Date.now() + 30_000;
    const behind = await waitFor('every cell listed on the release', async () => {
      const listed = await call(api2, 'GET', `/v1/cells?pageSize=1000`);
      const late = listed.body.cells.filter((c: { version: string }) => c.version !== VERSION);
      return late.length === 0 ? [] : Date.now() > readModelDeadline ? late : undefined;
    }, 60_000);
    // (what the controllers themselves say of those, for a failure's message)
    const connection = await Connection.connect({ address: topology.temporal.address });
    const controllers = await Promise.all(
      behind.map(async (c: { id: string }) => {
        const handle = new Client({ connection }).workflow.getHandle(cellWorkflowId(c.id));
        const view = await handle.query(cellStatusQuery);
        return { id: c.id, state: view.state, version: view.version, currentUpdate: view.currentUpdate, runId: (await handle.describe()).runId, history: view.history.slice(-2) };
      }),
    );
    await connection.close();
    expect({ behind, controllers }, 'cells the read model shows behind their controllers').toEqual({ behind: [], controllers: [] });
    // The surviving API answered every call, never with a 5xx, through all of it.
    expect(answered.length).toBeGreaterThan(100);
    // Calls in flight while the database was down (a read waits for it) were answered too.
    expect(answered.filter((a) => a.sentAt < outage.to && a.answeredAt > outage.from).length).toBeGreaterThan(0);
    expect(answered.filter((a) => a.status === 0 || a.status >= 500)).toEqual([]);
  });
});

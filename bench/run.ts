// `npm run bench`: orchestration overhead of a maintenance-window update on a zero-latency
// simulated cell, against a bare Temporal workflow running the same number of no-op activities; and
// the same update of a cell reached through its agent (its own process and task queue), through the
// agent endpoint (mutual TLS, its own process) against the same agent connected straight to Temporal.
// Starts its own dev server; prints a table and writes bench/results/latest.json.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker';
import { AGENT_VERSION, agentCapabilities } from '../agent';
import { agentTaskQueue } from '../src/domain/agent';
import { AgentCredentials } from '../src/adapters/agents/credentials';
import { createKeyAndCsr } from '../src/crypto/agent-ca';
import { loadKeyring } from '../src/crypto/keyring';
import { freePort } from '../scripts/lib/dev-server';
import { SqlReleaseCatalog } from '../src/adapters/catalog/sql-catalog';
import { openDatabase } from '../src/adapters/db/database';
import { startEmbeddedDatabase } from '../src/adapters/db/embedded';
import type { CellSpec } from '../src/domain/cell';
import type { Release } from '../src/domain/release';
import type { UpdateResult } from '../src/domain/update';
import { cellWorkflowId, updateWorkflowId } from '../src/workflows/ids';
import { agentRegistered, cellStatusQuery, requestUpdate } from '../src/workflows/messages';
import { startDevServer } from '../scripts/lib/dev-server';
import { stopGracefully } from '../scripts/lib/processes';
import { WORKER_NODE_FLAGS } from '../scripts/lib/worker-flags';
import { median, percentile } from './stats';
import { fleetCase, FLEET_CONCURRENCY, type FleetFigures } from './fleet';
import { runChild, type BareFleetActivities } from './bare-fleet';
import { readsCase } from './reads';
import { scheduleCase } from './schedule';
import { workersCase } from './workers';
import { billedActions, idleCase } from './idle';

const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 30);
const WARMUP = 3;
/**
 * ordinary activities of one requested update on the happy path: preflight, maintenance on, pull,
 * apply, verify, maintenance off (the controller's catalog read before them is a local activity,
 * charged to cellshift)
 */
const ACTIVITIES_PER_UPDATE = 6;
const here = dirname(fileURLToPath(import.meta.url));

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };
Runtime.install({ logger: quiet as never });
const server = await startDevServer({ headless: true });
// cellshift's database, embedded as `npm start` runs it (its CPU counts with this process's).
const database = await startEmbeddedDatabase();
const db = await openDatabase(database.url);
try {
  const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-bench-'));
  const catalog = new SqlReleaseCatalog(db);
  const total = WARMUP + REPETITIONS;
  const versions = Array.from({ length: total + 1 }, (_, i) => `1.0.${i}`);
  for (const version of versions) await catalog.publish(benchRelease(version));

  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  // cellshift's worker is its own process, as `npm run worker` runs it in production: its memory is
  // read from /proc, apart from the bench's client and the bare worker.
  // It loads the workflow bundle built here, as in production (the Dockerfile builds it with the image).
  const bundlePath = join(dataDir, 'workflows.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet })).code);
  const cellshiftWorker = spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', join(here, '..', 'worker.ts')], {
    // The SDK's default workflow cache (from the heap size: every controller stays cached) unless the environment says otherwise.
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, CELLSHIFT_TASK_QUEUE: 'bench-cellshift', CELLSHIFT_DATA_DIR: dataDir, CELLSHIFT_WORKFLOW_BUNDLE: bundlePath, DATABASE_URL: database.url },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // The agent endpoint, its own process as in production, and the agent's registration as the API
  // would hand it over for a bootstrap token (registration itself is not measured).
  const endpointPort = await freePort();
  const endpoint = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'src', 'agent-endpoint', 'server.ts')], {
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, CELLSHIFT_DATA_DIR: dataDir, DATABASE_URL: database.url, CELLSHIFT_AGENT_ENDPOINT_PORT: String(endpointPort), CELLSHIFT_AGENT_ENDPOINT_HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const credentials = await AgentCredentials.open(db, loadKeyring(dataDir));
  const { privateKeyPem, csrPem } = await createKeyAndCsr('bench-agent-cell');
  const issued = await credentials.issue('bench-agent-cell', csrPem, 'registration');
  writeFileSync(
    join(dataDir, 'agent-bench-agent-cell.json'),
    JSON.stringify({ cellId: 'bench-agent-cell', taskQueue: agentTaskQueue('bench-agent-cell'), namespace: 'default', endpoint: `127.0.0.1:${endpointPort}`, caCertificate: credentials.caCertificatePem, certificate: issued.certificatePem, privateKey: privateKeyPem, registeredAt: new Date().toISOString() }),
    { mode: 0o600 },
  );
  const agent = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'agent.ts'), '--cell', 'bench-agent-cell'], {
    env: { ...process.env, CELLSHIFT_DATA_DIR: dataDir, TEMPORAL_ADDRESS: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // The baseline: the same agent worker, connected straight to Temporal.
  const directAgent = spawn(process.execPath, ['--import', 'tsx', join(here, 'direct-agent.ts'), server.address, 'bench-direct-agent-cell', dataDir, database.url], { env: process.env, stdio: ['ignore', 'ignore', 'inherit'] });
  const workerRssMiB = () => Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${cellshiftWorker.pid}/status`, 'utf8'))![1]) / 1024);
  // CPU time of everything a fleet case runs on: the Temporal server, cellshift's worker, and this
  // process (the bare worker and the client). Unlike wall time, it does not move with a busy neighbour.
  const machine = { cpuSeconds: () => processCpuSeconds(server.process.pid!) + processCpuSeconds(cellshiftWorker.pid!) + ownCpuSeconds(), workerRssMiB };
  const bareWorker = await Worker.create({
    connection: nativeConnection,
    taskQueue: 'bench-bare',
    workflowsPath: join(here, 'bare-workflow.ts'),
    activities: {
      async noop() {},
      async runCells(workflowIds: string[], activities: number) {
        await Promise.all(workflowIds.map((id) => client.workflow.getHandle(id).executeUpdate(runChild, { args: [activities] })));
      },
    } satisfies BareFleetActivities,
  });

  // Started once: each phase races it, so a worker that dies fails the bench instead of hanging it.
  const workersStopped = Promise.race([...[cellshiftWorker, agent, directAgent, endpoint].map((child) => new Promise((resolve) => child.once('exit', resolve))), bareWorker.run()]).then((): never => {
    throw new Error('workers stopped');
  });
  const results = await Promise.race([
    workersStopped,
    (async () => {
      const startCell = (id: string, extra: Partial<CellSpec> = {}) =>
        client.workflow.start('cellController', {
          workflowId: cellWorkflowId(id),
          taskQueue: 'bench-cellshift',
          args: [
            {
              spec: {
                id,
                ring: 'staging',
                strategy: 'maintenance-window',
                // Always open: the fleet case's rollout takes these cells along, and must not wait for a window.
                maintenanceWindow: { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', durationMinutes: 1439, timezone: 'UTC' },
                cluster: { kind: 'simulated', initialVersion: versions[0] },
                expectedUpdateMinutes: 1,
                ...extra,
              },
            },
          ],
        });
      const controller = await startCell('bench-cell');
      // The same cell reached through its agent: every cluster step on the agent's own queue and process.
      const agentController = await startCell('bench-agent-cell', { connection: 'agent' });
      const directController = await startCell('bench-direct-agent-cell', { connection: 'agent' });
      for (const c of [agentController, directController]) await c.executeUpdate(agentRegistered, { args: [{ agentVersion: AGENT_VERSION, capabilities: agentCapabilities(), host: 'bench', registeredAt: new Date().toISOString() }] });
      // The worker process bundles the workflows first: queries fail until it polls.
      for (const c of [controller, agentController, directController]) while ((await c.query(cellStatusQuery).catch(() => undefined))?.state !== 'ready') await new Promise((r) => setTimeout(r, 50));

      /** One requested update, until its result, and until the controller has taken its end. */
      const timedUpdate = async (cell: typeof controller, version: string) => {
        const start = performance.now();
        const accepted = await cell.executeUpdate(requestUpdate, { args: [{ version, window: 'now', requestedBy: 'bench' }] });
        const result: UpdateResult = await client.workflow.getHandle(updateWorkflowId(accepted.id)).result();
        if (result.status !== 'succeeded') throw new Error(`update ${accepted.id} ended ${result.status}: ${result.error}`);
        const ms = performance.now() - start;
        while ((await cell.query(cellStatusQuery)).currentUpdate) await new Promise((r) => setTimeout(r, 5));
        return ms;
      };

      const cellshiftMs: number[] = [];
      const agentMs: number[] = [];
      const directAgentMs: number[] = [];
      const bareMs: number[] = [];
      let endpointCpu = 0;
      for (let i = 0; i < total; i++) {
        // Interleaved, so drift in the machine's load hits every side alike.
        const cellshift = await timedUpdate(controller, versions[i + 1]);
        const cpuBefore = processCpuSeconds(endpoint.pid!);
        const throughAgent = await timedUpdate(agentController, versions[i + 1]);
        if (i >= WARMUP) endpointCpu += processCpuSeconds(endpoint.pid!) - cpuBefore;
        const direct = await timedUpdate(directController, versions[i + 1]);

        const start = performance.now();
        await client.workflow.execute('bareSteps', { workflowId: `bare-${i}`, taskQueue: 'bench-bare', args: [ACTIVITIES_PER_UPDATE] });
        const bare = performance.now() - start;
        if (i >= WARMUP) {
          cellshiftMs.push(cellshift);
          agentMs.push(throughAgent);
          directAgentMs.push(direct);
          bareMs.push(bare);
        }
      }
      // What one update costs: the update's own history, and its controller's events for it (read once it has settled).
      const perUpdate = await (async () => {
        const extra = '1.1.1';
        await catalog.publish(benchRelease(extra));
        const before = (await controller.describe()).historyLength;
        const accepted = await controller.executeUpdate(requestUpdate, { args: [{ version: extra, window: 'now', requestedBy: 'bench' }] });
        await client.workflow.getHandle(updateWorkflowId(accepted.id)).result();
        while ((await controller.query(cellStatusQuery)).currentUpdate) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, 2_000));
        const controllerEvents = ((await controller.fetchHistory()).events ?? []).filter((e) => Number(e.eventId) > before);
        const updateEvents = (await client.workflow.getHandle(updateWorkflowId(accepted.id)).fetchHistory()).events ?? [];
        return { updateEvents: updateEvents.length, controllerEvents: controllerEvents.length, actions: billedActions(updateEvents) + billedActions(controllerEvents) };
      })();
      // A release as vendors ship them, 5 MB of manifests: what its update's history holds, in bytes.
      const big = '1.1.0';
      await catalog.publish({ ...benchRelease(big), manifests: Array.from({ length: 50 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `bench-${i}` }, data: { blob: 'x'.repeat(100_000) } })) });
      const bigUpdate = await agentController.executeUpdate(requestUpdate, { args: [{ version: big, window: 'now', requestedBy: 'bench' }] });
      await client.workflow.getHandle(updateWorkflowId(bigUpdate.id)).result();
      const historyBytes = JSON.stringify(await client.workflow.getHandle(updateWorkflowId(bigUpdate.id)).fetchHistory()).length;
      const idle = await idleCase(client, 'bench-cellshift', versions[0]);
      return { cellshiftMs, agentMs, directAgentMs, bareMs, endpointCpuMsPerUpdate: (endpointCpu * 1000) / REPETITIONS, historyBytes, perUpdate, idle };
    })(),
  ]);

  const fleet: FleetFigures[] = [];
  for (const size of (process.env.BENCH_FLEET_SIZES ?? '100,1000').split(',').map(Number)) {
    fleet.push(await Promise.race([fleetCase(client, 'bench-cellshift', 'bench-bare', catalog, size, machine), workersStopped]));
  }
  // Gone before the reads are measured: a worker with a thousand controllers takes seconds to shut down.
  await Promise.all([cellshiftWorker, agent, directAgent].map((child) => stopGracefully(child, 15_000)));
  await stopGracefully(endpoint, 15_000);
  bareWorker.shutdown();
  const reads = await readsCase(server.address);
  const schedule = scheduleCase();
  const contracted = scheduleCase(1000, 240, 20, true);
  const workers = await workersCase(Number(process.env.BENCH_WORKER_CELLS ?? 1000), bundlePath);

  const row = (name: string, values: number[]) => ({ name, median: median(values), p90: percentile(values, 90), min: Math.min(...values) });
  const rows = [
    row('maintenance-window update (cellshift)', results.cellshiftMs),
    row(`bare workflow, ${ACTIVITIES_PER_UPDATE} no-op ordinary activities`, results.bareMs),
    row("the same update through the cell's agent, through the agent endpoint", results.agentMs),
    row('the same update through an agent connected straight to Temporal (before the endpoint)', results.directAgentMs),
  ];
  const ratio = rows[0].median / rows[1].median;
  const agentRatio = rows[2].median / rows[0].median;
  const endpointRatio = rows[2].median / rows[3].median;
  // Per update the agent takes 6 tasks (a poll each) and answers each (a response each), plus heartbeats.
  const endpointCpuMsPerCall = results.endpointCpuMsPerUpdate / (2 * ACTIVITIES_PER_UPDATE);
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    repetitions: REPETITIONS,
    activitiesPerUpdate: ACTIVITIES_PER_UPDATE,
    rows,
    overheadRatio: ratio,
    target: 1.2,
    agentRatio,
    agentTarget: 1.2,
    endpointRatio,
    endpointTarget: 1.15,
    endpointCpuMsPerUpdate: results.endpointCpuMsPerUpdate,
    endpointCpuMsPerCall,
    historyBytesFor5MbRelease: results.historyBytes,
    historyBytesTarget: 64 * 1024,
    perUpdate: results.perUpdate,
    idle: results.idle,
  };
  console.log(`\norchestration overhead, ${REPETITIONS} repetitions (after ${WARMUP} warm-up), ${report.machine.cpus} cores, ${report.machine.cpuModel}`);
  console.log('| case | median ms | p90 ms | min ms |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.min.toFixed(1)} |`);
  console.log(`\noverhead ratio (median): ${ratio.toFixed(2)}× (target ≤ ${report.target}×)`);
  console.log(`through the agent, against the control plane's worker (median): ${agentRatio.toFixed(2)}× (target ≤ ${report.agentTarget}×)`);
  console.log(`through the agent endpoint, against the agent straight to Temporal (median): ${endpointRatio.toFixed(2)}× (target ≤ ${report.endpointTarget}×)`);
  console.log(`the endpoint's own CPU: ${results.endpointCpuMsPerUpdate.toFixed(1)} ms per update, about ${endpointCpuMsPerCall.toFixed(2)} ms per forwarded poll or answer`);
  console.log(`an update of a release with 5 MB of manifests, through the agent: ${(results.historyBytes / 1024).toFixed(1)} KB of history (target ≤ 64 KB)`);
  const { perUpdate, idle } = results;
  console.log(`one update: ${perUpdate.updateEvents} history events in the update, ${perUpdate.controllerEvents} in its controller, ${perUpdate.actions} billed actions`);
  console.log(`an idle cell at the default check interval (${idle.checkIntervalSeconds} s): ${idle.actionsPerCheck.toFixed(1)} actions and ${idle.eventsPerCheck.toFixed(1)} events per check (${idle.checks} checks measured), ${idle.actionsPerDay.toFixed(0)} actions and ${idle.eventsPerDay.toFixed(0)} events per day`);
  console.log(`\nfleet rollout, three rings, maxConcurrent ${FLEET_CONCURRENCY}, zero-latency simulated cells, ${ACTIVITIES_PER_UPDATE} activities per cell on every side`);
  console.log('| cells | cellshift s | bare, same shape (signals, sliding) s | ratio (target ≥ 0.9×) | CPU ratio | bare, shape before (waves, activity) s | ratio | bare children s | ratio (context) | CPU ms per cell: cellshift / same shape / before / children | worker RSS, controllers open |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const f of fleet) {
    console.log(
      `| ${f.cells} | ${f.cellshiftSeconds.toFixed(1)} | ${f.bareSignalsSeconds.toFixed(1)} | ${f.ratioToSignals.toFixed(2)}× | ${f.cpuRatioToSignals.toFixed(2)}× | ${f.bareCellsSeconds.toFixed(1)} | ${f.ratioToCells.toFixed(2)}× | ${f.bareSeconds.toFixed(1)} | ${f.ratio.toFixed(2)}× | ${f.cellshiftCpuMsPerCell.toFixed(0)} / ${f.bareSignalsCpuMsPerCell.toFixed(0)} / ${f.bareCellsCpuMsPerCell.toFixed(0)} / ${f.bareCpuMsPerCell.toFixed(0)} | ${f.rssMiBWithControllers} MiB |`,
    );
  }
  console.log('targets: update ≤ 1.2× bare; rollout ≥ 0.9× bare in the same shape; ≤ 600 MB with 1,000 controllers');
  console.log(`\nreads from the read model (PostgreSQL), ${reads.cells} cells, ${reads.rate} requests/s for ${reads.seconds} s each, open loop`);
  console.log('| read | cellshift p50 ms | p99 ms | bare Fastify p50 ms | p99 ms | p99 ratio | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of reads.cases) {
    console.log(`| ${c.name} | ${c.cellshift.p50.toFixed(1)} | ${c.cellshift.p99.toFixed(1)} | ${c.bare.p50.toFixed(1)} | ${c.bare.p99.toFixed(1)} | ${c.p99Ratio.toFixed(2)}× | ${c.cellshift.errors + c.bare.errors} |`);
  }
  console.log(`targets: p99 ≤ ${reads.cases.map((c) => `${c.target} ms`).join(' and ')}; ≤ 1.5× bare`);
  console.log(`\na rollout of ${workers.cells} cells on Temporal's server on PostgreSQL, maxConcurrent ${FLEET_CONCURRENCY}, worker processes added`);
  console.log('| workers | rollout s | cells/s |');
  console.log('| ---: | ---: | ---: |');
  for (const [n, seconds] of Object.entries(workers.seconds)) console.log(`| ${n} | ${seconds.toFixed(1)} | ${(workers.cells / seconds).toFixed(1)} |`);
  console.log(`throughput, two workers against one: ${workers.throughputRatio.toFixed(2)}× on ${report.machine.cpus} cores`);
  console.log(`\nwindow-aware rollout of ${schedule.cells} cells, ${schedule.windowMinutes}-minute windows spread over 24 h in six time zones, ${schedule.expectedMinutes} min per update (simulated clock, the rollout's own scheduler)`);
  console.log('| maxConcurrent | rollout h | lower bound h | ratio (target ≤ 1.05×) | planning ms |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const c of schedule.cases) console.log(`| ${c.maxConcurrent} | ${c.hours.toFixed(2)} | ${c.lowerBoundHours.toFixed(2)} | ${c.ratio.toFixed(3)}× | ${c.planMs.toFixed(0)} |`);
  console.log('\nthe same ring under change contracts: a tenth of the cells in a blackout over the first day, a fifth owed three days of notice, one in twenty postponed two days');
  console.log('| maxConcurrent | rollout h | lower bound h | ratio (target ≤ 1.05×) | planning ms |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const c of contracted.cases) console.log(`| ${c.maxConcurrent} | ${c.hours.toFixed(2)} | ${c.lowerBoundHours.toFixed(2)} | ${c.ratio.toFixed(3)}× | ${c.planMs.toFixed(0)} |`);
  writeFileSync(join(here, 'results', 'latest.json'), JSON.stringify({ ...report, fleet, fleetConcurrency: FLEET_CONCURRENCY, reads, workers, schedule, contracted }, null, 2) + '\n');
} finally {
  await server.stop();
  await db.destroy();
  await database.stop();
}
process.exit(0);

/** user + system time of a process, from /proc (clock ticks of 1/100 s) */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function benchRelease(version: string): Release {
  return { version, components: { server: `bench/server:${version}`, proxy: `bench/proxy:${version}` }, breaking: false };
}

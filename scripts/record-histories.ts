// Records the histories the replay test guards (test/histories/<release>/*.json): updates that
// succeed, roll back and are cancelled, a live update, a rollback, a staging-first update, a
// controller, and a fleet rollout over two rings with the controller it updated. Run once per
// release, before tagging it; each release keeps its histories (CONTRIBUTING.md):
//   npx tsx scripts/record-histories.ts <release>     e.g. 0.2.0
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { SqlReleaseCatalog } from '../src/adapters/catalog/sql-catalog';
import { openDatabase } from '../src/adapters/db/database';
import { startEmbeddedDatabase } from '../src/adapters/db/embedded';
import { SimulatedCluster } from '../src/adapters/simulated/cluster';
import { cellWorkflowId, rolloutWorkflowId, updateWorkflowId } from '../src/workflows/ids';
import { cellStatusQuery, requestUpdate } from '../src/workflows/messages';
import { createWorker } from '../worker';
import { startDevServer } from './lib/dev-server';
import { findTemporalCli } from './lib/temporal-cli';
import { DEMO_RELEASES } from './seed/demo-fleet';

Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never });
const release = process.argv[2];
if (!release || !/^\d+\.\d+\.\d+$/.test(release)) throw new Error('usage: npx tsx scripts/record-histories.ts <release, e.g. 0.2.0>');
const out = join(import.meta.dirname, '..', 'test', 'histories', `v${release}`);
mkdirSync(out, { recursive: true });
const server = await startDevServer({ headless: true });
const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-record-'));
const database = await startEmbeddedDatabase();
const db = await openDatabase(database.url);
const catalog = new SqlReleaseCatalog(db);
for (const release of DEMO_RELEASES) await catalog.publish(release, { rings: ['staging', 'saas', 'dedicated'] });
const simulated = new SimulatedCluster(dataDir);
const connection = await NativeConnection.connect({ address: server.address });
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const worker = await createWorker({ connection, namespace: 'default', taskQueue: 'record', dataDir, client, db });

await worker.runUntil(async () => {
  const spec = {
    id: 'recorded',
    ring: 'saas',
    strategy: 'maintenance-window',
    maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 120, timezone: 'UTC' },
    cluster: { kind: 'simulated', initialVersion: '1.0.0' },
    expectedUpdateMinutes: 30,
  };
  const controller = await client.workflow.start('cellController', { workflowId: cellWorkflowId(spec.id), taskQueue: 'record', args: [{ spec }] });
  while ((await controller.query(cellStatusQuery)).state !== 'ready') await new Promise((r) => setTimeout(r, 100));

  const run = async (version: string, name: string, before?: () => Promise<void>, during?: (id: string) => Promise<void>, extra: object = {}) => {
    await before?.();
    const accepted = await controller.executeUpdate(requestUpdate, { args: [{ version, window: 'now', requestedBy: 'recorder', ...extra }] });
    const handle = client.workflow.getHandle(updateWorkflowId(accepted.id));
    await during?.(accepted.id);
    await handle.result();
    while ((await controller.query(cellStatusQuery)).currentUpdate) await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(out, `${name}.json`), history(handle.workflowId));
  };
  await run('1.1.0', 'update-succeeded');
  await run('1.2.0', 'update-rolled-back', async () => void (await simulated.setFaults('recorded', { verify: { mode: 'fail' } })));
  await run(
    '1.2.0',
    'update-cancelled',
    async () => void (await simulated.setFaults('recorded', { apply: { mode: 'none', latencyMs: 3000 } })),
    async (id) => {
      await new Promise((r) => setTimeout(r, 1500));
      await client.workflow.getHandle(updateWorkflowId(id)).executeUpdate('cancel', { args: [{ by: 'recorder' }] });
    },
  );
  await run('1.2.0', 'update-live', async () => void (await simulated.setFaults('recorded', {})), undefined, {
    strategy: 'live',
    live: { batchSize: 2, analysis: { checks: 2, intervalSeconds: 1 } },
  });
  const rollback = await controller.executeUpdate('requestRollback', { args: [{ requestedBy: 'recorder' }] });
  await client.workflow.getHandle(updateWorkflowId((rollback as { id: string }).id)).result();
  while ((await controller.query(cellStatusQuery)).currentUpdate) await new Promise((r) => setTimeout(r, 100));
  writeFileSync(join(out, 'update-rollback.json'), history(updateWorkflowId((rollback as { id: string }).id)));
  writeFileSync(join(out, 'cell-controller.json'), history(controller.workflowId));

  // A staging-first update with an approval, on a second pair of cells.
  const stage = await client.workflow.start('cellController', {
    workflowId: cellWorkflowId('recorded-stage'),
    taskQueue: 'record',
    args: [{ spec: { ...spec, id: 'recorded-stage', ring: 'staging' } }],
  });
  const primary = await client.workflow.start('cellController', {
    workflowId: cellWorkflowId('recorded-primary'),
    taskQueue: 'record',
    args: [{ spec: { ...spec, id: 'recorded-primary', strategy: 'staging-first', stagingCellId: 'recorded-stage', stagingFirst: { soakSeconds: 1, healthCheckIntervalSeconds: 1 } } }],
  });
  for (const c of [stage, primary]) while ((await c.query(cellStatusQuery)).state !== 'ready') await new Promise((r) => setTimeout(r, 100));
  const staged = await primary.executeUpdate(requestUpdate, { args: [{ version: '1.1.0', window: 'now', requestedBy: 'recorder' }] });
  const handle = client.workflow.getHandle(updateWorkflowId(staged.id));
  while ((await handle.query('progress') as { status: string }).status !== 'waiting-approval') await new Promise((r) => setTimeout(r, 100));
  await handle.executeUpdate('approve', { args: [{ by: 'recorder' }] });
  await handle.result();
  writeFileSync(join(out, 'update-staging-first.json'), history(handle.workflowId));

  // A fleet rollout over two rings without bake time: the staging cell, a health check, then an empty ring.
  const rollout = await client.workflow.start('fleetRollout', {
    workflowId: rolloutWorkflowId('1.2.0'),
    taskQueue: 'record',
    args: [{ id: '1.2.0', version: '1.2.0', rings: ['staging', 'dedicated'], waves: { maxConcurrent: 2, maxFailures: 0 }, bakeSeconds: 0, approvalBetweenRings: false, window: 'now', requestedBy: 'recorder' }],
  });
  await rollout.result();
  writeFileSync(join(out, 'fleet-rollout.json'), history(rollout.workflowId));
  // The staging cell's controller, whose desired version the rollout set (with the catalog it read).
  writeFileSync(join(out, 'cell-controller-in-rollout.json'), history(stage.workflowId));
});
await server.stop();
await db.destroy();
await database.stop();

/** Temporal's own JSON history format, as the CLI and the Web UI export it. */
function history(workflowId: string): string {
  return execFileSync(findTemporalCli(), ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', server.address], { encoding: 'utf8' });
}
console.error(`histories written to ${out}`);
process.exit(0);

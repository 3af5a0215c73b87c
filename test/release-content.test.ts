// A release's content travels by reference: stored once by its digest, fetched by the step that
// applies it (on an agent cell, over the agent's own connection, only for releases its tasks
// name), checked against its digest. An update's history holds no manifest, whatever the release's
// size; and an update started with content of its own (no release the vendor published) applies none.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateWorkflowId, cellWorkflowId } from '../src/workflows/ids';
import { Harness } from './helpers/harness';

/** Manifests as vendors ship them run to megabytes: 3 MB of them here, with a marker to look for. */
const MARKER = 'vendor-manifest-marker';
const bigRelease = (version: string) => ({
  version,
  components: { server: `registry.example.com/gitpod/server:${version}`, dashboard: `registry.example.com/gitpod/dashboard:${version}` },
  breaking: false,
  manifests: Array.from({ length: 30 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `config-${i}` }, data: { [MARKER]: 'y'.repeat(100_000), version } })),
});

describe('release content by reference', () => {
  let h: Harness;
  let agent: ChildProcess;
  beforeAll(async () => {
    h = await Harness.start();
    for (const version of ['5.0.0', '5.0.1']) {
      expect((await h.http('POST', '/v1/releases', bigRelease(version))).status).toBe(201);
      for (const ring of ['staging', 'saas', 'dedicated']) expect((await h.http('POST', `/v1/releases/${version}/promote`, { ring })).status).toBe(200);
    }
    await h.registerCell('by-ref-direct');
    agent = (await h.registerAgentCell('by-ref-agent')).agent;
  });
  afterAll(async () => {
    if (agent) await h.kill(agent);
    await h?.stop();
  });

  const historyOf = async (workflowId: string) => JSON.stringify(await h.client.workflow.getHandle(workflowId).fetchHistory());

  it('updates direct and agent cells to a 3 MB release whose manifests no history holds', async () => {
    for (const cellId of ['by-ref-direct', 'by-ref-agent']) {
      const accepted = await h.requestUpdate(cellId, { version: '5.0.0', window: 'now' });
      const done = await h.waitForUpdate(accepted.body.id);
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
      expect((await h.simulated.read(cellId)).version).toBe('5.0.0');
      const history = await historyOf(updateWorkflowId(accepted.body.id));
      expect(history).not.toContain(MARKER);
      expect(history.length).toBeLessThan(64 * 1024);
      expect(await historyOf(cellWorkflowId(cellId))).not.toContain(MARKER);
    }
  });

  it("an agent reads through the endpoint only the releases its cell's tasks named", async () => {
    const state = JSON.parse(readFileSync(join(h.dataDir, 'agent-by-ref-agent.json'), 'utf8')) as { privateKey: string; certificate: string; caCertificate: string };
    const connection = await Connection.connect({ address: `127.0.0.1:${h.endpoint.port}`, tls: { serverRootCACertificate: Buffer.from(state.caCertificate), clientCertPair: { crt: Buffer.from(state.certificate), key: Buffer.from(state.privateKey) } } });
    const call = (path: string, request: unknown) =>
      new Promise<{ code?: number; body?: any }>((resolve) =>
        (connection as any).client.makeUnaryRequest(path, (v: unknown) => Buffer.from(JSON.stringify(v)), (b: Buffer) => JSON.parse(b.toString()), request, { deadline: Date.now() + 10_000 }, (err: any, body: unknown) => resolve(err ? { code: err.code } : { body })),
      );
    const named = (await h.http('GET', '/v1/releases/5.0.0')).body;
    const other = (await h.http('GET', '/v1/releases/5.0.1')).body;
    expect((await call('/cellshift.agent.v1.Releases/Get', { version: '5.0.0', digest: named.digest })).body.release.digest).toBe(named.digest);
    expect((await call('/cellshift.agent.v1.Releases/Content', { digest: named.contentDigest })).body.content).toContain(MARKER);
    // 5.0.1 was never named by a task of this cell: neither it nor its manifests.
    const denied = await call('/cellshift.agent.v1.Releases/Get', { version: '5.0.1', digest: other.digest });
    expect(denied.code, JSON.stringify(denied)).toBe(7);
    expect((await call('/cellshift.agent.v1.Releases/Content', { digest: other.contentDigest })).code).toBe(7);
    await connection.close();
  });

  it('an update started with content of its own, for a release no one published, applies nothing', async () => {
    // Someone with Temporal access (not an agent: those cannot start workflows) starts an update with a release in its input.
    const forged = await h.client.workflow.start('maintenanceWindowUpdate', {
      taskQueue: h.taskQueue,
      workflowId: 'update/by-ref-direct/u99',
      args: [{ id: 'by-ref-direct-u99', cellId: 'by-ref-direct', cluster: { kind: 'simulated' }, strategy: 'maintenance-window', fromVersion: '5.0.0', toVersion: '6.6.6', window: 'now', expectedUpdateMinutes: 5, requestedBy: 'mallory', release: { version: '6.6.6', components: { server: 'registry.example.com/not-from-the-vendor:6.6.6' }, breaking: false } }],
    });
    const result = await forged.result();
    expect(result).toMatchObject({ status: 'failed', failedStep: 'preflight', error: 'release 6.6.6 is not in the catalog' });
    const sim = await h.simulated.read('by-ref-direct');
    expect(sim.version).toBe('5.0.0');
    expect(JSON.stringify(sim)).not.toContain('not-from-the-vendor');
    // A version the catalog has, with a digest it does not: refused too, before maintenance mode.
    const mismatched = await h.client.workflow.start('maintenanceWindowUpdate', {
      taskQueue: h.taskQueue,
      workflowId: 'update/by-ref-direct/u98',
      args: [{ id: 'by-ref-direct-u98', cellId: 'by-ref-direct', cluster: { kind: 'simulated' }, strategy: 'maintenance-window', fromVersion: '5.0.0', toVersion: '5.0.1', digest: `sha256:${'0'.repeat(64)}`, window: 'now', expectedUpdateMinutes: 5, requestedBy: 'mallory' }],
    });
    expect(await mismatched.result()).toMatchObject({ status: 'failed', failedStep: 'preflight', error: expect.stringContaining('the update names sha256:0000') });
    expect((await h.simulated.read('by-ref-direct')).log.filter((e) => e.op === 'maintenance-on')).toHaveLength(1); // the first update's only
  });
});

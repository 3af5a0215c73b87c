import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { openDatabase, type Db } from '../src/adapters/db/database';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/adapters/db/embedded';
import { SimulatedCluster } from '../src/adapters/simulated/cluster';
import { SimulatedStack } from '../src/adapters/simulated/stack';
import { buildApp } from '../src/api/app';
import { apiStores } from '../src/api/stores';
import { ensureSearchAttributes } from '../src/workflows/client';
import { DAY_MS } from '../src/domain/infra';
import { cellWorkflowId, infraWorkflowId } from '../src/workflows/ids';
import { cellStatusQuery, infraProgressQuery } from '../src/workflows/messages';
import { buildActivities } from '../worker';
import { DEFAULT_AGENT_POLICY } from '../src/domain/agent';
import { TOKENS, everyDay } from './helpers/harness';
import { createTimeSkippingEnv } from './helpers/time-skipping';

// The real 14 days, on the Java time-skipping test server: timers fire as soon as nothing runs.
describe('infrastructure updates: the two-week deadline, enforced by timers', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let base: string;
  let database: EmbeddedDatabase;
  let db: Db;
  const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-infra-'));
  const taskQueue = 'infra-test';

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    await ensureSearchAttributes(env.client.connection as Connection, 'default');
    database = await startEmbeddedDatabase();
    db = await openDatabase(database.url);
    const { stores, bootstrapTokens, agentCredentials } = await apiStores(db, dataDir);
    const catalog = stores.catalog;
    for (const release of DEMO_RELEASES) await catalog.publish(release, { rings: ['staging', 'saas', 'dedicated'] });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: buildActivities(dataDir, env.client, db),
    });
    running = worker.run();
    app = await buildApp({
      temporal: env.client,
      taskQueue,
      stores,
      simulated: new SimulatedCluster(dataDir),
      simulatedStack: new SimulatedStack(dataDir),
      tokens: [{ token: TOKENS.operator, subject: 'oscar-operator', role: 'operator' }],
      agents: { bootstrapTokens, credentials: agentCredentials, endpoint: 'unused:7443', ...DEFAULT_AGENT_POLICY },
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
    await db?.destroy();
    await database?.stop();
  });

  const http = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKENS.operator}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const notifications = () =>
    readFileSync(join(dataDir, 'notifications.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

  it('reminds, goes at-risk and out-of-sla, holds app updates, and returns to in-sla once applied', { timeout: 180_000 }, async () => {
    const cellId = 'infra-cell';
    const controller = await env.client.workflow.start('cellController', {
      workflowId: cellWorkflowId(cellId),
      taskQueue,
      args: [
        {
          spec: {
            id: cellId,
            ring: 'dedicated',
            strategy: 'maintenance-window',
            maintenanceWindow: everyDay('02:00', 120),
            cluster: { kind: 'simulated', initialVersion: '1.1.0' },
            expectedUpdateMinutes: 30,
            checkIntervalSeconds: 60 * 24 * 3600,
            stack: { kind: 'simulated', templateVersion: '1' },
            infraApply: true,
          },
        },
      ],
    });
    while ((await controller.query(cellStatusQuery)).state !== 'ready') await env.sleep(1_000);

    const publishedAt = await env.currentTimeMs();
    const published = await http('POST', `/v1/cells/${cellId}/infra-updates`, { templateVersion: '2', templateUrl: 'https://templates.example/cell-v2.yaml', publishedAt: new Date(publishedAt).toISOString() });
    expect(published.status).toBe(202);
    const deadline = publishedAt + 14 * DAY_MS;
    expect(Date.parse(published.body.deadline)).toBe(deadline);
    const infra = env.client.workflow.getHandle(infraWorkflowId(cellId, '2'));
    const cell = async () => (await http('GET', `/v1/cells/${cellId}`)).body;

    await env.sleep(6 * DAY_MS);
    expect((await infra.query(infraProgressQuery)).reminders).toEqual([]);
    expect((await cell()).sla).toBe('in-sla');

    await env.sleep(6.5 * DAY_MS); // day 12.5: the 7-day and 2-day reminders are out, under 2 days left
    let progress = await infra.query(infraProgressQuery);
    expect(progress.reminders.map((r) => r.daysBefore)).toEqual([7, 2]);
    expect(progress.sla).toBe('at-risk');
    expect((await cell()).sla).toBe('at-risk');
    expect((await http('POST', `/v1/cells/${cellId}/updates`, { version: '1.2.0' })).status).toBe(202); // at risk, not yet held
    await env.sleep(1_000);

    await env.sleep(2 * DAY_MS); // day 14.5: past the deadline
    progress = await infra.query(infraProgressQuery);
    expect(progress.reminders.map((r) => r.daysBefore)).toEqual([7, 2, 1]);
    expect(progress.sla).toBe('out-of-sla');
    const held = await cell();
    expect(held.sla).toBe('out-of-sla');
    expect(held.infraUpdates).toEqual([expect.objectContaining({ templateVersion: '2', sla: 'out-of-sla' })]);

    const reminders = notifications().filter((n) => n.kind === 'infra-update-reminder');
    expect(reminders.map((n) => Date.parse(n.sentAt) - deadline)).toEqual([-7 * DAY_MS, -2 * DAY_MS, -1 * DAY_MS].map((ms) => expect.closeTo(ms, -4)));
    expect(notifications().map((n) => n.kind)).toEqual(expect.arrayContaining(['infra-update-published', 'infra-update-overdue']));

    // App updates are refused, naming the overdue infra update; the infra update itself is accepted.
    await controller.query(cellStatusQuery).then((s) => expect(s.currentUpdate).toBeUndefined());
    const refused = await http('POST', `/v1/cells/${cellId}/updates`, { version: '2.0.0' });
    expect(refused.status).toBe(409);
    expect(refused.body.title).toBe('UpdatesHeld');
    expect(refused.body.detail).toContain('infrastructure update 2');

    expect((await http('POST', `/v1/cells/${cellId}/infra-updates/2/apply`)).status).toBe(202);
    const applied = await infra.result();
    expect(applied).toMatchObject({ status: 'applied', appliedBy: 'cellshift', sla: 'in-sla' });
    expect((await new SimulatedStack(dataDir).read(cellId)).templateVersion).toBe('2');
    await env.sleep(1_000);
    expect((await cell()).sla).toBe('in-sla');
    expect((await http('POST', `/v1/cells/${cellId}/updates`, { version: '2.0.0', window: 'now' })).status).toBe(202);
  });
});

// The time-skipping tooling works: a workflow that sleeps 14 days completes in seconds of wall time.
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTimeSkippingEnv } from './helpers/time-skipping';
import type { sleepy } from './fixtures/sleepy';

const DAY_MS = 24 * 60 * 60 * 1000;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never });
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

it('skips a 14-day sleep', async () => {
  expect(env.supportsTimeSkipping).toBe(true);
  const taskQueue = `tts-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: join(import.meta.dirname, 'fixtures', 'sleepy.ts'),
  });
  const serverBefore = await env.currentTimeMs();
  const wallBefore = Date.now();
  const result = await worker.runUntil(
    env.client.workflow.execute<typeof sleepy>('sleepy', { taskQueue, workflowId: `sleepy-${randomUUID()}`, args: [14] }),
  );
  const wallMs = Date.now() - wallBefore;
  const serverMs = (await env.currentTimeMs()) - serverBefore;

  expect(result).toBe('slept 14 days');
  expect(serverMs).toBeGreaterThanOrEqual(14 * DAY_MS);
  expect(wallMs).toBeLessThan(20_000);
  console.error(`14-day sleep: ${wallMs} ms of wall time, server clock +${(serverMs / DAY_MS).toFixed(2)} days`);
});

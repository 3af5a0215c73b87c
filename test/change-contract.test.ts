// The customer's change contract, over days, on the Java time-skipping test server: each cell's
// update starts exactly when its contract allows (a blackout, the notice it is owed, the customer's
// postponement), as the cell's upcoming plan said before any time passed; and what the customer may
// not do (postpone past the contract or an infrastructure deadline, a blackout outside the
// contract's allowance) is refused naming the rule, changing nothing.
import { mkdtempSync } from 'node:fs';
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
import { DEFAULT_AGENT_POLICY } from '../src/domain/agent';
import { ensureSearchAttributes } from '../src/workflows/client';
import { cellWorkflowId } from '../src/workflows/ids';
import { cellStatusQuery } from '../src/workflows/messages';
import { buildActivities } from '../worker';
import { everyDay, TOKENS } from './helpers/harness';
import { createTimeSkippingEnv } from './helpers/time-skipping';

const DAY = 86_400_000;
const CUSTOMER = 'test-contract-customer-token';
const OTHER_CUSTOMER = 'test-contract-other-customer-token';

describe("the customer's change contract, enforced by timers", () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let base: string;
  let database: EmbeddedDatabase;
  let db: Db;
  const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-contract-'));
  const taskQueue = 'contract-test';

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    await ensureSearchAttributes(env.client.connection as Connection, 'default');
    database = await startEmbeddedDatabase();
    db = await openDatabase(database.url);
    const { stores, bootstrapTokens, agentCredentials } = await apiStores(db, dataDir);
    const fix = { ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '1.2.1', notes: 'a security fix' };
    for (const release of [...DEMO_RELEASES, fix]) await stores.catalog.publish(release, { rings: ['staging', 'saas', 'dedicated'] });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') }, activities: buildActivities(dataDir, env.client, db) });
    running = worker.run();
    app = await buildApp({
      temporal: env.client,
      taskQueue,
      stores,
      simulated: new SimulatedCluster(dataDir),
      simulatedStack: new SimulatedStack(dataDir),
      tokens: [
        { token: TOKENS.operator, subject: 'oscar-operator', role: 'operator' },
        { token: TOKENS.admin, subject: 'alice-admin', role: 'admin' },
        { token: CUSTOMER, subject: 'carla-customer', role: 'customer', cells: ['cc-plain', 'cc-blackout', 'cc-notice', 'cc-postponed', 'cc-infra', 'cc-emergency', 'cc-all', 'cc-approve', 'cc-deny', 'cc-skip', 'cc-proceed'] },
        { token: OTHER_CUSTOMER, subject: 'otto-customer', role: 'customer', cells: ['cc-other'] },
      ],
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

  const http = async (method: string, path: string, body?: unknown, token = TOKENS.operator) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
  };
  /** A cell's controller, as registration starts it, with a contract of its own. */
  const register = async (id: string, extra: Record<string, unknown> = {}) => {
    const controller = await env.client.workflow.start('cellController', {
      workflowId: cellWorkflowId(id),
      taskQueue,
      args: [{ spec: { id, ring: 'dedicated', strategy: 'maintenance-window', maintenanceWindow: everyDay('02:00', 120, 'UTC'), cluster: { kind: 'simulated', initialVersion: '1.1.0' }, expectedUpdateMinutes: 30, checkIntervalSeconds: 60 * DAY / 1000, ...extra } }],
    });
    while ((await controller.query(cellStatusQuery)).state !== 'ready') await env.sleep(1_000);
  };
  /** The first 02:00 UTC at or after `ms`. */
  const nextTwoAm = (ms: number) => {
    const d = new Date(ms);
    const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 2);
    return today >= ms ? today : today + DAY;
  };

  it('each update starts exactly when its contract allows, as its upcoming plan said beforehand', { timeout: 240_000 }, async () => {
    await register('cc-plain');
    await register('cc-blackout');
    await register('cc-notice', { contract: { noticeDays: 3 } });
    await register('cc-postponed', { contract: { postponement: { maxDays: 10 }, customerBlackouts: { maxDaysPerQuarter: 5, minNoticeDays: 2 } } });
    const t0 = await env.currentTimeMs();

    // The operator's blackout over the next two days; the customer postpones the next update five days.
    const blackout = await http('POST', '/v1/cells/cc-blackout/blackouts', { startsAt: new Date(t0).toISOString(), endsAt: new Date(t0 + 2 * DAY).toISOString(), scope: 'all-but-emergency', reason: 'year-end close' });
    expect(blackout.status, JSON.stringify(blackout.body)).toBe(201);
    const postponed = await http('POST', '/v1/cells/cc-postponed/postponements', { until: new Date(t0 + 5 * DAY).toISOString(), reason: 'our release freeze' }, CUSTOMER);
    expect(postponed.status, JSON.stringify(postponed.body)).toBe(201);
    expect(postponed.body).toMatchObject({ cellId: 'cc-postponed', setBy: 'carla-customer', reason: 'our release freeze' });
    // A customer blackout of breaking releases only, within the allowance: it does not hold this regular release.
    expect((await http('POST', '/v1/cells/cc-postponed/blackouts', { startsAt: new Date(t0 + 3 * DAY).toISOString(), endsAt: new Date(t0 + 6 * DAY).toISOString(), scope: 'breaking', reason: 'audit' }, CUSTOMER)).status).toBe(201);

    const cells = ['cc-plain', 'cc-blackout', 'cc-notice', 'cc-postponed'];
    const expected: Record<string, number> = {
      'cc-plain': nextTwoAm(t0),
      'cc-blackout': nextTwoAm(t0 + 2 * DAY),
      'cc-notice': nextTwoAm(t0 + 3 * DAY),
      'cc-postponed': nextTwoAm(t0 + 5 * DAY),
    };
    const updates: Record<string, string> = {};
    for (const id of cells) {
      const accepted = await http('POST', `/v1/cells/${id}/updates`, { version: '1.2.0' });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      updates[id] = accepted.body.id;
    }
    await env.sleep(1_000);
    // Before any time passes: what each cell is told is upcoming, and why it waits.
    for (const id of cells) {
      const upcoming = (await http('GET', `/v1/cells/${id}/upcoming`, undefined, CUSTOMER)).body.upcoming;
      expect(upcoming, id).toMatchObject({ version: '1.2.0', updateId: updates[id] });
      expect(Math.abs(Date.parse(upcoming.startsAt) - expected[id]), `${id} planned ${upcoming.startsAt}`).toBeLessThan(60_000);
    }
    const waits = (await http('GET', '/v1/cells/cc-notice/upcoming', undefined, CUSTOMER)).body.upcoming.waits.map((w: { rule: string }) => w.rule);
    expect(waits).toContain('notice');
    const waiting = (await http('GET', `/v1/updates/${updates['cc-postponed']}`)).body;
    expect(waiting.status).toBe('scheduled');
    expect(waiting.waitingFor.map((w: { rule: string }) => w.rule)).toContain('postponement');

    // A blackout set while an update already waits: the update reads it at once (told the records changed) and plans past it.
    expect((await http('POST', '/v1/cells/cc-blackout/blackouts', { startsAt: new Date(t0 + 2 * DAY - 3_600_000).toISOString(), endsAt: new Date(t0 + 3 * DAY).toISOString(), scope: 'all', reason: 'the close ran late' })).status).toBe(201);
    expected['cc-blackout'] = nextTwoAm(t0 + 3 * DAY);
    let replanned: any;
    for (let tries = 0; tries < 50; tries++) {
      replanned = (await http('GET', `/v1/updates/${updates['cc-blackout']}`)).body;
      if (Date.parse(replanned.window?.startsAt) === expected['cc-blackout']) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(replanned.window.startsAt).toBe(new Date(expected['cc-blackout']).toISOString());
    expect(replanned.waitingFor.map((w: { rule: string }) => w.rule)).toContain('blackout');

    // Six days later, every update has run, each starting in the window its contract allowed.
    await env.sleep(6 * DAY + 4 * 3_600_000);
    for (const id of cells) {
      const update = (await http('GET', `/v1/updates/${updates[id]}`)).body;
      expect(update.status, id).toBe('succeeded');
      const started = Date.parse(update.steps.find((s: { name: string }) => s.name === 'preflight').startedAt);
      expect(started - expected[id], `${id} started ${update.steps[0].startedAt}, allowed from ${new Date(expected[id]).toISOString()}`).toBeGreaterThanOrEqual(0);
      expect(started - expected[id], id).toBeLessThan(10 * 60_000);
    }
  });

  it("refuses what the contract does not allow the customer, naming the rule, and changes nothing", { timeout: 120_000 }, async () => {
    await register('cc-infra', { contract: { postponement: { maxDays: 30 } }, stack: { kind: 'simulated', templateVersion: '1' } });
    // The API judges people's requests by its own clock (the server's has skipped days ahead by now).
    const now = Date.now();
    const published = await http('POST', '/v1/cells/cc-infra/infra-updates', { templateVersion: '2', templateUrl: 'https://templates.example/cell-v2.yaml', publishedAt: new Date(now).toISOString() });
    expect(published.status).toBe(202);
    await env.sleep(1_000);
    const refusals: [string, unknown, string, string][] = [
      ['/v1/cells/cc-infra/postponements', { until: new Date(now + 15 * DAY).toISOString(), reason: 'later' }, CUSTOMER, 'infrastructure-deadline'],
      ['/v1/cells/cc-plain/postponements', { until: new Date(now + 2 * DAY).toISOString(), reason: 'later' }, CUSTOMER, 'postponement-limit'],
      ['/v1/cells/cc-postponed/blackouts', { startsAt: new Date(now + DAY).toISOString(), endsAt: new Date(now + 1.5 * DAY).toISOString(), scope: 'breaking', reason: 'too soon' }, CUSTOMER, 'blackout-notice'],
      ['/v1/cells/cc-postponed/blackouts', { startsAt: new Date(now + 10 * DAY).toISOString(), endsAt: new Date(now + 13 * DAY).toISOString(), scope: 'breaking', reason: 'too long' }, CUSTOMER, 'blackout-allowance'],
      ['/v1/cells/cc-postponed/blackouts', { startsAt: new Date(now + 10 * DAY).toISOString(), endsAt: new Date(now + 11 * DAY).toISOString(), scope: 'all', reason: 'nothing at all' }, CUSTOMER, 'emergency-override'],
      ['/v1/cells/cc-plain/blackouts', { startsAt: new Date(now + 10 * DAY).toISOString(), endsAt: new Date(now + 11 * DAY).toISOString(), scope: 'breaking', reason: 'no policy' }, CUSTOMER, 'customer-blackouts'],
    ];
    const before = { postponements: (await http('GET', '/v1/cells/cc-infra/postponements')).body, blackouts: (await http('GET', '/v1/cells/cc-postponed/blackouts')).body };
    for (const [path, body, token, rule] of refusals) {
      const res = await http('POST', path, body, token);
      expect(res.status, `${path} ${rule}: ${JSON.stringify(res.body)}`).toBe(409);
      expect(res.body.rule).toBe(rule);
    }
    // Within the deadline and the contract: taken.
    expect((await http('POST', '/v1/cells/cc-infra/postponements', { until: new Date(now + 10 * DAY).toISOString(), reason: 'our audit' }, CUSTOMER)).status).toBe(201);
    // Not the customer's cell, not the customer, not sense: refused too.
    expect((await http('POST', '/v1/cells/cc-plain/postponements', { until: new Date(now + DAY).toISOString(), reason: 'x' }, OTHER_CUSTOMER)).status).toBe(403);
    expect((await http('POST', '/v1/cells/cc-plain/postponements', { until: new Date(now + DAY).toISOString(), reason: 'x' })).status).toBe(403);
    const backwards = await http('POST', '/v1/cells/cc-plain/blackouts', { startsAt: new Date(now + 2 * DAY).toISOString(), endsAt: new Date(now + DAY).toISOString(), scope: 'all', reason: 'backwards' });
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors[0].field).toBe('body.endsAt');
    expect((await http('GET', '/v1/cells/cc-postponed/blackouts')).body).toEqual(before.blackouts);
    expect((await http('GET', '/v1/cells/cc-infra/postponements')).body.postponements).toHaveLength(before.postponements.postponements.length + 1);

    // The operator changes a cell's contract (replaced whole): what was refused is now allowed.
    const changed = await http('PATCH', '/v1/cells/cc-plain', { contract: { postponement: { maxDays: 3 } } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.contract).toEqual({ postponement: { maxDays: 3 } });
    expect((await http('POST', '/v1/cells/cc-plain/postponements', { until: new Date(now + 2 * DAY).toISOString(), reason: 'later' }, CUSTOMER)).status).toBe(201);
  });

  it("an emergency release overrides a blackout, a postponement and the notice owed, and records it; a blackout of scope all still holds it, and the customer cannot postpone it", { timeout: 180_000 }, async () => {
    await register('cc-emergency', { contract: { noticeDays: 3, postponement: { maxDays: 10 } } });
    await register('cc-all', { contract: { postponement: { maxDays: 10 } } });
    const t0 = await env.currentTimeMs();
    const realNow = Date.now();
    expect((await http('POST', '/v1/cells/cc-emergency/blackouts', { startsAt: new Date(t0 - 3_600_000).toISOString(), endsAt: new Date(t0 + 5 * DAY).toISOString(), scope: 'all-but-emergency', reason: 'peak season' })).status).toBe(201);
    // (The API checks it by its own clock, days behind the test server's by now: a day past the server's now is within the contract's ten.)
    expect((await http('POST', '/v1/cells/cc-emergency/postponements', { until: new Date(t0 + DAY).toISOString(), reason: 'our launch' }, CUSTOMER)).status).toBe(201);
    expect((await http('POST', '/v1/cells/cc-all/blackouts', { startsAt: new Date(t0 - 3_600_000).toISOString(), endsAt: new Date(t0 + 2 * DAY).toISOString(), scope: 'all', reason: 'data-centre move: nothing at all' })).status).toBe(201);

    // Only an admin marks an emergency; it is recorded with who and why.
    expect((await http('POST', '/v1/releases/1.2.1/emergency', { reason: 'CVE-2026-0001' })).status).toBe(403);
    const marked = await http('POST', '/v1/releases/1.2.1/emergency', { reason: 'CVE-2026-0001' }, TOKENS.admin);
    expect(marked.status).toBe(200);
    expect(marked.body.emergency).toMatchObject({ by: 'alice-admin', reason: 'CVE-2026-0001' });

    const emergency = await http('POST', '/v1/cells/cc-emergency/updates', { version: '1.2.1' });
    const held = await http('POST', '/v1/cells/cc-all/updates', { version: '1.2.1' });
    expect([emergency.status, held.status]).toEqual([202, 202]);
    await env.sleep(1_000);
    // Held by the blackout of scope all, and not the customer's to postpone.
    const postpone = await http('POST', '/v1/cells/cc-all/postponements', { until: new Date(realNow + 3 * DAY).toISOString(), reason: 'later please' }, CUSTOMER);
    expect(postpone.status).toBe(409);
    expect(postpone.body.rule).toBe('emergency-release');
    expect((await http('GET', '/v1/cells/cc-all/upcoming', undefined, CUSTOMER)).body.upcoming).toMatchObject({ version: '1.2.1', emergency: true, postpone: { allowed: false } });

    // The emergency ran at once, outside its window, in the blackout, before its notice and its postponement ran out.
    await env.sleep(3 * 3_600_000);
    const ran = (await http('GET', `/v1/updates/${emergency.body.id}`)).body;
    expect(ran.status, JSON.stringify({ error: ran.error, steps: ran.steps })).toBe('succeeded');
    expect(Date.parse(ran.steps[0].startedAt) - t0).toBeLessThan(10 * 60_000);
    const record = (await http('GET', '/v1/cells/cc-emergency/upcoming', undefined, CUSTOMER)).body.emergencyOverrides;
    expect(record).toHaveLength(1);
    expect(record[0].version).toBe('1.2.1');
    expect(record[0].overrode.join('\n')).toMatch(/blackout .* \(all-but-emergency, until .*peak season/);
    expect(record[0].overrode.join('\n')).toContain("the customer's postponement until");
    expect(record[0].overrode.join('\n')).toContain('3 days of notice');
    expect((await http('GET', `/v1/updates/${held.body.id}`)).body.status).toBe('scheduled');

    // Once the blackout of scope all ends, the held one runs too.
    await env.sleep(2 * DAY);
    const after = (await http('GET', `/v1/updates/${held.body.id}`)).body;
    expect(after.status).toBe('succeeded');
    expect(Date.parse(after.steps[0].startedAt)).toBeGreaterThanOrEqual(t0 + 2 * DAY);
  });

  it("a cell in approval mode waits for its customer, visibly; approved it runs, declined or undecided past a 'skip' deadline it is skipped, past a 'proceed' one it runs", { timeout: 180_000 }, async () => {
    await register('cc-approve', { contract: { approval: { deadlineHours: 48, onDeadline: 'skip' } } });
    await register('cc-deny', { contract: { approval: { deadlineHours: 48, onDeadline: 'proceed' } } });
    await register('cc-skip', { contract: { approval: { deadlineHours: 1, onDeadline: 'skip' } } });
    await register('cc-proceed', { contract: { approval: { deadlineHours: 1, onDeadline: 'proceed' } } });
    const t0 = await env.currentTimeMs();
    const window = nextTwoAm(t0 + 3 * 3_600_000); // at least three hours away: past the short deadlines
    const ids: Record<string, string> = {};
    for (const id of ['cc-approve', 'cc-deny', 'cc-skip', 'cc-proceed']) ids[id] = (await http('POST', `/v1/cells/${id}/updates`, { version: '1.2.0' })).body.id;
    await env.sleep(1_000);
    const asked = (await http('GET', `/v1/updates/${ids['cc-approve']}`)).body;
    expect(asked.approval).toMatchObject({ onDeadline: 'skip' });
    // The customer sees what to decide, and how, with the customer's token alone.
    let upcoming: any;
    for (let tries = 0; tries < 50 && !upcoming?.approval; tries++) {
      upcoming = (await http('GET', '/v1/cells/cc-approve/upcoming', undefined, CUSTOMER)).body.upcoming;
      if (!upcoming?.approval) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(upcoming).toMatchObject({ updateId: ids['cc-approve'], approval: { onDeadline: 'skip', how: expect.stringContaining('/decide') } });
    expect(Date.parse(asked.approval.deadline) - Date.parse(asked.approval.askedAt)).toBe(48 * 3_600_000);
    // Only the cell's customer decides; the customer declines one while it is scheduled.
    expect((await http('POST', `/v1/cells/cc-deny/updates/${ids['cc-deny']}/decide`, { decision: 'deny' })).status).toBe(403);
    expect((await http('POST', `/v1/cells/cc-deny/updates/${ids['cc-deny']}/decide`, { decision: 'deny', reason: 'not this week' }, CUSTOMER)).status).toBe(202);

    // The window opens: the one not decided yet waits for its customer, and says so.
    await env.sleep(window + 5 * 60_000 - (await env.currentTimeMs()));
    const waiting = (await http('GET', `/v1/updates/${ids['cc-approve']}`)).body;
    expect(waiting.status).toBe('waiting-approval');
    expect(waiting.waitingFor[0]).toMatchObject({ rule: 'approval' });
    expect((await http('POST', `/v1/cells/cc-approve/updates/${ids['cc-approve']}/decide`, { decision: 'approve', reason: 'go ahead' }, CUSTOMER)).status).toBe(202);
    await env.sleep(30 * 60_000);

    const ended = async (id: string) => (await http('GET', `/v1/updates/${ids[id]}`)).body;
    const approved = await ended('cc-approve');
    expect(approved.status).toBe('succeeded');
    expect(approved.approval.decision).toMatchObject({ approve: true, by: 'carla-customer', reason: 'go ahead' });
    expect(Date.parse(approved.steps[0].startedAt)).toBeGreaterThanOrEqual(window + 5 * 60_000);
    expect(await ended('cc-deny')).toMatchObject({ status: 'rejected', error: 'declined by its customer carla-customer: not this week' });
    expect((await ended('cc-skip')).status).toBe('rejected');
    expect((await ended('cc-skip')).error).toContain('skipped, as its contract says');
    const proceeded = await ended('cc-proceed');
    expect(proceeded.status).toBe('succeeded');
    expect(Date.parse(proceeded.steps[0].startedAt) - window).toBeLessThan(10 * 60_000);
    // Nothing ran on the cells that were skipped.
    for (const id of ['cc-deny', 'cc-skip']) expect((await http('GET', `/v1/cells/${id}`)).body.version).toBe('1.1.0');
  });
});

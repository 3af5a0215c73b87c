// A rollout over cells reached through their agents (real processes): one agent stopped, its cell
// is held with the reason and the others are updated; the ring's health is read through the
// agents. An agent older than the control plane needs holds its cell instead of failing mid-update.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_VERSION } from '../agent';
import { everyDay, Harness, utcClock } from './helpers/harness';

const openNow = { maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 };

async function waitForRollout(h: Harness, version: string, statuses: string[]) {
  return h.waitFor(`rollout ${version} ${statuses.join('/')}`, async () => {
    const res = await h.http('GET', `/v1/rollouts/${version}`, undefined, 'viewer');
    return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
  }, 120_000);
}

describe('a rollout over agent cells with one agent offline', () => {
  let h: Harness;
  const agents = new Map<string, ChildProcess>();

  beforeAll(async () => {
    // Offline after 15 s without a poll (the test server's idle pollers poll every 5 s).
    h = await Harness.start({ agents: { offlineAfterSeconds: 15 } });
    for (const id of ['ar-1', 'ar-2', 'ar-3']) agents.set(id, (await h.registerAgentCell(id, { ring: 'staging', ...openNow })).agent);
    await h.registerCell('ar-saas-1', openNow);
  });
  afterAll(async () => {
    for (const agent of agents.values()) await h.kill(agent);
    await h?.stop();
  });

  it('holds the offline cell with the reason, updates the rest, and checks the ring through the agents', async () => {
    await h.kill(agents.get('ar-2')!);
    await h.waitFor('ar-2 offline', async () => ((await h.http('GET', '/v1/cells/ar-2')).body.agent.status === 'offline' ? true : undefined), 60_000);
    // The list shows it too, from the read model (the presence sweep looks every 7 s here).
    const offline = await h.waitFor('ar-2 listed offline', async () => {
      const res = await h.http('GET', '/v1/cells?agent=offline', undefined, 'viewer');
      return res.body.cells.length > 0 ? res.body.cells : undefined;
    }, 60_000);
    expect(offline.map((c: { id: string }) => c.id)).toEqual(['ar-2']);
    expect(offline[0].agent).toMatchObject({ status: 'offline', version: expect.any(String), lastSeen: expect.any(String) });
    const online = await h.http('GET', '/v1/cells?agent=online&ring=staging', undefined, 'viewer');
    expect(online.body.cells.map((c: { id: string }) => c.id)).toEqual(['ar-1', 'ar-3']);
    const direct = (await h.http('GET', '/v1/cells?connection=direct', undefined, 'viewer')).body.cells;
    expect(direct.map((c: { id: string }) => c.id)).toEqual(['ar-saas-1']);
    expect(direct[0].agent).toBeUndefined();
    expect((await h.http('GET', '/v1/cells?agent=asleep', undefined, 'viewer')).status).toBe(400);

    const started = await h.http('POST', '/v1/rollouts', { version: '1.2.0', rings: ['staging', 'saas'], waves: { maxConcurrent: 3 }, window: 'now', bakeMinutes: 0 }, 'operator');
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const done = await waitForRollout(h, '1.2.0', ['succeeded', 'halted', 'aborted']);
    expect(done.status).toBe('succeeded');
    const staging = done.rings.find((r: { ring: string }) => r.ring === 'staging');
    const byId = Object.fromEntries(staging.cells.map((c: { id: string }) => [c.id, c]));
    expect(byId['ar-1'].state).toBe('succeeded');
    expect(byId['ar-3'].state).toBe('succeeded');
    expect(byId['ar-2']).toMatchObject({ state: 'held', error: expect.stringContaining('agent offline: last seen polling at') });
    // Health read through the two updated cells' agents, between the rings.
    expect(staging.health).toBe('2 cells healthy');
    expect(done.counts).toMatchObject({ succeeded: 3, held: 1, failed: 0 });

    expect(await h.simulated.read('ar-2')).toMatchObject({ version: '1.1.0', maintenance: false });
    expect(await h.simulated.read('ar-1')).toMatchObject({ version: '1.2.0', maintenance: false });
    expect(await h.simulated.read('ar-saas-1')).toMatchObject({ version: '1.2.0' });
  });
});

describe('an agent older than the control plane needs', () => {
  let h: Harness;
  let agent: ChildProcess | undefined;

  beforeAll(async () => {
    h = await Harness.start({ agents: { minVersion: '99.0.0' } });
    agent = (await h.registerAgentCell('old-agent-1', openNow)).agent;
  });
  afterAll(async () => {
    if (agent) await h.kill(agent);
    await h?.stop();
  });

  it('holds its cell with the reason, for a request and for a rollout; nothing starts', async () => {
    const refused = await h.requestUpdate('old-agent-1', { version: '1.2.0', window: 'now' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ title: 'UpdatesHeld', detail: expect.stringContaining(`agent ${AGENT_VERSION} is older than 99.0.0`) });

    const started = await h.http('POST', '/v1/rollouts', { version: '1.2.0', rings: ['saas'], waves: { maxConcurrent: 1 }, window: 'now', bakeMinutes: 0 }, 'operator');
    expect(started.status).toBe(202);
    const done = await waitForRollout(h, '1.2.0', ['succeeded', 'halted', 'aborted']);
    expect(done.rings[0].cells[0]).toMatchObject({ id: 'old-agent-1', state: 'held', error: expect.stringContaining('upgrade the cell') });
    const cell = (await h.http('GET', '/v1/cells/old-agent-1')).body;
    expect(cell).toMatchObject({ version: '1.1.0', history: [{ result: 'registered' }] });
    expect(cell.currentUpdate).toBeUndefined();
  });
});

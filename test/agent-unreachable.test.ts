// An agent cell whose agent goes away: before maintenance mode the update fails cleanly
// (AgentUnreachable, nothing changed); after it, the undo waits in needs-attention and finishes by
// itself when the agent is back, maintenance off. The agent is a real process (npm run agent) on
// a simulated cell sharing the test's data directory.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_VERSION } from '../agent';
import { everyDay, Harness, utcClock } from './helpers/harness';

describe('an agent that goes away, or restarts', () => {
  let h: Harness;
  let agent: ChildProcess | undefined;
  const startAgent = async () => {
    // The server keeps listing a stopped agent's poller for minutes: wait for a poll of this one.
    const since = Math.floor(Date.now() / 1000);
    agent = await h.spawnAgent('far-1');
    await h.waitFor('agent polling', async () => {
      const queue = await h.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: 'cell/far-1' }, taskQueueType: 2 });
      return (queue.pollers ?? []).some((p) => Number(p.lastAccessTime?.seconds ?? 0) >= since) ? true : undefined;
    });
  };
  const stopAgent = async () => {
    const gone = new Promise((resolve) => agent!.once('exit', resolve));
    agent!.kill('SIGKILL');
    await gone;
    agent = undefined;
  };

  beforeAll(async () => {
    h = await Harness.start();
    const res = await h.http('POST', '/v1/cells', {
      id: 'far-1',
      ring: 'saas',
      connection: 'agent',
      agentWaitSeconds: 3,
      cluster: { kind: 'simulated', initialVersion: '1.1.0' },
      maintenanceWindow: everyDay(utcClock(-60_000), 600),
      expectedUpdateMinutes: 5,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ connection: 'agent', agentWaitSeconds: 3 });
    await startAgent();
    await h.waitFor('registered through the agent', async () => ((await h.http('GET', '/v1/cells/far-1')).body.state === 'ready' ? true : undefined));
  });

  it('shows its agent online, with version and identity, from the pollers of its queue', async () => {
    const { body } = await h.http('GET', '/v1/cells/far-1', undefined, 'viewer');
    expect(body.agent).toMatchObject({ status: 'online', version: AGENT_VERSION, identity: expect.stringMatching(new RegExp(`^cell/far-1/${AGENT_VERSION}/.+`)) });
    expect(Date.now() - Date.parse(body.agent.lastSeen)).toBeLessThan(120_000);
    // A direct cell has no agent to show.
    await h.registerCell('near-1');
    expect((await h.http('GET', '/v1/cells/near-1')).body.agent).toBeUndefined();
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await h?.stop();
  });

  it('fails cleanly before maintenance mode when the agent is away: AgentUnreachable, nothing changed', async () => {
    await stopAgent();
    const accepted = await h.requestUpdate('far-1', { version: '1.2.0', window: 'now' });
    expect(accepted.status).toBe(202);
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done).toMatchObject({ status: 'failed', failedStep: 'preflight' });
    expect(done.error).toContain('AgentUnreachable');
    expect(done.steps.find((s: any) => s.name === 'maintenanceOn').status).toBe('skipped');
    const cell = await h.waitForCellIdle('far-1');
    expect(cell).toMatchObject({ version: '1.1.0', maintenance: { enabled: false } });
    expect(await h.simulated.read('far-1')).toMatchObject({ version: '1.1.0', maintenance: false });
  });

  it('after maintenance mode, waits in needs-attention and finishes the undo by itself when the agent is back', async () => {
    await startAgent();
    // The pull takes a while, long enough to lose the agent in the middle of it.
    expect((await h.http('PUT', '/v1/sim/cells/far-1/faults', { pull: { mode: 'none', latencyMs: 30_000 } })).status).toBe(200);
    const accepted = await h.requestUpdate('far-1', { version: '1.2.0', window: 'now' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    await h.waitForStep(accepted.body.id, 'pull');
    expect((await h.simulated.read('far-1')).maintenance).toBe(true);
    await stopAgent();

    // The pull's heartbeat stops, its retry finds no agent; the undo (maintenance off) finds none either.
    const parked = await h.waitForUpdate(accepted.body.id, ['needs-attention']);
    expect(parked.failedStep).toBe('pull');
    expect(parked.compensations).toEqual([expect.objectContaining({ name: 'maintenanceOff', status: 'failed', error: expect.stringContaining('AgentUnreachable') })]);
    expect((await h.simulated.read('far-1')).maintenance).toBe(true);

    await h.http('PUT', '/v1/sim/cells/far-1/faults', {});
    await startAgent();
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('rolled-back');
    expect(done.compensations).toEqual([expect.objectContaining({ name: 'maintenanceOff', status: 'succeeded' })]);
    expect(done.actions).toEqual([]); // nobody had to step in
    expect(await h.simulated.read('far-1')).toMatchObject({ version: '1.1.0', maintenance: false });
    expect(await h.waitForCellIdle('far-1')).toMatchObject({ version: '1.1.0', maintenance: { enabled: false } });
  });

  it('an agent killed in the middle of apply and started again finishes the update, applying once', async () => {
    // apply changes the cluster, then takes 4 s to confirm: the kill lands after the change.
    expect((await h.http('PUT', '/v1/sim/cells/far-1/faults', { apply: { mode: 'none', latencyMs: 4_000 } })).status).toBe(200);
    const accepted = await h.requestUpdate('far-1', { version: '1.2.0', window: 'now' });
    await h.waitForStep(accepted.body.id, 'apply', 'running');
    await h.waitFor('apply to reach the cluster', async () => ((await h.simulated.read('far-1')).version === '1.2.0' ? true : undefined));
    await stopAgent();
    await startAgent();

    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.steps.find((s: any) => s.name === 'apply').attempts).toBe(2);
    const sim = await h.simulated.read('far-1');
    expect(sim).toMatchObject({ version: '1.2.0', maintenance: false });
    expect(sim.log.filter((e: any) => e.op === 'apply' && e.version === '1.2.0')).toHaveLength(1);
    expect((await h.waitForCellIdle('far-1')).version).toBe('1.2.0');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

const quick = { batchSize: 2, analysis: { checks: 2, intervalSeconds: 1 } };

describe('live updates', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  it('applies components in batches, each followed by a passing analysis, without maintenance mode', async () => {
    await h.registerCell('live-ok', { strategy: 'live', live: quick });
    const accepted = await h.requestUpdate('live-ok', { version: '1.2.0' });
    expect(accepted.body.strategy).toBe('live');
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s: any) => [s.name, s.status])).toEqual([
      ['preflight', 'succeeded'],
      ['pull', 'succeeded'],
      ['apply-batch-1', 'succeeded'],
      ['analysis-batch-1', 'succeeded'],
      ['apply-batch-2', 'succeeded'],
      ['analysis-batch-2', 'succeeded'],
      ['verify', 'succeeded'],
    ]);
    expect(done.steps[2].detail).toBe('server, dashboard');
    expect(done.steps[3].detail).toMatch(/^2 checks passed/);
    const sim = await h.simulated.read('live-ok');
    expect(sim.version).toBe('1.2.0');
    expect(sim.log.map((e) => e.op)).not.toContain('maintenance-on');
    expect(sim.log.filter((e) => e.op === 'apply').map((e) => e.components)).toEqual([
      ['server', 'dashboard'],
      ['ws-manager', 'proxy'],
    ]);
  });

  it('refuses a breaking release in preflight, pointing to the other strategies', async () => {
    await h.registerCell('live-breaking', { strategy: 'live', cluster: { kind: 'simulated', initialVersion: '1.2.0' } });
    const accepted = await h.requestUpdate('live-breaking', { version: '2.0.0' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('failed');
    expect(done.failedStep).toBe('preflight');
    expect(done.steps[0].attempts).toBe(1);
    expect(done.error).toContain('release 2.0.0 is breaking');
    expect(done.error).toContain('maintenance-window or staging-first');
    expect((await h.simulated.read('live-breaking')).log.map((e) => e.op)).toEqual(['register']);
  });

  it('a failed analysis in the second batch rolls back both batches, in reverse', async () => {
    await h.registerCell('live-bad', { strategy: 'live' });
    const before = (await h.simulated.read('live-bad')).components;
    // The new proxy image crashes: batch 2 (ws-manager, proxy) fails its analysis.
    expect((await h.http('PUT', '/v1/sim/cells/live-bad/faults', { health: { mode: 'fail', components: ['proxy'] } })).status).toBe(200);
    const accepted = await h.requestUpdate('live-bad', { version: '1.2.0', live: quick });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('rolled-back');
    expect(done.failedStep).toBe('analysis-batch-2');
    expect(done.error).toContain('pod proxy-0: CrashLoopBackOff');
    expect(done.steps.find((s: any) => s.name === 'analysis-batch-1').status).toBe('succeeded');
    expect(done.steps.find((s: any) => s.name === 'verify').status).toBe('skipped');
    expect(done.compensations.map((c: any) => [c.name, c.status])).toEqual([
      ['rollback:2', 'succeeded'],
      ['rollback:1', 'succeeded'],
    ]);
    const sim = await h.simulated.read('live-bad');
    expect(sim.version).toBe('1.1.0');
    expect(sim.components).toEqual(before);
    expect(sim.log.filter((e) => e.op === 'rollback').map((e) => e.updateId)).toEqual([`${accepted.body.id}#2`, `${accepted.body.id}#1`]);
  });
});

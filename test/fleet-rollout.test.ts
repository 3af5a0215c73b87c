import { afterEach, describe, expect, it } from 'vitest';
import { maxOverlap } from '../src/domain/rollout';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { cellWorkflowId, rolloutWorkflowId } from '../src/workflows/ids';
import { Harness, everyDay, utcClock } from './helpers/harness';

const openNow = () => ({ maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 });

describe('fleet rollouts', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  /** Cells and release names are global to the Temporal namespace: each test has its own. */
  async function fleet(prefix: string, version: string, rings: Record<string, number>, extra: Record<string, unknown> = {}) {
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version }, { rings: ['staging', 'saas', 'dedicated'] });
    const ids: string[] = [];
    for (const [ring, count] of Object.entries(rings)) {
      for (let i = 1; i <= count; i++) {
        const id = `${prefix}-${ring}-${i}`;
        await h.registerCell(id, { ring, ...openNow(), ...extra });
        ids.push(id);
      }
    }
    return ids;
  }

  async function waitForRollout(version: string, statuses: string[], timeoutMs = 120_000) {
    return h.waitFor(`rollout ${version} ${statuses.join('/')}`, async () => {
      const res = await h.http('GET', `/v1/rollouts/${version}`, undefined, 'viewer');
      return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
    }, timeoutMs);
  }

  it('goes ring by ring, in waves that never exceed maxConcurrent', async () => {
    h = await Harness.start();
    const ids = await fleet('fr-waves', '1.2.1', { staging: 2, saas: 3, dedicated: 3 });
    for (const id of ids) await h.http('PUT', `/v1/sim/cells/${id}/faults`, { apply: { mode: 'none', latencyMs: 300 } });

    const start = await h.http('POST', '/v1/rollouts', { version: '1.2.1', waves: { maxConcurrent: 2, maxFailures: 0 }, bakeMinutes: 0 }, 'operator');
    expect(start.status).toBe(202);
    expect((await h.http('POST', '/v1/rollouts', { version: '1.2.1', waves: { maxConcurrent: 2 } }, 'operator')).status).toBe(409);

    const done = await waitForRollout('1.2.1', ['succeeded']);
    expect(done.counts).toEqual({ pending: 0, running: 0, succeeded: 8, failed: 0, held: 0 });
    expect(done.rings.map((r: any) => [r.ring, r.state, r.cells.length])).toEqual([
      ['staging', 'done', 2],
      ['saas', 'done', 3],
      ['dedicated', 'done', 3],
    ]);
    for (let i = 1; i < done.rings.length; i++) {
      const previousEnd = Math.max(...done.rings[i - 1].cells.map((c: any) => Date.parse(c.endedAt)));
      const firstStart = Math.min(...done.rings[i].cells.map((c: any) => Date.parse(c.startedAt)));
      expect(firstStart).toBeGreaterThanOrEqual(previousEnd);
    }
    const all = done.rings.flatMap((r: any) => r.cells);
    expect(maxOverlap(all)).toBeLessThanOrEqual(2);
    expect(maxOverlap(all)).toBe(2);
    for (const id of ids) expect((await h.simulated.read(id)).version).toBe('1.2.1');
    const cell = await h.waitForCellIdle('fr-waves-dedicated-3');
    expect(cell).toMatchObject({ version: '1.2.1', desiredVersion: '1.2.1' });
  });

  it('with window "now", does not wait for closed maintenance windows', async () => {
    h = await Harness.start();
    // Windows that opened an hour ago and closed 50 minutes ago: the next one is a day away.
    const closed = { maintenanceWindow: everyDay(utcClock(-3_600_000), 10), expectedUpdateMinutes: 5 };
    const ids = await fleet('fr-now', '1.2.5', { staging: 1, saas: 2 }, closed);
    const start = await h.http('POST', '/v1/rollouts', { version: '1.2.5', waves: { maxConcurrent: 2 }, window: 'now' }, 'operator');
    expect(start.status).toBe(202);
    const done = await waitForRollout('1.2.5', ['succeeded']);
    expect(done.counts).toMatchObject({ succeeded: 3, failed: 0 });
    for (const id of ids) expect((await h.simulated.read(id)).version).toBe('1.2.5');
    expect((await h.http('POST', '/v1/rollouts', { version: '1.2.5', waves: { maxConcurrent: 2 }, window: 'tonight' }, 'operator')).status).toBe(400);
  });

  it('halts when the failure budget is spent, lets running cells finish, and resumes', async () => {
    h = await Harness.start();
    await fleet('fr-halt', '1.2.2', { saas: 4 });
    await h.http('PUT', '/v1/sim/cells/fr-halt-saas-1/faults', { verify: { mode: 'fail' } });
    await h.http('POST', '/v1/rollouts', { version: '1.2.2', rings: ['saas'], waves: { maxConcurrent: 1, maxFailures: 0 } }, 'operator');

    const halted = await waitForRollout('1.2.2', ['halted']);
    expect(halted.haltReason).toContain('1 cells failed');
    expect(halted.counts).toMatchObject({ failed: 1, pending: 3, running: 0 });
    const failed = halted.rings[0].cells.find((c: any) => c.id === 'fr-halt-saas-1');
    expect(failed.state).toBe('failed');
    expect(failed.error).toContain('rolled-back');
    expect((await h.simulated.read('fr-halt-saas-2')).version).toBe('1.1.0');

    expect((await h.http('POST', '/v1/rollouts/1.2.2/resume', { reason: 'fr-halt-saas-1 is a known bad node' }, 'operator')).status).toBe(202);
    const done = await waitForRollout('1.2.2', ['succeeded']);
    expect(done.counts).toMatchObject({ succeeded: 3, failed: 1 });
    expect(done.actions).toEqual([expect.objectContaining({ action: 'resume', by: 'oscar-operator' })]);
  });

  it('abort stops for good and can roll the updated cells back', async () => {
    h = await Harness.start();
    await fleet('fr-abort', '1.2.3', { staging: 2, saas: 2 });
    await h.http('POST', '/v1/rollouts', { version: '1.2.3', waves: { maxConcurrent: 2 }, approvalBetweenRings: true }, 'operator');
    const waiting = await waitForRollout('1.2.3', ['waiting-approval']);
    expect(waiting.rings[0].state).toBe('waiting-approval');
    expect((await h.http('POST', '/v1/rollouts/1.2.3/abort', { rollback: true }, 'operator')).status).toBe(202);
    const aborted = await waitForRollout('1.2.3', ['aborted']);
    expect(aborted.rings[0].cells.map((c: any) => c.state)).toEqual(['rolled-back', 'rolled-back']);
    for (const id of ['fr-abort-staging-1', 'fr-abort-staging-2']) {
      await h.waitFor(`${id} rolled back`, async () => ((await h.simulated.read(id)).version === '1.1.0' ? true : undefined));
    }
    for (const id of ['fr-abort-saas-1', 'fr-abort-saas-2']) expect((await h.simulated.read(id)).log.map((e) => e.op)).toEqual(['register']);
    expect((await h.http('POST', '/v1/rollouts/1.2.3/resume', {}, 'operator')).status).toBe(409);
  });

  it('a ring unhealthy after its bake halts the rollout before the next ring', async () => {
    h = await Harness.start();
    await fleet('fr-bake', '1.2.4', { staging: 1, saas: 1 });
    await h.http('PUT', '/v1/sim/cells/fr-bake-staging-1/faults', { health: { mode: 'fail' } });
    await h.http('POST', '/v1/rollouts', { version: '1.2.4', waves: { maxConcurrent: 1 }, bakeMinutes: 0.02 }, 'operator');
    const halted = await waitForRollout('1.2.4', ['halted']);
    expect(halted.haltReason).toContain('ring staging unhealthy after bake');
    expect(halted.rings[0].health).toContain('CrashLoopBackOff');
    expect(halted.rings[1].cells[0].state).toBe('pending');
    expect((await h.simulated.read('fr-bake-saas-1')).version).toBe('1.1.0');
    await h.http('POST', '/v1/rollouts/1.2.4/abort', {}, 'operator');
    await waitForRollout('1.2.4', ['aborted']);
  });

  it('counts a cell that cannot be updated now as held, not failed', async () => {
    h = await Harness.start();
    await fleet('fr-held', '1.2.5', { saas: 2 });
    await h.simulated.store.update('fr-held-saas-2', (cell) => ({ value: { ...cell!, version: '1.0.0' }, result: undefined }));
    await h.http('POST', '/v1/cells/fr-held-saas-2/check', undefined, 'operator');
    await h.waitFor('fr-held-saas-2 drifted', async () => ((await h.http('GET', '/v1/cells/fr-held-saas-2')).body.state === 'drifted' ? true : undefined));
    await h.http('POST', '/v1/rollouts', { version: '1.2.5', rings: ['saas'], waves: { maxConcurrent: 2, maxFailures: 0 } }, 'operator');
    const done = await waitForRollout('1.2.5', ['succeeded']);
    expect(done.counts).toMatchObject({ succeeded: 1, held: 1, failed: 0 });
    expect(done.rings[0].cells[1]).toMatchObject({ id: 'fr-held-saas-2', state: 'held' });
    expect(done.rings[0].cells[1].error).toContain('drifted');
  });

  it("shows each cell's end while its wave runs; an abort mid-wave lets the running cell finish", async () => {
    h = await Harness.start();
    await fleet('fr-live', '1.2.7', { saas: 2 });
    await h.http('PUT', '/v1/sim/cells/fr-live-saas-2/faults', { apply: { mode: 'none', latencyMs: 6_000 } });
    await h.http('POST', '/v1/rollouts', { version: '1.2.7', rings: ['saas'], waves: { maxConcurrent: 2 } }, 'operator');

    const midWave = await h.waitFor('fr-live-saas-1 ended while its wave runs', async () => {
      const res = await h.http('GET', '/v1/rollouts/1.2.7', undefined, 'viewer');
      return res.body.rings?.[0].cells?.[0].state === 'succeeded' ? res.body : undefined;
    });
    expect(midWave.rings[0].cells[1].state).toBe('running');
    expect(midWave.counts).toMatchObject({ succeeded: 1, running: 1 });

    expect((await h.http('POST', '/v1/rollouts/1.2.7/abort', {}, 'operator')).status).toBe(202);
    const aborted = await waitForRollout('1.2.7', ['aborted']);
    expect(aborted.rings[0].cells[1].state).toBe('running');
    // The cell's own update is not the rollout's to stop: it ends on the release, maintenance off.
    const cell = await h.waitForCellIdle('fr-live-saas-2');
    expect(cell).toMatchObject({ version: '1.2.7', maintenance: { enabled: false } });
  });

  it('a wave outlives a restart of its worker, and no cell is updated twice', async () => {
    h = await Harness.start();
    const ids = await fleet('fr-restart', '1.2.6', { saas: 2 });
    for (const id of ids) await h.http('PUT', `/v1/sim/cells/${id}/faults`, { apply: { mode: 'none', latencyMs: 3_000 } });
    await h.http('POST', '/v1/rollouts', { version: '1.2.6', rings: ['saas'], waves: { maxConcurrent: 2 } }, 'operator');
    for (const id of ids) await h.waitForStep((await h.waitFor(`${id} updating`, async () => (await h.http('GET', `/v1/cells/${id}`)).body.currentUpdate)).id, 'apply');

    await h.stopWorker();
    await h.startWorker();
    const done = await waitForRollout('1.2.6', ['succeeded']);
    expect(done.counts).toMatchObject({ succeeded: 2, failed: 0 });
    for (const id of ids) {
      const cell = await h.simulated.read(id);
      expect(cell.version).toBe('1.2.6');
      expect(cell.log.filter((e) => e.op === 'apply')).toHaveLength(1);
    }
  });

  it('takes a cell through the stepping stones its target requires', async () => {
    h = await Harness.start();
    const base = DEMO_RELEASES.find((r) => r.version === '1.2.0')!;
    await h.catalog.publish({ ...base, version: '1.5.0' }, { rings: ['saas'] });
    await h.catalog.publish({ ...base, version: '1.6.0', requiredStepStones: ['1.5.0'] }, { rings: ['saas'] });
    await h.registerCell('fr-stones-saas-1', { ring: 'saas', ...openNow() });
    await h.http('POST', '/v1/rollouts', { version: '1.6.0', rings: ['saas'], waves: { maxConcurrent: 1 } }, 'operator');
    const done = await waitForRollout('1.6.0', ['succeeded']);
    expect(done.counts).toMatchObject({ succeeded: 1, failed: 0 });
    const cell = await h.waitForCellIdle('fr-stones-saas-1');
    expect(cell.history.map((e: any) => e.version)).toEqual(['1.1.0', '1.5.0', '1.6.0']);
  });

  it('validates the request', async () => {
    h = await Harness.start();
    const bad = await h.http('POST', '/v1/rollouts', { version: '9.9.9', rings: ['dedicated', 'staging'], waves: { maxConcurrent: 0 } }, 'operator');
    expect(bad.status).toBe(400);
    const fields = bad.body.errors.map((e: any) => e.field);
    expect(fields).toContain('body.waves.maxConcurrent');
    const order = await h.http('POST', '/v1/rollouts', { version: '9.9.9', rings: ['dedicated', 'staging'], waves: { maxConcurrent: 1 } }, 'operator');
    expect(order.body.errors.map((e: any) => e.field)).toEqual(['body.rings', 'body.version']);
    expect((await h.http('GET', '/v1/rollouts/4.4.4')).status).toBe(404);
  });

  it('asks each cell by a signal and hears its end by a signal: nothing holds a request open while a cell waits for its window', async () => {
    h = await Harness.start();
    // One cell updates; the other applies slowly, and is removed while the rollout waits for it.
    await fleet('fr-signal', '1.2.8', { saas: 2 });
    await h.http('PUT', '/v1/sim/cells/fr-signal-saas-2/faults', { apply: { mode: 'none', latencyMs: 8_000 } });
    await h.http('POST', '/v1/rollouts', { version: '1.2.8', rings: ['saas'], waves: { maxConcurrent: 2, maxFailures: 1 } }, 'operator');
    const waiting = await h.waitFor('fr-signal-saas-2 updating', async () => (await h.http('GET', '/v1/cells/fr-signal-saas-2')).body.currentUpdate);
    await h.waitForStep(waiting.id, 'apply');
    const removed = await h.http('DELETE', '/v1/cells/fr-signal-saas-2?cancelUpdate=true');
    expect(removed.status, JSON.stringify(removed.body)).toBe(202);

    const done = await waitForRollout('1.2.8', ['succeeded']);
    expect(done.rings[0].cells).toEqual([
      expect.objectContaining({ id: 'fr-signal-saas-1', state: 'succeeded' }),
      expect.objectContaining({ id: 'fr-signal-saas-2', state: 'failed', error: 'cell fr-signal-saas-2 was removed' }),
    ]);
    expect(waiting.toVersion).toBe('1.2.8');

    const events = (await h.client.workflow.getHandle(rolloutWorkflowId('1.2.8')).fetchHistory()).events ?? [];
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType?.name)).not.toContain('updateCells');
    const asked = events.flatMap((e) => (e.signalExternalWorkflowExecutionInitiatedEventAttributes ? [e.signalExternalWorkflowExecutionInitiatedEventAttributes] : []));
    expect(asked.map((a) => [a.signalName, a.workflowExecution?.workflowId])).toEqual([
      ['rolloutCell', cellWorkflowId('fr-signal-saas-1')],
      ['rolloutCell', cellWorkflowId('fr-signal-saas-2')],
    ]);
    const answers = events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'cellOutcomes');
    expect(answers).toHaveLength(2);
  });
});

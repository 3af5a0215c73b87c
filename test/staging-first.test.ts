import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

const quick = { soakSeconds: 2, healthCheckIntervalSeconds: 1, decisionTimeoutSeconds: 120 };

describe('staging-first updates', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  /** A primary cell with its own staging cell, both on 1.1.0. */
  async function pair(name: string, stagingFirst: Record<string, unknown> = quick) {
    await h.registerCell(`${name}-stage`, { ring: 'staging' });
    await h.registerCell(name, { ring: 'dedicated', strategy: 'staging-first', stagingCellId: `${name}-stage`, stagingFirst });
  }

  it('updates staging, soaks, waits for approval, then updates the primary in its window', async () => {
    await pair('sf-approve');
    const accepted = await h.requestUpdate('sf-approve', { version: '1.2.0', window: 'now' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ id: 'sf-approve-u1', strategy: 'staging-first' });

    const soaking = await h.waitForUpdate('sf-approve-u1', ['soaking']);
    expect(soaking.steps[0]).toMatchObject({ name: 'staging', status: 'succeeded', updateId: 'sf-approve-stage-u1' });
    expect((await h.simulated.read('sf-approve-stage')).version).toBe('1.2.0');
    // A decision during the soak is refused: approval comes after a healthy soak.
    expect((await h.http('POST', '/v1/updates/sf-approve-u1/approve', {}, 'operator')).status).toBe(409);

    const waiting = await h.waitForUpdate('sf-approve-u1', ['waiting-approval']);
    expect(waiting.steps[1]).toMatchObject({ name: 'soak', status: 'succeeded' });
    expect(waiting.steps[1].detail).toMatch(/health checks passed/);
    expect(Date.parse(waiting.decisionDeadline)).toBeGreaterThan(Date.now());
    expect((await h.simulated.read('sf-approve')).log.map((e) => e.op)).toEqual(['register']);

    expect((await h.http('POST', '/v1/updates/sf-approve-u1/approve', { reason: 'soak looked fine' }, 'viewer')).status).toBe(403);
    const approve = await h.http('POST', '/v1/updates/sf-approve-u1/approve', { reason: 'soak looked fine' }, 'operator');
    expect(approve.status).toBe(202);
    expect((await h.http('POST', '/v1/updates/sf-approve-u1/approve', {}, 'operator')).status).toBe(409);

    const done = await h.waitForUpdate('sf-approve-u1');
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s: any) => [s.name, s.status])).toEqual([
      ['staging', 'succeeded'],
      ['soak', 'succeeded'],
      ['approval', 'succeeded'],
      ['primary', 'succeeded'],
    ]);
    expect(done.steps[2].detail).toBe('approved by oscar-operator');
    expect(done.steps[3].updateId).toBe('sf-approve-u2');
    expect(done.actions).toEqual([expect.objectContaining({ action: 'approve', by: 'oscar-operator', reason: 'soak looked fine' })]);
    expect(done.staging).toMatchObject({ cellId: 'sf-approve-stage', version: '1.2.0', keptNewVersion: true });

    const primary = await h.http('GET', '/v1/updates/sf-approve-u2');
    expect(primary.body).toMatchObject({ strategy: 'maintenance-window', status: 'succeeded' });
    expect(primary.body.steps.every((s: any) => s.status === 'succeeded')).toBe(true);
    expect(await h.simulated.read('sf-approve')).toMatchObject({ version: '1.2.0', maintenance: false });
    const cell = await h.waitForCellIdle('sf-approve');
    expect(cell.history.at(-1)).toMatchObject({ version: '1.2.0', strategy: 'staging-first', result: 'succeeded', updateId: 'sf-approve-u1' });
    expect((await h.waitForCellIdle('sf-approve-stage')).history.at(-1)).toMatchObject({ version: '1.2.0', result: 'succeeded' });
  });

  it('promotes on its own after a healthy soak when the cell says so', async () => {
    await pair('sf-auto', { ...quick, autoPromote: true });
    const accepted = await h.requestUpdate('sf-auto', { version: '1.2.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps[2].detail).toBe('promoted automatically after a healthy soak');
    expect((await h.simulated.read('sf-auto')).version).toBe('1.2.0');
  });

  it('a failure on staging compensates staging and never touches the primary', async () => {
    await pair('sf-stagefail');
    await h.http('PUT', '/v1/sim/cells/sf-stagefail-stage/faults', { verify: { mode: 'fail' } });
    const accepted = await h.requestUpdate('sf-stagefail', { version: '1.2.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('rolled-back');
    expect(done.failedStep).toBe('staging');
    expect(done.error).toContain('staging update sf-stagefail-stage-u1 rolled-back at verify');
    expect(done.staging).toMatchObject({ version: '1.1.0', keptNewVersion: false });
    expect((await h.simulated.read('sf-stagefail-stage')).version).toBe('1.1.0');
    expect((await h.simulated.read('sf-stagefail')).log.map((e) => e.op)).toEqual(['register']);
  });

  it('a failed soak rolls staging back; the primary is never touched', async () => {
    await pair('sf-soakfail');
    await h.http('PUT', '/v1/sim/cells/sf-soakfail-stage/faults', { health: { mode: 'fail' } });
    const accepted = await h.requestUpdate('sf-soakfail', { version: '1.2.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('rolled-back');
    expect(done.failedStep).toBe('soak');
    expect(done.error).toContain('CrashLoopBackOff');
    expect(done.compensations).toEqual([expect.objectContaining({ name: 'rollbackStaging', status: 'succeeded' })]);
    expect((await h.simulated.read('sf-soakfail-stage')).version).toBe('1.1.0');
    expect((await h.simulated.read('sf-soakfail')).log.map((e) => e.op)).toEqual(['register']);
    const stage = await h.waitForCellIdle('sf-soakfail-stage');
    expect(stage.history.at(-1)).toMatchObject({ strategy: 'rollback', version: '1.1.0', result: 'succeeded' });
  });

  it('a rejection brings staging back and leaves the primary alone', async () => {
    await pair('sf-reject');
    const accepted = await h.requestUpdate('sf-reject', { version: '1.2.0', window: 'now' });
    await h.waitForUpdate(accepted.body.id, ['waiting-approval']);
    expect((await h.http('POST', `/v1/updates/${accepted.body.id}/reject`, { reason: 'release notes say no' }, 'operator')).status).toBe(202);
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('rejected');
    expect(done.error).toBe('rejected by oscar-operator: release notes say no');
    expect(done.staging).toMatchObject({ version: '1.1.0', keptNewVersion: false });
    expect((await h.simulated.read('sf-reject-stage')).version).toBe('1.1.0');
    expect((await h.simulated.read('sf-reject')).log.map((e) => e.op)).toEqual(['register']);
    expect((await h.waitForCellIdle('sf-reject')).history.at(-1)).toMatchObject({ result: 'rejected', version: '1.1.0' });
  });

  it('no decision before the deadline is a rejection', async () => {
    await pair('sf-timeout', { ...quick, soakSeconds: 0, decisionTimeoutSeconds: 2 });
    const accepted = await h.requestUpdate('sf-timeout', { version: '1.2.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('rejected');
    expect(done.error).toBe('no decision within 2s: rejected');
    expect((await h.simulated.read('sf-timeout-stage')).version).toBe('1.1.0');
  });

  it('a failure on the primary compensates the primary; staging keeps the new version, and the result says so', async () => {
    await pair('sf-primaryfail', { ...quick, autoPromote: true });
    await h.http('PUT', '/v1/sim/cells/sf-primaryfail/faults', { apply: { mode: 'fail' } });
    const accepted = await h.requestUpdate('sf-primaryfail', { version: '1.2.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('rolled-back');
    expect(done.failedStep).toBe('primary');
    expect(done.error).toContain('staging keeps 1.2.0');
    expect(done.staging).toMatchObject({ cellId: 'sf-primaryfail-stage', version: '1.2.0', keptNewVersion: true });
    expect((await h.simulated.read('sf-primaryfail-stage')).version).toBe('1.2.0');
    expect(await h.simulated.read('sf-primaryfail')).toMatchObject({ version: '1.1.0', maintenance: false });
  });

  it('a staging cell already on the release (a rollout did staging first) is soaked, not updated again', async () => {
    await pair('sf-already', { ...quick, autoPromote: true });
    const staged = await h.requestUpdate('sf-already-stage', { version: '1.2.0', window: 'now' });
    expect((await h.waitForUpdate(staged.body.id)).status).toBe('succeeded');
    await h.waitForCellIdle('sf-already-stage');
    // Asking a cell for the version it runs is refused as such, not as a bad upgrade path.
    const again = await h.requestUpdate('sf-already-stage', { version: '1.2.0', window: 'now' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('already runs 1.2.0');

    const accepted = await h.requestUpdate('sf-already', { version: '1.2.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.steps[0]).toMatchObject({ name: 'staging', status: 'succeeded', detail: 'sf-already-stage already runs 1.2.0' });
    expect(done.steps[1]).toMatchObject({ name: 'soak', status: 'succeeded' });
    expect((await h.simulated.read('sf-already-stage')).log.filter((e) => e.op === 'apply')).toHaveLength(1);
    expect((await h.simulated.read('sf-already')).version).toBe('1.2.0');
  });

  it('refuses staging-first for a cell without a staging cell', async () => {
    await h.registerCell('sf-lonely');
    const res = await h.requestUpdate('sf-lonely', { version: '1.2.0', strategy: 'staging-first' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('no paired staging cell');
    const reg = await h.http('POST', '/v1/cells', {
      id: 'sf-orphan',
      ring: 'saas',
      strategy: 'staging-first',
      maintenanceWindow: { days: ['mon'], start: '02:00', durationMinutes: 60, timezone: 'UTC' },
      cluster: { kind: 'simulated' },
      stagingCellId: 'no-such-stage',
    });
    expect(reg.status).toBe(400);
    expect(reg.body.errors).toEqual([{ field: 'body.stagingCellId', reason: 'cell no-such-stage is not registered' }]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness';

describe('pause and resume', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  it('pause takes effect between steps; resume goes on; both are recorded with who sent them', async () => {
    await h.registerCell('pausable');
    await h.http('PUT', '/v1/sim/cells/pausable/faults', { pull: { mode: 'none', latencyMs: 2_000 } });
    const accepted = await h.requestUpdate('pausable', { version: '1.2.0', window: 'now' });
    await h.waitForStep(accepted.body.id, 'pull', 'running');
    expect((await h.http('POST', `/v1/updates/${accepted.body.id}/pause`, { reason: 'incident elsewhere' }, 'operator')).status).toBe(202);
    expect((await h.http('POST', `/v1/updates/${accepted.body.id}/pause`, {}, 'operator')).status).toBe(409);

    // The running step finishes; the next one does not start.
    const paused = await h.waitForUpdate(accepted.body.id, ['paused']);
    expect(paused.steps.find((s: any) => s.name === 'pull').status).toBe('succeeded');
    expect(paused.steps.find((s: any) => s.name === 'apply').status).toBe('pending');
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await h.simulated.read('pausable')).version).toBe('1.1.0');
    expect((await h.http('GET', '/v1/cells/pausable')).body.maintenance.enabled).toBe(true);

    expect((await h.http('POST', `/v1/updates/${accepted.body.id}/resume`, {}, 'admin')).status).toBe(202);
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.actions.map((a: any) => [a.action, a.by, a.reason])).toEqual([
      ['pause', 'oscar-operator', 'incident elsewhere'],
      ['resume', 'alice-admin', undefined],
    ]);
    expect((await h.http('POST', `/v1/updates/${accepted.body.id}/resume`, {}, 'operator')).status).toBe(409);
  });

  it('cancel while paused compensates', async () => {
    await h.registerCell('paused-cancel');
    await h.http('PUT', '/v1/sim/cells/paused-cancel/faults', { pull: { mode: 'none', latencyMs: 1_000 } });
    const accepted = await h.requestUpdate('paused-cancel', { version: '1.2.0', window: 'now' });
    await h.waitForStep(accepted.body.id, 'pull', 'running');
    await h.http('POST', `/v1/updates/${accepted.body.id}/pause`, {}, 'operator');
    await h.waitForUpdate(accepted.body.id, ['paused']);
    expect((await h.http('POST', `/v1/updates/${accepted.body.id}/resume`, {}, 'viewer')).status).toBe(403);
    await h.http('POST', `/v1/updates/${accepted.body.id}/cancel`, {}, 'operator');
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done.status).toBe('cancelled');
    expect(await h.simulated.read('paused-cancel')).toMatchObject({ version: '1.1.0', maintenance: false });
  });
});

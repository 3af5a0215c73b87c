import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellWorkflowId, updateWorkflowId } from '../src/workflows/ids';
import { cellStatusQuery } from '../src/workflows/messages';
import { Harness, everyDay } from './helpers/harness';

describe('the cell controller continues as new', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  /** A controller whose low history limit makes it continue as new after every few events, once registered. */
  async function startController(id: string, maxHistoryEvents: number, ring: 'saas' | 'dedicated' = 'dedicated') {
    const spec = {
      id,
      ring,
      strategy: 'maintenance-window' as const,
      maintenanceWindow: everyDay('03:00', 60) as any,
      cluster: { kind: 'simulated' as const, initialVersion: '1.0.0' },
      expectedUpdateMinutes: 30,
    };
    const handle = await h.client.workflow.start('cellController', { workflowId: cellWorkflowId(id), taskQueue: h.taskQueue, args: [{ spec, maxHistoryEvents }] });
    const firstRun = (await handle.describe()).runId;
    await h.waitFor(`${id} registered`, async () => ((await h.http('GET', `/v1/cells/${id}`)).body.state === 'ready' ? true : undefined));
    return { spec, handle, firstRun };
  }

  it('keeps its spec, status, history and update numbering across runs', async () => {
    const { spec, firstRun } = await startController('long-lived', 20);

    for (const [n, version] of ['1.1.0', '1.2.0'].entries()) {
      const accepted = await h.requestUpdate('long-lived', { version, window: 'now' });
      expect(accepted.body.id).toBe(`long-lived-u${n + 1}`);
      expect((await h.waitForUpdate(accepted.body.id)).status).toBe('succeeded');
      await h.waitForCellIdle('long-lived');
    }

    await h.waitFor('a new run', async () => ((await h.client.workflow.getHandle(cellWorkflowId(spec.id)).describe()).runId !== firstRun ? true : undefined));
    const view = await h.client.workflow.getHandle(cellWorkflowId(spec.id)).query(cellStatusQuery);
    expect(view.spec).toEqual(spec);
    expect(view.version).toBe('1.2.0');
    expect(view.history.map((e) => [e.version, e.result])).toEqual([
      ['1.0.0', 'registered'],
      ['1.1.0', 'succeeded'],
      ['1.2.0', 'succeeded'],
    ]);
    const third = await h.requestUpdate('long-lived', { version: '2.0.0', window: 'now' });
    expect(third.body.id).toBe('long-lived-u3');
    expect((await h.waitForUpdate(third.body.id)).status).toBe('succeeded');
  });

  /** Asks for checks while the update runs (each grows the history past the limit) and returns the runs seen meanwhile. */
  async function checksWhileUpdating(id: string, handle: { describe(): Promise<{ runId: string }> }, updateId: string): Promise<Set<string>> {
    const runs = new Set<string>();
    for (let i = 0; i < 8; i++) {
      await h.http('POST', `/v1/cells/${id}/check`, undefined, 'operator');
      runs.add((await handle.describe()).runId);
    }
    expect((await h.http('GET', `/v1/updates/${updateId}`)).body.status).toBe('running');
    return runs;
  }

  it('does not continue as new while its update runs: the run that started it hears its end, then goes on', async () => {
    const { handle } = await startController('holds-its-update', 30);
    await h.http('PUT', '/v1/sim/cells/holds-its-update/faults', { apply: { mode: 'none', latencyMs: 4_000 } });
    const accepted = await h.requestUpdate('holds-its-update', { version: '1.1.0', window: 'now' });
    await h.waitForStep(accepted.body.id, 'apply');
    const startedIn = (await handle.describe()).runId;
    expect(await checksWhileUpdating('holds-its-update', handle, accepted.body.id)).toEqual(new Set([startedIn]));

    expect((await h.waitForUpdate(accepted.body.id)).status).toBe('succeeded');
    const cell = await h.waitForCellIdle('holds-its-update');
    expect(cell).toMatchObject({ state: 'ready', version: '1.1.0' });
    expect(cell.history.map((e: { version: string; result: string }) => [e.version, e.result])).toEqual([
      ['1.0.0', 'registered'],
      ['1.1.0', 'succeeded'],
    ]);
    // Its end came as the child's result: the update was never asked to report it by signal.
    const updateHistory = await h.client.workflow.getHandle(updateWorkflowId(accepted.body.id)).fetchHistory();
    expect(updateHistory.events?.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'reportEnd')).toEqual([]);
    await h.waitFor('a new run once the update ended', async () => ((await handle.describe()).runId !== startedIn ? true : undefined));
  });

  it('answers a rollout from the run that started its update, updating its cell once', async () => {
    const { handle } = await startController('rollout-held-run', 30, 'saas');
    await h.http('PUT', '/v1/sim/cells/rollout-held-run/faults', { apply: { mode: 'none', latencyMs: 4_000 } });
    await h.http('POST', '/v1/rollouts', { version: '1.1.0', rings: ['saas'], waves: { maxConcurrent: 1, maxFailures: 0 }, window: 'now' }, 'operator');
    const update = await h.waitFor("the rollout's update", async () => (await h.http('GET', '/v1/cells/rollout-held-run')).body.currentUpdate);
    await h.waitForStep(update.id, 'apply');
    const startedIn = (await handle.describe()).runId;
    expect(await checksWhileUpdating('rollout-held-run', handle, update.id)).toEqual(new Set([startedIn]));

    const done = await h.waitFor('the rollout done', async () => {
      const res = await h.http('GET', '/v1/rollouts/1.1.0', undefined, 'viewer');
      return res.body.status === 'succeeded' ? res.body : undefined;
    });
    expect(done.counts).toMatchObject({ succeeded: 1, failed: 0 });
    expect(done.rings[0].cells[0]).toMatchObject({ id: 'rollout-held-run', state: 'succeeded' });
    const cell = await h.simulated.read('rollout-held-run');
    expect(cell.version).toBe('1.1.0');
    expect(cell.log.filter((e) => e.op === 'apply')).toHaveLength(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellWorkflowId } from '../src/workflows/ids';
import { Harness, everyDay } from './helpers/harness';

/** The patch ids a run recorded (its markers), in order. */
async function patchesOf(h: Harness, workflowId: string, runId: string): Promise<string[]> {
  const history = await h.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const ids: string[] = [];
  for (const event of history.events ?? []) {
    const payload = event.markerRecordedEventAttributes?.markerName === 'core_patch' ? event.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    if (payload) ids.push((JSON.parse(Buffer.from(payload).toString()) as { id: string }).id);
  }
  return ids;
}

describe('upgrading from 0.1.0', () => {
  let h: Harness;
  beforeAll(async () => {
    // A worker that takes up no patch: the workflows it starts run as 0.1.0 started them.
    h = await Harness.start({ worker: false });
    await h.startWorker({ asRelease0_1_0: true });
  });
  afterAll(() => h?.stop());

  it("a controller 0.1.0 started continues as new at its first check on this release, keeping its cell, and its next run takes this release's branches", { timeout: 120_000 }, async () => {
    await h.registerCell('from-010', { cluster: { kind: 'simulated', initialVersion: '1.0.0' }, maintenanceWindow: everyDay('03:00', 60), expectedUpdateMinutes: 30 });
    const accepted = await h.requestUpdate('from-010', { version: '1.1.0', window: 'now' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect((await h.waitForUpdate(accepted.body.id)).status).toBe('succeeded');
    await h.waitForCellIdle('from-010');
    const handle = h.client.workflow.getHandle(cellWorkflowId('from-010'));
    const oldRun = (await handle.describe()).runId;
    expect(await patchesOf(h, handle.workflowId, oldRun)).toEqual([]);

    // This release's worker takes over; the next check is the run's first turn on it.
    await h.stopWorker();
    await h.startWorker();
    expect((await h.http('POST', '/v1/cells/from-010/check', undefined, 'operator')).status).toBe(202);
    await h.waitFor('the run started by 0.1.0 continued as new', async () => ((await handle.describe()).runId !== oldRun ? true : undefined));

    const oldHistory = await h.client.workflow.getHandle(handle.workflowId, oldRun).fetchHistory();
    expect(oldHistory.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(await patchesOf(h, handle.workflowId, oldRun)).toEqual(['runs-from-0.1.0-continue-as-new']);
    const newRun = (await handle.describe()).runId;
    // Its first task records this release's markers (a moment after the run is there).
    await h.waitFor("the new run on this release's branches", async () => ((await patchesOf(h, handle.workflowId, newRun)).includes('controller-work-in-order') ? true : undefined), 30_000);

    // The cell is as it was, and goes on: its next update is numbered after the first.
    const cell = await h.waitForCellIdle('from-010');
    expect(cell).toMatchObject({ state: 'ready', version: '1.1.0' });
    expect(cell.history.map((e: { version: string; result: string }) => [e.version, e.result])).toEqual([
      ['1.0.0', 'registered'],
      ['1.1.0', 'succeeded'],
    ]);
    const next = await h.requestUpdate('from-010', { version: '1.2.0', window: 'now' });
    expect(next.status, JSON.stringify(next.body)).toBe(202);
    expect(next.body.id).toBe('from-010-u2');
    expect((await h.waitForUpdate(next.body.id)).status).toBe('succeeded');
    // A run on this release does not continue as new for that reason again.
    await h.waitForCellIdle('from-010');
    expect((await handle.describe()).runId).toBe(newRun);
  });
});

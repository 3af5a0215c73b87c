// A cell never stays in maintenance mode unseen. Whatever an update said of its end (or could not
// say: terminated, timed out), the controller reads the cluster back; the periodic check reads
// maintenance too. A cell found in maintenance with no update running shows so in the API, in
// /metrics and as a webhook event; an update that needs attention is told of again every few hours.
import { createServer, type Server } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateWorkflowId } from '../src/workflows/ids';
import { Harness, TOKENS } from './helpers/harness';

describe('maintenance mode never left on unseen', () => {
  let h: Harness;
  let receiver: Server;
  beforeAll(async () => {
    receiver = createServer((_, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    h = await Harness.start();
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    const subscribed = await h.http('POST', '/v1/webhooks', { url, events: ['cell.left-in-maintenance', 'update.needs-attention'], secret: 'a-secret-of-sixteen-or-more' });
    expect(subscribed.status).toBe(201);
  });
  afterAll(async () => {
    await h?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const metrics = async () => (await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).text();

  /** The events queued for the subscription, by id. */
  async function queued(): Promise<Map<string, any>> {
    const rows = await h.db.selectFrom('webhook_deliveries').select('event').execute();
    return new Map(rows.map((r: any) => [r.event.id, r.event]));
  }

  it('an update terminated in the middle: the controller reads the cell back and shows it left in maintenance', async () => {
    await h.registerCell('terminated');
    await h.http('PUT', '/v1/sim/cells/terminated/faults', { apply: { mode: 'none', latencyMs: 60_000 } });
    const accepted = await h.requestUpdate('terminated', { version: '1.2.0', window: 'now' });
    await h.waitFor('the update applying', async () => {
      const progress = (await h.http('GET', `/v1/updates/${accepted.body.id}`)).body;
      return progress.steps.find((s: any) => s.name === 'apply').status === 'running' ? true : undefined;
    });
    // Someone with Temporal access ends it without its saga: nothing turned maintenance off.
    await h.client.workflow.getHandle(updateWorkflowId(accepted.body.id)).terminate('by hand');
    expect(await h.simulated.read('terminated')).toMatchObject({ maintenance: true });

    const cell = await h.waitFor('the cell shown left in maintenance', async () => {
      const body = (await h.http('GET', '/v1/cells/terminated')).body;
      return body.currentUpdate === undefined && body.maintenance.enabled ? body : undefined;
    });
    expect(cell.maintenance.leftOn).toMatchObject({ reason: 'found on when the last update ended', since: expect.any(String) });
    const sample = /^cellshift_cell_left_in_maintenance_since_seconds\{cell="terminated",ring="saas"\} (\S+)$/m.exec(await metrics());
    expect(Number(sample?.[1])).toBe(Date.parse(cell.maintenance.leftOn.since) / 1000);
    const event = await h.waitFor('the event queued', async () => (await queued()).get(`cell.left-in-maintenance/terminated/${cell.maintenance.leftOn.since}`));
    expect(event).toMatchObject({ type: 'cell.left-in-maintenance', cellId: 'terminated', text: expect.stringContaining('terminated is in maintenance mode with no update running') });

    // Turned off by hand (the operator's fix): the next check sees it, the cell and /metrics clear.
    await h.simulated.setMaintenance({ cellId: 'terminated', cluster: { kind: 'simulated' } } as any, false, { heartbeat: () => undefined } as any);
    await h.http('POST', '/v1/cells/terminated/check', {}, 'operator');
    await h.waitFor('maintenance shown off', async () => ((await h.http('GET', '/v1/cells/terminated')).body.maintenance.enabled === false ? true : undefined));
    expect(await metrics()).not.toContain('cell="terminated"');
  });

  it('the periodic check reads maintenance mode, not only the version', async () => {
    await h.registerCell('hand-on');
    await h.simulated.setMaintenance({ cellId: 'hand-on', cluster: { kind: 'simulated' } } as any, true, { heartbeat: () => undefined } as any);
    await h.http('POST', '/v1/cells/hand-on/check', {}, 'operator');
    const cell = await h.waitFor('maintenance shown on', async () => {
      const body = (await h.http('GET', '/v1/cells/hand-on')).body;
      return body.maintenance.enabled ? body : undefined;
    });
    expect(cell).toMatchObject({ state: 'ready', version: '1.1.0', maintenance: { enabled: true, leftOn: { reason: 'found on by the periodic check' } } });
  });

  it('an update that needs attention is told of again every few hours until someone acts', async () => {
    await h.registerCell('reminded');
    await h.http('PUT', '/v1/sim/cells/reminded/faults', { verify: { mode: 'fail' }, rollback: { mode: 'fail' } });
    const accepted = await h.requestUpdate('reminded', { version: '1.2.0', window: 'now' });
    await h.waitForUpdate(accepted.body.id, ['needs-attention']);
    const id = accepted.body.id;
    expect((await queued()).has(`update.needs-attention/${id}`)).toBe(true);
    expect([...(await queued()).keys()].filter((k) => k.includes('reminder'))).toEqual([]);
    // Five hours in needs-attention (its last write is when it started to need it), then nine: a reminder every four hours.
    const waited = async (hours: number, n: number) => {
      await h.db.updateTable('updates').set({ updated_at: sql`now() - make_interval(hours => ${hours})` as any }).where('id', '=', id).execute();
      return h.waitFor(`reminder ${n} queued`, async () => (await queued()).get(`update.needs-attention/${id}/reminder-${n}`), 30_000);
    };
    expect(await waited(5, 1)).toMatchObject({ type: 'update.needs-attention', text: expect.stringContaining('reminder 1') });
    expect((await waited(9, 2)).text).toContain('has needed attention for 8 h');
    const reminded = await queued();
    expect([...reminded.keys()].filter((k) => k.startsWith(`update.needs-attention/${id}`)).sort()).toEqual([`update.needs-attention/${id}`, `update.needs-attention/${id}/reminder-1`, `update.needs-attention/${id}/reminder-2`]);
    expect(reminded.has(`update.needs-attention/${id}/reminder-3`)).toBe(false);
  });
});

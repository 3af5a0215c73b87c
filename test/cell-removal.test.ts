// Removing a cell (DELETE /v1/cells/:id, admin): refused while an update runs unless asked to
// cancel it first; then the cell's debug grants are revoked in the cell, its controller ends, it
// leaves the lists and /metrics, its history goes to an audit table, and its id can be registered again.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_VERSION } from '../agent';
import { createKeyAndCsr } from '../src/crypto/agent-ca';
import { cellWorkflowId } from '../src/workflows/ids';
import { Harness, TOKENS } from './helpers/harness';

describe('removing a cell', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  const metrics = async () => (await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).text();

  it('is for admins, and refused while an update runs, with nothing changed', async () => {
    await h.registerCell('rm-busy');
    await h.http('PUT', '/v1/sim/cells/rm-busy/faults', { apply: { mode: 'none', latencyMs: 30_000 } });
    const accepted = await h.requestUpdate('rm-busy', { version: '1.2.0', window: 'now' });
    expect((await h.http('DELETE', '/v1/cells/rm-busy', undefined, 'operator')).status).toBe(403);
    const refused = await h.http('DELETE', '/v1/cells/rm-busy');
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.detail).toContain(`update ${accepted.body.id} to 1.2.0 runs`);
    expect((await h.http('DELETE', '/v1/cells/rm-busy?cancelUpdate=maybe')).status).toBe(400);
    expect((await h.http('DELETE', '/v1/cells/no-such-cell')).status).toBe(404);
    // Nothing changed: the cell is there, its update goes on.
    expect((await h.http('GET', '/v1/cells/rm-busy')).body).toMatchObject({ state: 'updating', currentUpdate: { id: accepted.body.id } });
    expect((await h.http('GET', `/v1/updates/${accepted.body.id}`)).body.status).toBe('running');
  });

  it('cancels the update when asked, revokes debug grants, leaves lists and metrics, keeps an audit, and frees the id', async () => {
    await h.registerCell('rm-me');
    const first = await h.requestUpdate('rm-me', { version: '1.2.0', window: 'now' });
    await h.waitForUpdate(first.body.id);
    // The controller takes the update's end after the update has ended: until then a request is refused.
    await h.waitForCellIdle('rm-me');
    // A debug request waiting for its customer, and an update in the middle of its apply.
    const { publicKey } = generateKeyPairSync('x25519');
    const asked = await h.http('POST', '/v1/cells/rm-me/debug-access', { publicKey: publicKey.export({ type: 'spki', format: 'pem' }), reason: 'a look', durationMinutes: 60, scope: { namespace: 'default', role: 'view' } }, 'operator');
    expect(asked.status).toBe(202);
    await h.waitFor('the debug request waiting', async () => ((await h.http('GET', `/v1/cells/rm-me/debug-access/${asked.body.n}`, undefined, 'operator')).body.status === 'waiting-decision' ? true : undefined));
    await h.http('PUT', '/v1/sim/cells/rm-me/faults', { apply: { mode: 'none', latencyMs: 30_000 } });
    const second = await h.requestUpdate('rm-me', { version: '2.0.0', window: 'now' });
    expect(second.status, JSON.stringify(second.body)).toBe(202);
    await h.waitFor('the second update applying', async () => {
      const progress = (await h.http('GET', `/v1/updates/${second.body.id}`)).body;
      return progress.steps?.find((s: any) => s.name === 'apply')?.status === 'running' ? true : undefined;
    });
    expect(await metrics()).toContain('cellshift_cells{');

    const removing = await h.http('DELETE', '/v1/cells/rm-me?cancelUpdate=true&reason=customer%20left');
    expect(removing.status).toBe(202);
    expect(removing.body).toMatchObject({ id: 'rm-me', state: 'removing', removal: { by: 'alice-admin', reason: 'customer left', cancelledUpdate: second.body.id } });
    // A second request gets the same answer.
    expect((await h.http('DELETE', '/v1/cells/rm-me')).body).toMatchObject({ state: 'removing', removal: { by: 'alice-admin' } });

    await h.waitFor('the cell gone', async () => ((await h.http('GET', '/v1/cells/rm-me')).status === 404 ? true : undefined), 60_000);
    // The update compensated before the cell went: the cluster is as it was, maintenance off.
    expect(await h.simulated.read('rm-me')).toMatchObject({ version: '1.2.0', maintenance: false });
    // Its controller ends a moment after the cell left the read model (its last write).
    await h.waitFor('the controller completed', async () => ((await h.client.workflow.getHandle(cellWorkflowId('rm-me')).describe()).status.name === 'COMPLETED' ? true : undefined), 30_000);
    expect((await h.http('GET', '/v1/cells?pageSize=1000')).body.cells.map((c: any) => c.id)).not.toContain('rm-me');
    expect(await metrics()).not.toMatch(/rm-me/);
    expect(await h.db.selectFrom('updates').select('id').where('cell_id', '=', 'rm-me').execute()).toEqual([]);
    expect((await h.http('GET', `/v1/cells/rm-me/debug-access/${asked.body.n}`, undefined, 'operator')).body).toMatchObject({ status: 'ended' });

    const audit = (await h.http('GET', '/v1/cells/rm-me/removals')).body.removals;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ cellId: 'rm-me', removedBy: 'alice-admin', reason: 'customer left', cell: { state: 'removed', version: '1.2.0' } });
    expect(audit[0].updates.map((u: any) => [u.id, u.status])).toEqual([
      [first.body.id, 'succeeded'],
      [second.body.id, 'cancelled'],
    ]);

    // The id is free: registered again, it is a new cell with a history of its own; its update ids
    // go on after the removed cell's (an update id names one update, in the cluster's apply records too).
    await h.http('PUT', '/v1/sim/cells/rm-me/faults', {});
    const again = await h.registerCell('rm-me');
    expect(again.history.map((e: any) => e.result)).toEqual(['registered']);
    const third = await h.requestUpdate('rm-me', { version: '2.0.0', window: 'now' });
    expect(third.body.id).toBe('rm-me-u3');
    const done = await h.waitForUpdate(third.body.id);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
  });

  it("an agent cell waiting for its agent: the bootstrap token dies with it", async () => {
    const registered = await h.http('POST', '/v1/cells', { id: 'rm-agent', ring: 'dedicated', connection: 'agent', maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 120, timezone: 'UTC' }, cluster: { kind: 'simulated', initialVersion: '1.1.0' } });
    expect(registered.status).toBe(201);
    const issued = await h.http('POST', '/v1/cells/rm-agent/bootstrap-token', { expiresInMinutes: 60 });
    expect(issued.status).toBe(201);
    expect((await h.http('DELETE', '/v1/cells/rm-agent')).status).toBe(202);
    await h.waitFor('the agent cell gone', async () => ((await h.http('GET', '/v1/cells/rm-agent')).status === 404 ? true : undefined), 60_000);
    const used = await fetch(`${h.baseUrl}/v1/agents/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issued.body.token}` },
      body: JSON.stringify({ cellId: 'rm-agent', agentVersion: AGENT_VERSION, capabilities: ['applyRelease'], host: 'test-host', csr: (await createKeyAndCsr('rm-agent')).csrPem }),
    });
    expect(used.status).toBe(401);
    expect((await h.http('GET', '/v1/cells/rm-agent')).status).toBe(404);
  });
});

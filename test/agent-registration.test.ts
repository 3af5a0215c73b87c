// A cell's agent registers as the product documents describe: the operator gets a one-time
// bootstrap token bound to the cell; the agent (a real process) exchanges it over an outgoing call
// and the controller registers the cell through it. Misused tokens register nothing.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_VERSION } from '../agent';
import { register } from '../src/agent/credential';
import { createKeyAndCsr } from '../src/crypto/agent-ca';
import { BootstrapTokens } from '../src/adapters/agents/bootstrap-tokens';
import { everyDay, Harness, utcClock } from './helpers/harness';

describe("registering a cell's agent with a bootstrap token", () => {
  let h: Harness;
  let agent: ChildProcess | undefined;
  const agentCell = (id: string) => ({
    id,
    ring: 'saas',
    connection: 'agent',
    cluster: { kind: 'simulated', initialVersion: '1.1.0' },
    maintenanceWindow: everyDay(utcClock(-60_000), 600),
    expectedUpdateMinutes: 5,
  });
  /** The agent's own call, made by the test: the token as bearer, what the agent reports as body. */
  const registerAs = async (token: string | undefined, cellId: string, body: Record<string, unknown> = {}) =>
    fetch(`${h.baseUrl}/v1/agents/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ cellId, agentVersion: AGENT_VERSION, capabilities: ['applyRelease'], host: 'test-host', csr: (await createKeyAndCsr(cellId)).csrPem, ...body }),
    }).then(async (res) => ({ status: res.status, type: res.headers.get('content-type'), body: await res.json() }));
  const cell = async (id: string) => (await h.http('GET', `/v1/cells/${id}`)).body;

  beforeAll(async () => {
    h = await Harness.start();
    for (const id of ['boot-1', 'boot-2']) expect((await h.http('POST', '/v1/cells', agentCell(id))).status).toBe(201);
    await h.registerCell('boot-direct');
  });
  afterAll(async () => {
    if (agent) await h.kill(agent);
    await h?.stop();
  });

  it('gives a one-time token for an agent cell, shown once and kept only as a hash', async () => {
    expect(await cell('boot-1')).toMatchObject({ state: 'awaiting-agent', agent: { status: 'never-seen', lastSeen: null } });
    const issued = await h.http('POST', '/v1/cells/boot-1/bootstrap-token', { expiresInMinutes: 30 });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.body).toMatchObject({ cellId: 'boot-1', token: expect.stringMatching(/^csb_[A-Za-z0-9_-]{40,}$/), registerPath: '/v1/agents/register', caSha256: h.agentCredentials.caSha256, endpoint: `127.0.0.1:${h.endpoint.port}` });
    expect(Math.abs(Date.parse(issued.body.expiresAt) - Date.now() - 30 * 60_000)).toBeLessThan(60_000);
    const kept = JSON.stringify(await h.db.selectFrom('bootstrap_tokens').selectAll().execute());
    expect(kept).toContain('boot-1');
    expect(kept).not.toContain(issued.body.token);

    // Only for a cell that has an agent, only by an admin, with a sane expiry.
    expect((await h.http('POST', '/v1/cells/boot-direct/bootstrap-token', {})).status).toBe(409);
    expect((await h.http('POST', '/v1/cells/no-such-cell/bootstrap-token', {})).status).toBe(404);
    expect((await h.http('POST', '/v1/cells/boot-1/bootstrap-token', {}, 'operator')).status).toBe(403);
    const tooShort = await h.http('POST', '/v1/cells/boot-1/bootstrap-token', { expiresInMinutes: 1 });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.errors[0].field).toContain('expiresInMinutes');
  });

  it('refuses garbage, missing, expired and other cells’ tokens, and registers nothing', async () => {
    const forBoot1 = (await h.http('POST', '/v1/cells/boot-1/bootstrap-token', {})).body.token as string;
    const garbage = await registerAs('csb_' + 'x'.repeat(43), 'boot-1');
    expect(garbage).toMatchObject({ status: 401, type: expect.stringContaining('application/problem+json') });
    expect((await registerAs(undefined, 'boot-1')).status).toBe(401);
    expect((await registerAs('%00;DROP TABLE tokens;--', 'boot-1')).status).toBe(401);
    // boot-1's token presented for boot-2.
    const foreign = await registerAs(forBoot1, 'boot-2');
    expect(foreign.status).toBe(401);
    expect(foreign.body.detail).toContain('another cell');
    // An expired token (issued on the store the API reads, already past its expiry).
    const expired = await new BootstrapTokens(h.db).issue('boot-2', 'test', -1);
    const late = await registerAs(expired.token, 'boot-2');
    expect(late.status).toBe(401);
    expect(late.body.detail).toContain('expired');
    // Valid token, bad report: a 400 naming the field, and the token is still good.
    const bad = await registerAs(forBoot1, 'boot-1', { agentVersion: 'latest', capabilities: [''] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining([expect.stringContaining('agentVersion'), expect.stringContaining('capabilities')]));
    // A CSR cellshift will not sign (garbage; one whose signature does not match its key): 400 naming csr, the token still good.
    const garbled = await registerAs(forBoot1, 'boot-1', { csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----' });
    expect(garbled.status, JSON.stringify(garbled.body)).toBe(400);
    expect(garbled.body.errors[0]).toMatchObject({ field: 'body.csr' });
    expect(await h.db.selectFrom('agent_credentials').selectAll().execute()).toEqual([]);

    for (const id of ['boot-1', 'boot-2']) {
      const view = await cell(id);
      expect(view.state).toBe('awaiting-agent');
      expect(view.agent.registeredAt).toBeUndefined();
    }
  });

  it('registers the cell through its agent process; the token then is spent', async () => {
    const token = (await h.http('POST', '/v1/cells/boot-1/bootstrap-token', {})).body.token as string;
    agent = await h.spawnAgent('boot-1', [], token);
    const ready = await h.waitFor('boot-1 registered through its agent', async () => {
      const view = await cell('boot-1');
      return view.state === 'ready' ? view : undefined;
    });
    expect(ready).toMatchObject({ version: '1.1.0', history: [{ version: '1.1.0', result: 'registered' }] });
    expect(ready.agent).toMatchObject({ status: 'online', version: AGENT_VERSION, capabilities: expect.arrayContaining(['applyRelease', 'preflight', 'cluster:simulated', 'stack:aws']) });
    expect(Date.now() - Date.parse(ready.agent.registeredAt)).toBeLessThan(120_000);
    expect(ready.agent.kubernetesVersion).toBeUndefined(); // a simulated cell: no Kubernetes to ask

    const again = await registerAs(token, 'boot-1');
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('already used');
  });

  it('restarted, the agent polls again with the registration it kept: no new token', async () => {
    await h.kill(agent!);
    agent = await h.spawnAgent('boot-1');
    const accepted = await h.requestUpdate('boot-1', { version: '1.2.0', window: 'now' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect((await h.waitForUpdate(accepted.body.id)).status).toBe('succeeded');
  });

  it('sends its token only over HTTPS, except to a control plane on loopback', async () => {
    const about = { agentVersion: AGENT_VERSION, capabilities: ['applyRelease'], host: 'test-host' };
    await expect(register({ controlPlane: 'http://control-plane.example.com', token: 'csb_token', caSha256: h.agentCredentials.caSha256, vendorKeys: [], cellId: 'boot-2', about }, `${h.dataDir}/x.json`)).rejects.toThrow(/HTTPS/);
    expect((await cell('boot-2')).state).toBe('awaiting-agent');
  });
});

// Emergency debug access on simulated cells: asked by an operator, decided by the cell's customer,
// ended by its timer or a revocation, the token sealed to the requester's key and nowhere in clear.
import { generateKeyPairSync } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from '../src/crypto/seal';
import type { Sealed } from '../src/domain/debug-access';
import { debugAccessWorkflowId } from '../src/workflows/ids';
import { Harness } from './helpers/harness';

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

describe('debug access', () => {
  let h: Harness;
  const key = keyPair();
  const tokens: string[] = [];
  /** the sealed tokens' ciphertexts, which the audit trail must not hold either */
  const sealed: string[] = [];
  let agent: ChildProcess | undefined;
  beforeAll(async () => {
    h = await Harness.start();
    await h.registerCell('dbg-sim-a');
    await h.registerCell('dbg-other');
  });
  afterAll(async () => {
    if (agent) await h.kill(agent);
    await h?.stop();
  });

  const ask = (cellId: string, body: Record<string, unknown> = {}) =>
    h.http('POST', `/v1/cells/${cellId}/debug-access`, { scope: { namespace: 'workspaces', role: 'view' }, durationMinutes: 0.25, reason: 'workspace pods crash on start', publicKey: key.publicKey, ...body }, 'operator');
  const get = (cellId: string, n: number) => h.http('GET', `/v1/cells/${cellId}/debug-access/${n}`, undefined, 'customer');
  const decide = (cellId: string, n: number, decision: 'approve' | 'deny', as: 'customer' | 'otherCustomer' | 'operatorAsCustomer' | 'admin' | 'operator' = 'customer') =>
    h.http('POST', `/v1/cells/${cellId}/debug-access/${n}/decide`, { decision, reason: decision === 'approve' ? 'go ahead, with Carla on the call' : 'not now' }, as);
  const until = (cellId: string, n: number, status: string, timeoutMs = 60_000) =>
    h.waitFor(`debug access ${cellId}/${n} ${status}`, async () => {
      const res = await get(cellId, n);
      return res.body.status === status ? res.body : undefined;
    }, timeoutMs);
  const tokenOf = (view: { sealedToken: Sealed }) => {
    const token = open(view.sealedToken, key.privateKey);
    tokens.push(token);
    sealed.push(view.sealedToken.ciphertext);
    return token;
  };

  it('refuses what it cannot grant, and anyone but the cell\'s customer deciding', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect((await ask('dbg-sim-a', { publicKey: rsa })).body.errors).toEqual([{ field: 'body.publicKey', reason: 'an X25519 public key is needed, not rsa' }]);
    expect((await ask('dbg-sim-a', { publicKey: 'hello' })).body.errors[0].field).toBe('body.publicKey');
    expect((await ask('dbg-sim-a', { publicKey: key.privateKey })).body.errors).toEqual([{ field: 'body.publicKey', reason: expect.stringContaining('this is a private key') }]);
    expect((await ask('dbg-sim-a', { durationMinutes: 481 })).body.errors[0].field).toBe('body.durationMinutes');
    expect((await ask('dbg-sim-a', { scope: { namespace: 'Bad_NS', role: 'view' } })).status).toBe(400);
    expect((await ask('dbg-sim-a', { scope: { namespace: 'workspaces', role: 'cluster-admin' } })).status).toBe(400);
    expect((await ask('no-such-cell')).status).toBe(404);
    expect((await h.http('POST', '/v1/cells/dbg-sim-a/debug-access', { scope: { namespace: 'x', role: 'view' }, durationMinutes: 1, reason: 'x', publicKey: key.publicKey }, 'customer')).status).toBe(403);

    const asked = await ask('dbg-sim-a', { decisionMinutes: 5 });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body).toMatchObject({ id: 'dbg-sim-a/1', n: 1, status: 'waiting-decision', requestedBy: 'oscar-operator', events: [{ event: 'requested', by: 'oscar-operator' }] });
    expect(asked.headers.get('location')).toBe('/v1/cells/dbg-sim-a/debug-access/1');

    expect((await get('dbg-sim-a', 1)).status).toBe(200);
    expect((await h.http('GET', '/v1/cells/dbg-sim-a/debug-access/1', undefined, 'otherCustomer')).status).toBe(403);
    expect((await h.http('GET', '/v1/cells', undefined, 'customer')).status).toBe(403);
    expect((await h.http('GET', '/v1/cells/dbg-sim-a', undefined, 'customer')).status).toBe(403);
    for (const as of ['otherCustomer', 'operator', 'admin', 'operatorAsCustomer'] as const) {
      const refused = await decide('dbg-sim-a', 1, 'approve', as);
      expect(refused.status, as).toBe(403);
    }
    expect((await decide('dbg-sim-a', 1, 'approve', 'operatorAsCustomer')).body.detail).toContain('oscar-operator asked for this access and cannot decide on it');
    // Withdrawn by the operator before anyone decided.
    expect((await h.http('POST', '/v1/cells/dbg-sim-a/debug-access/1/revoke', { reason: 'fixed it ourselves' }, 'operator')).status).toBe(200);
    const withdrawn = await until('dbg-sim-a', 1, 'ended');
    expect(withdrawn).toMatchObject({ end: 'revoked' });
    expect((await decide('dbg-sim-a', 1, 'approve')).status).toBe(409);
  });

  it('approved: the sealed token opens with the private key, works in its scope only, and stops at expiry', { timeout: 90_000 }, async () => {
    const n = (await ask('dbg-sim-a')).body.n;
    const approved = await decide('dbg-sim-a', n, 'approve');
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const active = await until('dbg-sim-a', n, 'active');
    expect(active.decision).toMatchObject({ approve: true, by: 'carla-customer' });
    expect(Date.parse(active.expiresAt) - Date.parse(active.grantedAt)).toBeLessThanOrEqual(15_100);
    expect(() => open(active.sealedToken, keyPair().privateKey)).toThrow(); // someone else's key
    const token = tokenOf(active);
    expect(await h.simulated.debugTokenCan('dbg-sim-a', token, 'workspaces', 'get')).toBe(true);
    expect(await h.simulated.debugTokenCan('dbg-sim-a', token, 'workspaces', 'delete')).toBe(false); // view only
    expect(await h.simulated.debugTokenCan('dbg-sim-a', token, 'kube-system', 'get')).toBe(false);

    const ended = await until('dbg-sim-a', n, 'ended');
    expect(ended.end).toBe('expired');
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(Date.parse(active.expiresAt));
    expect(await h.simulated.debugTokenCan('dbg-sim-a', token, 'workspaces', 'get')).toBe(false);
    expect((await h.simulated.read('dbg-sim-a')).debugGrants).toEqual({});
    expect(ended.events.map((e: { event: string }) => e.event)).toEqual(['requested', 'approved', 'granted', 'expired', 'ended']);
  });

  it('denied, or undecided by the deadline, grants nothing; the customer may revoke early', { timeout: 90_000 }, async () => {
    const denied = (await ask('dbg-sim-a')).body.n;
    expect((await decide('dbg-sim-a', denied, 'deny')).status).toBe(200);
    expect(await until('dbg-sim-a', denied, 'ended')).toMatchObject({ end: 'denied', decision: { approve: false, by: 'carla-customer', reason: 'not now' } });

    const undecided = (await ask('dbg-sim-a', { decisionMinutes: 0.05 })).body.n;
    const lapsed = await until('dbg-sim-a', undecided, 'ended');
    expect(lapsed).toMatchObject({ end: 'no-decision' });
    expect(lapsed.sealedToken).toBeUndefined();

    const early = (await ask('dbg-sim-a', { durationMinutes: 60, scope: { namespace: 'workspaces', role: 'edit' } })).body.n;
    await decide('dbg-sim-a', early, 'approve');
    const token = tokenOf(await until('dbg-sim-a', early, 'active'));
    expect(await h.simulated.debugTokenCan('dbg-sim-a', token, 'workspaces', 'delete')).toBe(true); // edit
    const revoked = await h.http('POST', `/v1/cells/dbg-sim-a/debug-access/${early}/revoke`, { reason: 'we found it' }, 'customer');
    expect(revoked.status).toBe(200);
    expect(await until('dbg-sim-a', early, 'ended')).toMatchObject({ end: 'revoked' });
    expect(await h.simulated.debugTokenCan('dbg-sim-a', token, 'workspaces', 'get')).toBe(false);
    expect((await h.simulated.read('dbg-sim-a')).log.filter((e) => e.op === 'debug-grant').length).toBe(2);
  });

  it('the worker SIGKILLed during a grant: it still ends, as soon as a worker is back', { timeout: 120_000 }, async () => {
    // The worker as its own process (npm run worker), so that it can die without a word.
    await h.stopWorker();
    let worker = h.spawnWorkerProcess();
    try {
      const n = (await ask('dbg-sim-a', { durationMinutes: 0.1 })).body.n;
      await decide('dbg-sim-a', n, 'approve');
      const token = tokenOf(await until('dbg-sim-a', n, 'active'));
      worker.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 8_000)); // past its expiry, with no worker
      expect(await h.simulated.debugTokenCan('dbg-sim-a', token, 'workspaces', 'get')).toBe(true);
      worker = h.spawnWorkerProcess();
      expect(await until('dbg-sim-a', n, 'ended')).toMatchObject({ end: 'expired' });
      expect(await h.simulated.debugTokenCan('dbg-sim-a', token, 'workspaces', 'get')).toBe(false);
    } finally {
      await h.kill(worker);
      await h.startWorker();
    }
  });

  it('an agent cell: its agent SIGKILLed during the grant revokes it when back, and sweeps what expired at its start', { timeout: 120_000 }, async () => {
    const registered = await h.registerAgentCell('dbg-agent-a');
    agent = registered.agent;
    const n = (await ask('dbg-agent-a', { durationMinutes: 0.1 })).body.n;
    await decide('dbg-agent-a', n, 'approve');
    const token = tokenOf(await until('dbg-agent-a', n, 'active'));
    expect(await h.simulated.debugTokenCan('dbg-agent-a', token, 'workspaces', 'get')).toBe(true);
    agent.kill('SIGKILL');
    await h.waitFor('the grant revoking, its agent away', async () => ((await get('dbg-agent-a', n)).body.status === 'revoking' ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await h.simulated.debugTokenCan('dbg-agent-a', token, 'workspaces', 'get')).toBe(true);
    agent = await h.spawnAgent('dbg-agent-a');
    let said = '';
    agent.stderr?.on('data', (chunk: Buffer) => (said += chunk.toString()));
    expect(await until('dbg-agent-a', n, 'ended')).toMatchObject({ end: 'expired' });
    // The agent revoked it itself, at its start, before it took any task.
    await h.waitFor('the agent telling of its sweep', async () => (said.includes(`revoked expired debug grants ${n} of cell dbg-agent-a`) ? true : undefined), 10_000);
    expect(await h.simulated.debugTokenCan('dbg-agent-a', token, 'workspaces', 'get')).toBe(false);
    expect((await h.simulated.read('dbg-agent-a')).log.filter((e) => e.op === 'debug-revoke').length).toBe(1);
  });

  it('no token in clear in any workflow history', async () => {
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    const histories: string[] = [];
    for await (const execution of h.client.workflow.list({ query: `WorkflowType = 'debugAccess'` })) {
      histories.push(JSON.stringify(await h.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory()));
    }
    expect(histories.length).toBeGreaterThanOrEqual(6);
    const all = histories.join('\n');
    for (const token of tokens) {
      expect(all).not.toContain(token);
      expect(all).not.toContain(Buffer.from(JSON.stringify(token)).toString('base64'));
    }
    expect(await h.client.workflow.getHandle(debugAccessWorkflowId('dbg-sim-a', 1)).describe()).toMatchObject({ status: { name: 'COMPLETED' } });
  });

  it('the audit trail: who asked, who decided what, granted and ended when and why; kept once the history is gone; no token in it', { timeout: 90_000 }, async () => {
    const audit = (as: 'customer' | 'otherCustomer' | 'operator' | 'viewer', query = '') => h.http('GET', `/v1/cells/dbg-sim-a/debug-access/audit${query}`, undefined, as);
    expect((await audit('viewer')).status).toBe(403);
    expect((await audit('otherCustomer')).status).toBe(403);
    expect((await audit('operator', '?n=first')).body.errors[0].field).toBe('querystring.n');
    expect((await audit('operator', '?n=99999999999')).status).toBe(400); // past the column's range: refused, not the database's error
    expect((await audit('operator')).status).toBe(200);
    const trail = (await audit('customer')).body.requests as { n: number; scope: unknown; events: { event: string; by: string; at: string; reason?: string; recordedAt: string }[] }[];
    const steps = (n: number) => trail.find((r) => r.n === n)!.events.map((e) => [e.event, e.by, e.reason]);
    // Withdrawn before anyone decided; approved and expired; denied; undecided; revoked early by the customer.
    expect(steps(1)).toEqual([['requested', 'oscar-operator', 'workspace pods crash on start'], ['revoke-requested', 'oscar-operator', 'fixed it ourselves'], ['ended', 'cellshift', 'revoked']]);
    expect(trail.find((r) => r.n === 2)).toMatchObject({ id: 'dbg-sim-a/2', scope: { namespace: 'workspaces', role: 'view' }, durationMinutes: 0.25 });
    expect(steps(2)).toEqual([
      ['requested', 'oscar-operator', 'workspace pods crash on start'],
      ['approved', 'carla-customer', 'go ahead, with Carla on the call'],
      ['granted', 'carla-customer', expect.stringMatching(/^until /)],
      ['expired', 'cellshift', expect.stringMatching(/^ended at /)],
      ['ended', 'cellshift', 'expired'],
    ]);
    expect(steps(3).slice(1)).toEqual([['denied', 'carla-customer', 'not now'], ['ended', 'cellshift', 'denied']]);
    expect(steps(4).slice(1)).toEqual([['no-decision', 'cellshift', expect.stringMatching(/^no decision by /)], ['ended', 'cellshift', 'no-decision']]);
    expect(steps(5).slice(-3)).toEqual([['revoke-requested', 'carla-customer', 'we found it'], ['revoked', 'carla-customer', 'we found it'], ['ended', 'cellshift', 'revoked']]);

    // The history of the latest request deleted, as the namespace's retention deletes it: its trail stays.
    const last = Math.max(...trail.map((r) => r.n));
    const view = (await get('dbg-sim-a', last)).body;
    expect(trail.find((r) => r.n === last)!.events.map(({ recordedAt: _, ...e }) => e)).toEqual(view.events);
    await h.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: debugAccessWorkflowId('dbg-sim-a', last) } });
    await h.waitFor('the history gone', async () => ((await get('dbg-sim-a', last)).status === 404 ? true : undefined));
    expect((await audit('operator', `?n=${last}`)).body.requests).toEqual([trail.find((r) => r.n === last)]);
    // … and its number is not given again.
    const next = await ask('dbg-sim-a', { decisionMinutes: 5 });
    expect(next.body.n).toBe(last + 1);
    await h.http('POST', `/v1/cells/dbg-sim-a/debug-access/${last + 1}/revoke`, {}, 'operator');
    await until('dbg-sim-a', last + 1, 'ended');

    // Nothing of a token in the table, in clear or sealed.
    const table = JSON.stringify(await h.db.selectFrom('debug_access_audit').selectAll().execute());
    expect(sealed.length).toBeGreaterThanOrEqual(4);
    for (const secret of [...tokens, ...sealed]) expect(table).not.toContain(secret);
  });
});

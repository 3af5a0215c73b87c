// Support bundles on simulated cells, over HTTP with a real Temporal: the customer's policy decides
// what is collected; an operator's request waits for the customer's approval; a failed update's
// bundle is collected by itself when allowed; findings first; downloads for operators and the cell's
// own customer only; nothing collected when not allowed, and the record says why.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackBundle } from '../src/activities/support-bundle/activities';
import { DbSupportBundleBlobs } from '../src/adapters/bundles/support-bundle-blobs';
import { SUPPORT_BUNDLE_UPLOAD_PATH } from '../src/domain/agent-endpoint';
import { Harness, TOKENS } from './helpers/harness';

describe('support bundles', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    for (const id of ['sb-a', 'sb-b', 'sb-fail']) await h.registerCell(id);
  });
  afterAll(() => h?.stop());

  const bundleOf = (cell: string, n: number, statuses: string[]) =>
    h.waitFor(`bundle ${cell}/${n} ${statuses.join('|')}`, async () => {
      const res = await h.http('GET', `/v1/cells/${cell}/support-bundles/${n}`, undefined, 'operator');
      return statuses.includes(res.body.status) ? res.body : undefined;
    });
  const download = (cell: string, n: number, token: string) => fetch(`${h.baseUrl}/v1/cells/${cell}/support-bundles/${n}/download`, { headers: { authorization: `Bearer ${token}` } });

  it("an operator's request waits for the customer's approval, is collected in the cell, and only the cell's customer and operators download it", { timeout: 120_000 }, async () => {
    expect((await h.http('GET', '/v1/cells/sb-a/support-bundle-policy', undefined, 'bundleCustomer')).body).toMatchObject({ requests: 'ask', onUpdateFailure: 'never', retentionDays: 30 });
    const asked = await h.http('POST', '/v1/cells/sb-a/support-bundles', { reason: 'workspaces hang on start' }, 'operator');
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ id: 'sb-a/1', n: 1, status: 'waiting-consent', trigger: 'operator', requestedBy: 'oscar-operator' });

    // Only the cell's own customer decides: not an operator, not another cell's customer.
    expect((await h.http('POST', '/v1/cells/sb-a/support-bundles/1/decide', { decision: 'approve' }, 'admin')).status).toBe(403);
    expect((await h.http('POST', '/v1/cells/sb-a/support-bundles/1/decide', { decision: 'approve' }, 'bundleCustomerB')).status).toBe(403);
    expect((await h.http('GET', '/v1/cells/sb-a/support-bundles/1', undefined, 'operator')).body.status).toBe('waiting-consent');
    const approved = await h.http('POST', '/v1/cells/sb-a/support-bundles/1/decide', { decision: 'approve', reason: 'go ahead' }, 'bundleCustomer');
    expect(approved.status).toBe(200);

    const collected = await bundleOf('sb-a', 1, ['collected', 'failed']);
    expect(collected.status, collected.error).toBe('collected');
    expect(collected.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(collected.manifest.files.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['cluster/nodes.json', 'installation/pods.json', 'logs/server-0/server.log']));
    expect(Array.isArray(collected.findings)).toBe(true);

    for (const token of [TOKENS.operator, TOKENS.bundleCustomer]) {
      const res = await download('sb-a', 1, token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      const files = await unpackBundle(Buffer.from(await res.arrayBuffer()));
      expect([...files.keys()].slice(0, 2)).toEqual(['findings.json', 'manifest.json']);
      expect(JSON.parse(files.get('manifest.json')!).cellId).toBe('sb-a');
    }
    expect((await download('sb-a', 1, TOKENS.bundleCustomerB)).status).toBe(403);
    expect((await download('sb-a', 1, TOKENS.viewer)).status).toBe(403);

    // Deleted: its bytes go, its record stays.
    const deleted = await h.http('DELETE', '/v1/cells/sb-a/support-bundles/1', undefined, 'bundleCustomer');
    expect(deleted.status).toBe(200);
    expect((await bundleOf('sb-a', 1, ['deleted'])).status).toBe('deleted');
    expect((await download('sb-a', 1, TOKENS.operator)).status).toBe(409);
  });

  it('a denied request, or a policy that allows none, collects nothing and says why', { timeout: 120_000 }, async () => {
    const asked = await h.http('POST', '/v1/cells/sb-a/support-bundles', null, 'operator');
    expect(asked.body.status).toBe('waiting-consent');
    await h.http('POST', `/v1/cells/sb-a/support-bundles/${asked.body.n}/decide`, { decision: 'deny', reason: 'not during the audit' }, 'bundleCustomer');
    const denied = await bundleOf('sb-a', asked.body.n, ['refused']);
    expect(denied.error).toBe('denied by bea-customer: not during the audit');
    expect(denied.bytes).toBeUndefined();
    expect((await download('sb-a', asked.body.n, TOKENS.operator)).status).toBe(409);

    // Only the customer sets the policy; a rule that is no regular expression is refused, naming it.
    expect((await h.http('PUT', '/v1/cells/sb-b/support-bundle-policy', { requests: 'allow', onUpdateFailure: 'never' }, 'admin')).status).toBe(403);
    const bad = await h.http('PUT', '/v1/cells/sb-b/support-bundle-policy', { requests: 'never', onUpdateFailure: 'never', redactions: [{ name: 'ticket', pattern: '([' }] }, 'bundleCustomerB');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.redactions.0.pattern');
    expect((await h.http('GET', '/v1/cells/sb-b/support-bundle-policy', undefined, 'operator')).body.requests).toBe('ask');
    expect((await h.http('PUT', '/v1/cells/sb-b/support-bundle-policy', { requests: 'never', onUpdateFailure: 'never' }, 'bundleCustomerB')).status).toBe(200);
    const refused = await h.http('POST', '/v1/cells/sb-b/support-bundles', null, 'operator');
    const notAllowed = await bundleOf('sb-b', refused.body.n, ['not-allowed']);
    expect(notAllowed.error).toContain('allows no support bundles on request');
  });

  it("a failed update's bundle is collected by itself when the customer allows it, names the crash loop and the failed step, and the update and its webhook event link to it", { timeout: 180_000 }, async () => {
    // A subscriber to the update's end and to the bundle's collection.
    const events: { type: string; data: Record<string, unknown> }[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        events.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = await h.http('POST', '/v1/webhooks', { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`, events: ['update.failed', 'update.rolled-back', 'support-bundle.collected'], secret: 'a-long-random-secret-for-bundles' });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    expect((await h.http('PUT', '/v1/cells/sb-fail/support-bundle-policy', { requests: 'ask', onUpdateFailure: 'collect', retentionDays: 7 }, 'bundleCustomer')).status).toBe(200);
    await h.http('PUT', '/v1/sim/cells/sb-fail/faults', { health: { mode: 'fail' } });
    const accepted = await h.requestUpdate('sb-fail', { version: '1.2.0', window: 'now', strategy: 'live' });
    expect(accepted.status).toBe(202);
    const ended = await h.waitForUpdate(accepted.body.id);
    expect(['failed', 'rolled-back']).toContain(ended.status);

    const linked = await h.waitFor('the update links to its bundle', async () => {
      const update = (await h.http('GET', `/v1/updates/${accepted.body.id}`, undefined, 'viewer')).body;
      return update.supportBundle?.status === 'collected' ? update.supportBundle : undefined;
    });
    const bundle = (await h.http('GET', linked.url, undefined, 'bundleCustomer')).body;
    expect(bundle).toMatchObject({ trigger: 'update-failed', requestedBy: 'cellshift', updateId: accepted.body.id, status: 'collected' });
    expect(bundle.findings[0].analyzer).toBe('last-update');
    expect(bundle.findings[0].title).toContain(`Update ${accepted.body.id} to 1.2.0`);
    expect(bundle.findings.some((f: { analyzer: string }) => f.analyzer === 'crash-loop')).toBe(true);
    expect(Date.parse(bundle.expiresAt) - Date.parse(bundle.collectedAt)).toBe(7 * 86_400_000);

    // The update's end event says where its bundle shows; that link leads to it. The bundle's own event names the update.
    const ending = await h.waitFor('the update ending event', async () => events.find((e) => e.type === `update.${ended.status === 'failed' ? 'failed' : 'rolled-back'}` && e.data.updateId === accepted.body.id));
    expect(ending.data.supportBundle).toBe(`/v1/updates/${accepted.body.id}/support-bundle`);
    const followed = await fetch(`${h.baseUrl}${ending.data.supportBundle as string}`, { headers: { authorization: `Bearer ${TOKENS.operator}` } });
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(`${h.baseUrl}${linked.url}`);
    expect((await followed.json()).id).toBe(bundle.id);
    const told = await h.waitFor('the bundle collected event', async () => events.find((e) => e.type === 'support-bundle.collected' && e.data.updateId === accepted.body.id));
    expect(told.data.supportBundle).toBe(bundle.id);
    await new Promise((resolve) => receiver.close(resolve));
    await h.http('DELETE', `/v1/webhooks/${hook.body.id}`);

    // Not allowed on another cell: the failed update's record says so, and nothing is kept.
    await h.http('PUT', '/v1/sim/cells/sb-b/faults', { health: { mode: 'fail' } });
    const other = await h.requestUpdate('sb-b', { version: '1.2.0', window: 'now', strategy: 'live' });
    await h.waitForUpdate(other.body.id);
    const said = await h.waitFor('the update says no bundle was collected', async () => {
      const update = (await h.http('GET', `/v1/updates/${other.body.id}`, undefined, 'viewer')).body;
      return update.supportBundle?.status === 'not-allowed' ? update.supportBundle : undefined;
    });
    expect(said.error).toContain('has not allowed support bundles when an update fails');
  });

  it('an agent cell collects its bundle inside the cell and uploads it through the agent endpoint', { timeout: 180_000 }, async () => {
    const { agent } = await h.registerAgentCell('sb-agent');
    try {
      expect((await h.http('PUT', '/v1/cells/sb-agent/support-bundle-policy', { requests: 'allow', onUpdateFailure: 'never' }, 'bundleCustomer')).status).toBe(200);
      const asked = await h.http('POST', '/v1/cells/sb-agent/support-bundles', { reason: 'slow builds' }, 'operator');
      const collected = await bundleOf('sb-agent', asked.body.n, ['collected', 'failed']);
      expect(collected.status, collected.error).toBe('collected');
      // Collected by the cell's agent (its identity), not by the control plane.
      expect(collected.manifest.collectedBy).toMatch(/^cell\/sb-agent\//);
      const res = await download('sb-agent', asked.body.n, TOKENS.bundleCustomer);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(collected.digest);
    } finally {
      await h.kill(agent);
    }
  });

  it('an agent killed while collecting leaves nothing half-stored; back, it collects the bundle again from the start', { timeout: 180_000 }, async () => {
    let { agent } = await h.registerAgentCell('sb-crash');
    const blobs = new DbSupportBundleBlobs(h.db);
    // The agent's own credential, as it keeps it: uploads cut short as a dying agent's would be.
    const state = JSON.parse(readFileSync(join(h.dataDir, 'agent-sb-crash.json'), 'utf8')) as { privateKey: string; certificate: string; caCertificate: string };
    const channel = new grpc.Client(`127.0.0.1:${h.endpoint.port}`, grpc.credentials.createSsl(Buffer.from(state.caCertificate), Buffer.from(state.privateKey), Buffer.from(state.certificate)));
    const partUpload = (id: string, how: 'ended' | 'cancelled') =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const data = Buffer.alloc(64 * 1024, 7);
        const metadata = new grpc.Metadata();
        metadata.set('bundle-id', id);
        metadata.set('digest', `sha256:${createHash('sha256').update(data).digest('hex')}`);
        metadata.set('bytes', String(data.length));
        const stream = channel.makeClientStreamRequest(SUPPORT_BUNDLE_UPLOAD_PATH, (b: Buffer) => b, (b: Buffer) => b, metadata, {}, (err) => resolve(err));
        stream.write(data.subarray(0, data.length / 2));
        if (how === 'ended') stream.end();
        else setTimeout(() => stream.cancel(), 200);
      });
    try {
      expect((await h.http('PUT', '/v1/cells/sb-crash/support-bundle-policy', { requests: 'allow', onUpdateFailure: 'never' }, 'bundleCustomer')).status).toBe(200);
      // Reading the cell's evidence takes long (a latency fault): the agent is killed meanwhile.
      await h.http('PUT', '/v1/sim/cells/sb-crash/faults', { collect: { mode: 'none', latencyMs: 600_000 } });
      const asked = await h.http('POST', '/v1/cells/sb-crash/support-bundles', { reason: 'agent crash drill' }, 'operator');
      const id = asked.body.id as string;
      await bundleOf('sb-crash', asked.body.n, ['collecting']);

      // An upload that ends half-way, or is cut off: nothing is kept, the bundle is still collecting.
      expect((await partUpload(id, 'ended'))?.code).toBe(grpc.status.DATA_LOSS);
      expect((await partUpload(id, 'cancelled'))?.code).toBe(grpc.status.CANCELLED);
      await h.kill(agent);
      expect(await blobs.get(id)).toBeUndefined();
      expect((await h.http('GET', `/v1/cells/sb-crash/support-bundles/${asked.body.n}`, undefined, 'operator')).body).toMatchObject({ status: 'collecting' });
      const early = await download('sb-crash', asked.body.n, TOKENS.operator);
      expect(early.status).toBe(409);
      expect(early.headers.get('content-type')).toContain('application/problem+json');

      // The agent back (and its cluster quick again): the collection starts over and ends whole.
      await h.http('PUT', '/v1/sim/cells/sb-crash/faults', {});
      agent = await h.spawnAgent('sb-crash');
      const collected = await bundleOf('sb-crash', asked.body.n, ['collected', 'failed']);
      expect(collected.status, collected.error).toBe('collected');
      const res = await download('sb-crash', asked.body.n, TOKENS.operator);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(collected.digest);
      expect([...(await unpackBundle(bytes)).keys()]).toContain('findings.json');
    } finally {
      channel.close();
      await h.kill(agent);
    }
  });

  it("the release a cell runs extends the collection: its own log lines and redactions, checked when it is published", { timeout: 120_000 }, async () => {
    const base = (await h.http('GET', '/v1/releases/1.1.0')).body;
    const release = { version: '1.1.5', components: base.components, breaking: false, notes: 'asks for short logs and hides build ids' };
    const bad = await h.http('POST', '/v1/releases', { ...release, supportBundle: { redactions: [{ name: 'build-id', pattern: '(' }] } }, 'admin');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.supportBundle.redactions.0.pattern');
    const published = await h.http('POST', '/v1/releases', { ...release, supportBundle: { logLines: 2, redactions: [{ name: 'build-id', pattern: 'serving' }] } }, 'admin');
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    await h.registerCell('sb-rel', { cluster: { kind: 'simulated', initialVersion: '1.1.5' } });
    expect((await h.http('PUT', '/v1/cells/sb-rel/support-bundle-policy', { requests: 'allow', onUpdateFailure: 'never' }, 'bundleCustomer')).status).toBe(200);

    const asked = await h.http('POST', '/v1/cells/sb-rel/support-bundles', null, 'operator');
    const collected = await bundleOf('sb-rel', asked.body.n, ['collected', 'failed']);
    expect(collected.status, collected.error).toBe('collected');
    expect(collected.manifest.limits).toEqual({ logLines: 2, maxBytes: 20 * 1024 * 1024 });
    expect(collected.manifest.redactions['build-id']).toBeGreaterThan(0);
    const files = await unpackBundle(Buffer.from(await (await download('sb-rel', asked.body.n, TOKENS.operator)).arrayBuffer()));
    const logs = [...files.entries()].filter(([name]) => name.startsWith('logs/'));
    expect(logs.length).toBeGreaterThan(0);
    for (const [name, text] of logs) {
      expect(text.trimEnd().split('\n').length, name).toBeLessThanOrEqual(2);
      expect(text, name).not.toContain('serving');
    }
  });
});

import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REQUEST_LIMITS } from '../src/api/http/request-limits';
import { Harness, everyDay } from './helpers/harness';

const validCell = (id: string) => ({
  id,
  ring: 'saas',
  maintenanceWindow: everyDay('02:00', 120, 'Europe/Berlin'),
  cluster: { kind: 'simulated', initialVersion: '1.1.0' },
});

describe('API: validation, auth, conflicts', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.registerCell('api-cell');
  });
  afterAll(() => h?.stop());

  it('answers bad input with problem+json naming each field and the reason, and changes nothing', async () => {
    const res = await h.http('POST', '/v1/cells', {
      id: 'Bad_ID',
      ring: 'moon',
      maintenanceWindow: { days: ['someday'], start: '9am', durationMinutes: 0, timezone: 'UTC' },
      cluster: { kind: 'simulated' },
      surprise: true,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const fields = res.body.errors.map((e: any) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['body.id', 'body.ring', 'body.maintenanceWindow.days.0', 'body.maintenanceWindow.start', 'body.maintenanceWindow.durationMinutes', 'body.surprise']),
    );
    expect(res.body.errors.find((e: any) => e.field === 'body.ring').reason).toBe('must be one of staging, saas, dedicated');
    expect((await h.http('GET', '/v1/cells/Bad_ID')).status).toBe(400);
  });

  it('names only what is wrong in the kind of cluster (or stack) the request means', async () => {
    const window = { days: ['mon'], start: '01:00', durationMinutes: 60, timezone: 'UTC' };
    const res = await h.http('POST', '/v1/cells', {
      id: 'kube-bad',
      ring: 'saas',
      maintenanceWindow: window,
      cluster: { kind: 'kubernetes', kubeconfig: { path: 'relative.yaml' }, namespace: 'Product' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'body.cluster.kubeconfig.path', reason: 'must match pattern "^/"' },
      { field: 'body.cluster.namespace', reason: 'must match pattern "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"' },
    ]);
    const both = await h.http('POST', '/v1/cells', {
      id: 'kube-bad',
      ring: 'saas',
      maintenanceWindow: window,
      cluster: { kind: 'kubernetes', kubeconfig: { path: '/etc/k', secretRef: 'acme' }, namespace: 'product' },
    });
    expect(both.status).toBe(400);
    expect(both.body.detail).toContain('body.cluster.kubeconfig');
    expect((await h.http('GET', '/v1/cells/kube-bad')).status).toBe(404);
  });

  it('takes a time zone from the list the OpenAPI document states, and no other spelling', async () => {
    const docs = await h.http('GET', '/docs/json', undefined, null);
    const listed: string[] = docs.body.paths['/v1/cells'].post.requestBody.content['application/json'].schema.properties.maintenanceWindow.properties.timezone.enum;
    expect(listed).toEqual(expect.arrayContaining(['UTC', 'Europe/Berlin', 'Asia/Kolkata']));
    for (const timezone of ['Mars/Olympus', 'US/Pacific', 'EST', '+01:00', 'europe/berlin']) {
      const res = await h.http('POST', '/v1/cells', { ...validCell('tz-cell'), maintenanceWindow: everyDay('02:00', 60, timezone) });
      expect(res.status, timezone).toBe(400);
      expect(res.body.errors, timezone).toEqual([{ field: 'body.maintenanceWindow.timezone', reason: `is not one of the ${listed.length} values the API document (/docs/json) lists for it` }]);
    }
    expect((await h.http('GET', '/v1/cells/tz-cell')).status).toBe(404);
    expect((await h.http('POST', '/v1/cells', { ...validCell('tz-kolkata'), maintenanceWindow: everyDay('02:00', 60, 'Asia/Kolkata') })).status).toBe(201);
  });

  it('checks what a schema cannot: window fit, initial version', async () => {
    const fit = await h.http('POST', '/v1/cells', { ...validCell('fit-cell'), maintenanceWindow: everyDay('02:00', 20), expectedUpdateMinutes: 45 });
    expect(fit.status).toBe(400);
    expect(fit.body.errors[0].field).toBe('body.expectedUpdateMinutes');

    const initial = await h.http('POST', '/v1/cells', { ...validCell('initial-cell'), cluster: { kind: 'simulated', initialVersion: '7.7.7' } });
    expect(initial.status).toBe(400);
    expect(initial.body.errors[0]).toEqual({ field: 'body.cluster.initialVersion', reason: 'release 7.7.7 is not in the catalog' });

    for (const id of ['fit-cell', 'initial-cell']) expect((await h.http('GET', `/v1/cells/${id}`)).status).toBe(404);
  });

  it('needs a bearer token with a sufficient role; /healthz and the OpenAPI document are open', async () => {
    expect((await h.http('GET', '/v1/cells/api-cell', undefined, null)).status).toBe(401);
    const wrong = await fetch(`${h.baseUrl}/v1/cells/api-cell`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await h.http('GET', '/v1/cells/api-cell', undefined, 'viewer')).status).toBe(200);

    const forbidden = await h.requestUpdate('api-cell', { version: '1.2.0' }, 'viewer');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toContain('operator');
    expect((await h.http('POST', '/v1/cells', validCell('by-operator'), 'operator')).status).toBe(403);

    expect((await h.http('GET', '/healthz', undefined, null)).status).toBe(200);
    const docs = await h.http('GET', '/docs/json', undefined, null);
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/v1/cells', '/v1/cells/{cellId}', '/v1/cells/{cellId}/updates', '/v1/updates/{updateId}', '/v1/releases']),
    );
  });

  it('refuses a second registration, an unknown cell, an unknown release and a skipped stepping stone', async () => {
    const again = await h.http('POST', '/v1/cells', validCell('api-cell'));
    expect(again.status).toBe(409);

    const unknownCell = await h.requestUpdate('no-such-cell', { version: '1.2.0' });
    expect(unknownCell.status).toBe(404);
    expect((await h.http('GET', '/v1/updates/no-such-cell-u1')).status).toBe(404);

    const unknownRelease = await h.requestUpdate('api-cell', { version: '9.9.9' });
    expect(unknownRelease.status).toBe(422);
    expect(unknownRelease.body.title).toBe('ReleaseNotFound');

    const skipped = await h.requestUpdate('api-cell', { version: '2.0.0' });
    expect(skipped.status).toBe(422);
    expect(skipped.body).toMatchObject({ title: 'IncompatibleVersion', missing: '1.2.0' });
    expect(skipped.body.detail).toContain('1.2.0');

    // None of the refusals left an update behind.
    expect((await h.http('GET', '/v1/cells/api-cell')).body.currentUpdate).toBeUndefined();
  });

  it('refuses a second update while one runs, naming the running one', async () => {
    await h.registerCell('busy-cell', { maintenanceWindow: everyDay('02:00', 120) });
    const first = await h.requestUpdate('busy-cell', { version: '1.2.0', window: 'next' });
    expect(first.status).toBe(202);
    const second = await h.requestUpdate('busy-cell', { version: '1.2.0', window: 'now' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ title: 'UpdateInProgress', updateId: first.body.id });
    await h.http('POST', `/v1/updates/${first.body.id}/cancel`, {}, 'operator');
    await h.waitForUpdate(first.body.id);
  });

  it('publishes releases immutably and lists them oldest first', async () => {
    const release = { version: '3.0.0', components: { server: 'registry.example/server:3.0.0' }, breaking: false };
    expect((await h.http('POST', '/v1/releases', release)).status).toBe(201);
    expect((await h.http('POST', '/v1/releases', release)).status).toBe(200);
    const changed = await h.http('POST', '/v1/releases', { ...release, components: { server: 'registry.example/server:other' } });
    expect(changed.status).toBe(409);
    const bad = await h.http('POST', '/v1/releases', { version: 'latest', components: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field)).toEqual(expect.arrayContaining(['body.version', 'body.components']));

    const list = await h.http('GET', '/v1/releases', undefined, 'viewer');
    expect(list.body.releases.map((r: any) => r.version)).toEqual(['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0', '3.0.0']);
    expect(list.body.releases[3]).toMatchObject({ version: '2.0.0', breaking: true, requiredStepStones: ['1.2.0'] });
    expect(list.body.nextPageToken).toBeUndefined();
  });

  it('pages the catalog without manifests, with tokens it signed; a tampered token is a 400', async () => {
    const withManifests = { version: '3.0.1', components: { server: 'registry.example/server:3.0.1' }, breaking: false, manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob: 'x'.repeat(10_000) } }] };
    expect((await h.http('POST', '/v1/releases', withManifests)).status).toBe(201);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await h.http('GET', `/v1/releases?pageSize=2${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`, undefined, 'viewer');
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.releases.length).toBeLessThanOrEqual(2);
      for (const r of page.body.releases) expect(r.manifests).toBeUndefined();
      seen.push(...page.body.releases.map((r: any) => r.version));
      token = page.body.nextPageToken;
      pages++;
    } while (token);
    expect(seen).toEqual(['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0', '3.0.0', '3.0.1']);
    expect(pages).toBe(4);
    const summary = (await h.http('GET', '/v1/releases?pageSize=500', undefined, 'viewer')).body.releases.find((r: any) => r.version === '3.0.1');
    expect(summary.manifestCount).toBe(1);
    // One release shows its digest and objects; its manifests only to an operator who asks.
    const one = (await h.http('GET', '/v1/releases/3.0.1', undefined, 'viewer')).body;
    expect(one).toMatchObject({ digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), content: { bytes: expect.any(Number), objects: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'big' }] } });
    expect(one.manifests).toBeUndefined();
    expect((await h.http('GET', '/v1/releases/3.0.1?manifests=true', undefined, 'viewer')).status).toBe(403);
    expect((await h.http('GET', '/v1/releases/3.0.1?manifests=true', undefined, 'operator')).body.manifests[0].data.blob).toHaveLength(10_000);
    // A Secret with data is refused, naming it: a release carries no secret values.
    const secret = await h.http('POST', '/v1/releases', { ...withManifests, version: '3.0.2', manifests: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'hunter2' } }] });
    expect(secret.status).toBe(400);
    expect(secret.body.errors).toEqual([{ field: 'body.manifests.0', reason: expect.stringContaining('Secret db carries data') }]);
    expect((await h.http('GET', '/v1/releases/3.0.2')).status).toBe(404);

    // The cells' list pages with the same kind of token (visibility's own, signed).
    await h.registerCell('page-a');
    await h.registerCell('page-b');
    const cells = await h.http('GET', '/v1/cells?pageSize=1', undefined, 'viewer');
    expect(cells.body.nextPageToken).toEqual(expect.any(String));
    const next = await h.http('GET', `/v1/cells?pageSize=1&pageToken=${encodeURIComponent(cells.body.nextPageToken)}`, undefined, 'viewer');
    expect(next.status).toBe(200);
    expect(next.body.cells[0].id).not.toBe(cells.body.cells[0].id);

    // A token edited to skip ahead, garbage, another shape: refused, naming the field.
    const first = (await h.http('GET', '/v1/releases?pageSize=2', undefined, 'viewer')).body.nextPageToken as string;
    const [body, signature] = first.split('.');
    const forged = `${Buffer.from(JSON.stringify({ after: '2.1.0' })).toString('base64url')}.${signature}`;
    const tampered = `${body}.${signature[0] === 'x' ? 'y' : 'x'}${signature.slice(1)}`;
    for (const bad of [forged, tampered, 'garbage', '...', `${body}`]) {
      for (const path of ['/v1/releases', '/v1/cells']) {
        const res = await h.http('GET', `${path}?pageToken=${encodeURIComponent(bad)}`, undefined, 'viewer');
        expect(res.status, `${path} ${bad}`).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body.errors[0].field).toBe('query.pageToken');
      }
    }
  });

  it('asks a direct Kubernetes cell for its kubeconfig, and an agent cell for none', async () => {
    const cell = (id: string, extra: Record<string, unknown>) => ({ id, ring: 'saas', maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 120, timezone: 'UTC' }, ...extra });
    const direct = await h.http('POST', '/v1/cells', cell('k-direct', { cluster: { kind: 'kubernetes', namespace: 'product' } }));
    expect(direct.status).toBe(400);
    expect(direct.body.errors).toEqual([{ field: 'body.cluster.kubeconfig', reason: "a cell reached directly needs the kubeconfig cellshift's workers use (or connection: agent)" }]);
    const agent = await h.http('POST', '/v1/cells', cell('k-agent', { connection: 'agent', cluster: { kind: 'kubernetes', namespace: 'product', kubeconfig: { path: '/etc/k.yaml' } } }));
    expect(agent.status).toBe(400);
    expect(agent.body.errors[0].field).toBe('body.cluster.kubeconfig');
    const unknown = await h.http('POST', '/v1/cells', cell('k-what', { connection: 'pigeon', cluster: { kind: 'simulated' } }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('body.connection');
    for (const id of ['k-direct', 'k-agent', 'k-what']) expect((await h.http('GET', `/v1/cells/${id}`)).status).toBe(404);
  });

  it('takes workload selectors only for components of the release, with valid labels', async () => {
    const release = { version: '3.1.0', components: { server: 'registry.example/server:3.1.0' }, breaking: false };
    const stray = await h.http('POST', '/v1/releases', { ...release, workloadSelectors: { server: { app: 'srv' }, worker: { app: 'wrk' } } });
    expect(stray.status).toBe(400);
    expect(stray.headers.get('content-type')).toContain('application/problem+json');
    expect(stray.body.errors).toEqual([{ field: 'body.workloadSelectors.worker', reason: 'worker is not a component of the release' }]);
    const badLabel = await h.http('POST', '/v1/releases', { ...release, workloadSelectors: { server: { 'not a label!': 'x' } } });
    expect(badLabel.status).toBe(400);
    expect(badLabel.body.errors[0].field).toMatch(/^body\.workloadSelectors\.server/);
    const badComponent = await h.http('POST', '/v1/releases', { ...release, components: { 'Not A Component': 'registry.example/x:1' } });
    expect(badComponent.status).toBe(400);
    expect(badComponent.body.errors[0].field).toMatch(/^body\.components/);
    expect((await h.http('GET', '/v1/releases/3.1.0', undefined, 'viewer')).status).toBe(404);
    const ok = await h.http('POST', '/v1/releases', { ...release, workloadSelectors: { server: { 'app.kubernetes.io/instance': 'prod', tier: 'api' } } });
    expect(ok.status).toBe(201);
    expect(ok.body.workloadSelectors).toEqual({ server: { 'app.kubernetes.io/instance': 'prod', tier: 'api' } });
  });

  it('sets faults only on simulated cells that exist, with validated faults', async () => {
    expect((await h.http('PUT', '/v1/sim/cells/ghost/faults', { apply: { mode: 'fail' } })).status).toBe(404);
    const bad = await h.http('PUT', '/v1/sim/cells/api-cell/faults', { apply: { mode: 'explode' }, teleport: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field)).toEqual(expect.arrayContaining(['body.apply.mode', 'body.teleport']));
    // JSON keeps its types: what the schema forbids is refused, not converted into what it allows.
    const coerced: [unknown, string, string][] = [
      [{ apply: { mode: 'fail-times', times: '3' } }, 'body.apply.times', 'must be integer'],
      [{ apply: { mode: ['fail'] } }, 'body.apply.mode', 'must be string'],
      [{ verify: { mode: 'fail', latencyMs: true } }, 'body.verify.latencyMs', 'must be integer'],
      [{ health: { mode: 'fail', components: 'web' } }, 'body.health.components', 'must be array'],
    ];
    for (const [body, field, reason] of coerced) {
      const res = await h.http('PUT', '/v1/sim/cells/api-cell/faults', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors, JSON.stringify(body)).toContainEqual({ field, reason });
    }
    expect((await h.http('GET', '/v1/sim/cells/api-cell')).body.faults).toEqual({});
    // A query string is text: its numbers are still read as numbers.
    expect((await h.http('GET', '/v1/releases?pageSize=1')).body.releases).toHaveLength(1);
  });
});

describe('API: answers through inject(), without a socket or a worker', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ worker: false });
  });
  afterAll(() => h?.stop());

  it('answers a route that does not exist as a problem, whatever the token', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }]) {
      const res = await h.app.inject({ method: 'GET', url: '/v1/nothing?x=1', headers });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toEqual({ type: 'about:blank', title: 'Not found', status: 404, detail: 'no route GET /v1/nothing?x=1' });
    }
  });

  it('answers a method a path does not have with 405 and the methods it has; an unknown path stays 404', async () => {
    const cases: [string, string, string][] = [
      ['QUERY', '/v1/releases/1.2.0', 'GET, HEAD'],
      ['DELETE', '/v1/releases', 'GET, HEAD, POST'],
      ['PUT', '/v1/cells', 'GET, HEAD, POST'],
      ['POST', '/v1/updates/api-x-u1', 'GET, HEAD'],
      ['PATCH', '/healthz', 'GET, HEAD'],
      ['PUT', '/v1/rollouts/plan', 'POST'], // its own resource, not /v1/rollouts/:rolloutId's
      ['GET', '/v1/rollouts/plan', 'POST'], // (which the router would give a GET, as a rollout id)
    ];
    for (const [method, path, allow] of cases) {
      for (const body of method === 'GET' ? [undefined] : [undefined, '{}']) {
        const res = await fetch(`${h.baseUrl}${path}`, { method, headers: { authorization: 'Bearer test-admin-token', ...(body ? { 'content-type': 'application/json' } : {}) }, body });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(await res.json()).toEqual({ type: 'about:blank', title: 'Method not allowed', status: 405, detail: `${path} takes ${allow}, not ${method}` });
      }
    }
    const unknown = await fetch(`${h.baseUrl}/v1/nothing`, { method: 'DELETE', headers: { authorization: 'Bearer test-admin-token' } });
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('allow')).toBeNull();
  });

  it('answers a JSON body over the limit with 413, declared for every route taking one', async () => {
    const padding = 'x'.repeat(1024 * 1024);
    const res = await h.http('POST', '/v1/cells', { id: 'too-big', ring: 'saas', maintenanceWindow: everyDay('02:00', 60), cluster: { kind: 'simulated' }, padding });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ title: 'Body too large', detail: 'the body is larger than the limit of 1048576 bytes' });
    expect((await h.http('GET', '/v1/cells/too-big')).status).toBe(404);
    // A release is the exception: vendors' manifests run to megabytes (up to 64 MiB).
    const big = { version: '8.0.0', components: { app: 'example.com/app:8.0.0' }, breaking: false, manifests: Array.from({ length: 4 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` }, data: { blob: padding } })) };
    expect((await h.http('POST', '/v1/releases', big)).status).toBe(201);
    expect((await h.http('GET', '/v1/releases/8.0.0')).body.content.bytes).toBeGreaterThan(4 * 1024 * 1024);
    const docs = (await h.http('GET', '/docs/json', undefined, null)).body;
    expect(Object.keys(docs.paths['/v1/releases'].post.responses)).toEqual(expect.arrayContaining(['413', '429']));
    expect(Object.keys(docs.paths['/v1/releases'].get.responses)).not.toContain('413');
  });

  it('takes component names that are label values, images that are OCI references, versions as documented; nothing else is stored', async () => {
    const digest = `sha256:${'c0ffee00'.repeat(8)}`;
    const ok = { version: '2026.12.1', components: { Web_UI: 'ghcr.io/acme/web:2026.12.1', api: `registry.example:5000/acme/api@${digest}` }, breaking: false };
    expect((await h.http('POST', '/v1/releases', ok)).status).toBe(201);
    const bad = await h.http('POST', '/v1/releases', {
      version: '4.0.0+build.7',
      components: { 'web ui': 'nginx:1.27', api: 'Registry.Example/API:1', worker: 'nginx@sha256:abc', '-x': 'nginx' },
      breaking: false,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'body.version', reason: 'must be a semantic or calendar version: 1.2.3, 1.2.3-rc.1, 2026.12.1' },
        { field: 'body.components.web ui', reason: expect.stringContaining('is not a valid name: must be a Kubernetes label value') },
        { field: 'body.components.-x', reason: expect.stringContaining('is not a valid name') },
        { field: 'body.components.api', reason: expect.stringContaining('must be an image reference') },
        { field: 'body.components.worker', reason: expect.stringContaining('must be an image reference') },
      ]),
    );
    expect((await h.http('GET', '/v1/releases/4.0.0')).status).toBe(404);
    // A bundle's manifest is held to the same rules, and nothing of it is kept.
    const { buildBundle } = await import('../src/adapters/bundles/build');
    const archive = await buildBundle({ version: '4.1.0', components: { app: 'example.com/app:4.1.0' }, breaking: false });
    const uploaded = await fetch(`${h.baseUrl}/v1/bundles`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/gzip' }, body: new Uint8Array(archive) });
    expect(uploaded.status).toBe(201);
    await expect(buildBundle({ version: '4.2.0', components: { app: 'Not An Image' }, breaking: false })).rejects.toThrow(/components\.app: must be an image reference/);
    expect((await h.http('GET', '/v1/releases/4.2.0')).status).toBe(404);
  });
});

describe('API: rate and time limits, as an install has them', () => {
  let h: Harness;
  const TIMEOUT_MS = 1_500;
  beforeAll(async () => {
    h = await Harness.start({ worker: false, requestLimits: { ...DEFAULT_REQUEST_LIMITS, timeoutMs: TIMEOUT_MS } });
  });
  afterAll(() => h?.stop());

  // Any well-formed CSR: the guesser's token is refused before anything is signed.
  const GUESSER_CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBADCBpwIBADAWMRQwEgYDVQQDDAtjZWxsL25vd2hlcmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ=\n-----END CERTIFICATE REQUEST-----';
  const register = () =>
    fetch(`${h.baseUrl}/v1/agents/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer csb_${'x'.repeat(43)}` },
      body: JSON.stringify({ cellId: 'nowhere', agentVersion: '0.2.0', capabilities: [], host: 'guesser', csr: GUESSER_CSR }),
    });

  it('answers a burst of agent registrations from one address with 429 and Retry-After; tokens go on being served', async () => {
    const answers = await Promise.all(Array.from({ length: DEFAULT_REQUEST_LIMITS.registrationPerMinute + 5 }, register));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(DEFAULT_REQUEST_LIMITS.registrationPerMinute).fill(401), ...Array(5).fill(429)]);
    const throttled = answers.find((r) => r.status === 429)!;
    expect(throttled.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(throttled.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await throttled.json()).toMatchObject({ status: 429, title: 'Too many requests', detail: expect.stringMatching(/^more than 10 requests a minute from this address; retry in \d+ s \(Retry-After\)$/) });
    expect((await register()).status).toBe(429); // still, until the minute is over

    // An operator's token is counted on its own, and generously: a dashboard's burst goes through.
    const reads = await Promise.all(Array.from({ length: 100 }, () => h.http('GET', '/v1/releases', undefined, 'operator')));
    expect(reads.every((r) => r.status === 200)).toBe(true);
    expect(Number(reads[0].headers.get('x-ratelimit-limit'))).toBe(DEFAULT_REQUEST_LIMITS.perMinute);
    expect((await h.http('GET', '/healthz', undefined, null)).headers.get('x-ratelimit-limit')).toBeNull(); // probes are not counted
  });

  it('answers a request still unanswered after the time limit with 503, even one whose body is still arriving', async () => {
    const release = JSON.stringify({ version: '7.0.0', components: { app: 'example.com/app:7.0.0' }, breaking: false });
    const started = Date.now();
    const answer = await new Promise<{ status: number; type?: string; body: string }>((resolve, reject) => {
      const req = httpRequest(`${h.baseUrl}/v1/releases`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json', 'content-length': release.length } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
      });
      req.on('error', reject);
      // One byte a quarter second: a slow client, or one holding a connection on purpose.
      void (async () => {
        for (const byte of release) {
          if (req.destroyed) return;
          req.write(byte);
          await sleep(250);
        }
        req.end();
      })();
    });
    expect(answer.status).toBe(503);
    expect(answer.type).toContain('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ title: 'Request timed out', detail: expect.stringContaining(`no answer within ${TIMEOUT_MS} ms`) });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2_000);
    expect((await h.http('GET', '/v1/releases/7.0.0')).status).toBe(404);
  });
});

// A support bundle of a real cluster, collected inside the cell by its agent: an update whose pod
// crash-loops fails verify and is rolled back; the customer allowed bundles when an update fails,
// so one is collected by itself. Its findings name the failed step, the pod and why; a Secret's value
// and a bearer token planted where a collector reads (a container's log lines as kwok's kubelet
// serves them, an event, an environment variable) are in none of its files.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { unpackBundle } from '../../src/activities/support-bundle/activities';
import { connect, type KubeClients } from '../../src/adapters/kubernetes/connection';
import type { Release } from '../../src/domain/release';
import { everyDay, Harness, TOKENS, utcClock } from '../helpers/harness';

const NS = 'k8s-sb';
const PLANTED = 'planted-s3cret-Value-77';
const TOKEN = 'abcdefghijklmnopqrstuvwx0123';

const deployment = (image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'server', labels: { app: 'server' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'server' } },
    template: {
      metadata: { labels: { app: 'server' } },
      spec: { containers: [{ name: 'server', image, env: [{ name: 'DB_PASSWORD', value: PLANTED }, { name: 'MODE', value: 'production' }] }] },
    },
  },
});
const INSTALL: Release = { version: '8.0.0', components: { server: 'registry.example.com/product/server:8.0.0' }, breaking: false, manifests: [deployment('registry.example.com/product/server:8.0.0')] as Release['manifests'] };
const BROKEN: Release = { version: '8.1.0', components: { server: 'registry.example.com/product/server:8.1.0-crashloop' }, breaking: false, manifests: [deployment('registry.example.com/product/server:8.1.0-crashloop')] as Release['manifests'] };

describe('a support bundle collected in a Kubernetes cell by its agent', () => {
  let h: Harness;
  let kube: KubeClients;
  let agent: ChildProcess | undefined;
  const kubeconfigPath = inject('kubeconfigPath');
  const containerLogPath = inject('containerLogPath');

  beforeAll(async () => {
    h = await Harness.start({ releases: [] });
    kube = connect({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace: 'default' });
    for (const r of [INSTALL, BROKEN]) expect((await h.http('POST', '/v1/releases', r)).status).toBe(201);
    // The cell installs the newest release its ring sees: 8.0.0 for now.
    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/8.0.0/promote', { ring })).status).toBe(200);
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await h?.stop();
  });

  it('a crash loop fails the update; the bundle collected for it names the pod and the step, and holds no planted secret', { timeout: 300_000 }, async () => {
    expect((await h.http('POST', '/v1/cells', { id: NS, ring: 'saas', connection: 'agent', cluster: { kind: 'kubernetes', namespace: NS }, maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 })).status).toBe(201);
    agent = await h.spawnAgent(NS, ['--kubeconfig', kubeconfigPath]);
    await h.waitFor('installed through the agent', async () => {
      const res = await h.http('GET', `/v1/cells/${NS}`);
      if (res.body?.state === 'ready' && res.body.version === '8.0.0') return true;
      // Not yet: what the cell says goes into the timeout's message.
      throw new Error(JSON.stringify({ state: res.body?.state, version: res.body?.version, agent: res.body?.agent?.status, reconcileError: res.body?.reconcileError, history: res.body?.history?.slice(-1) }));
    }, 120_000);
    // The customer's Secret in the cell, and text that carries it and a token, where collectors read:
    // what the server's container printed (every container on the test bed prints these lines).
    const printed = [
      'server listening on :8080',
      `connecting to postgres://app:${PLANTED}@db:5432/product`,
      `GET /api/v4/projects Authorization: Bearer ${TOKEN}`,
      'panic: could not reach the database',
    ];
    writeFileSync(containerLogPath, printed.map((line, i) => `2026-12-05T10:00:0${i}.000000000Z stderr F ${line}\n`).join(''));
    await kube.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'db-credentials' }, stringData: { password: PLANTED } } });
    await kube.core.createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { name: 'server-connect' },
        involvedObject: { kind: 'Deployment', name: 'server', namespace: NS },
        reason: 'ConnectFailed',
        type: 'Warning',
        message: `connecting to db with password ${PLANTED} and Authorization: Bearer ${TOKEN}`,
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
      },
    });
    expect((await h.http('PUT', `/v1/cells/${NS}/support-bundle-policy`, { requests: 'ask', onUpdateFailure: 'collect' }, 'bundleCustomer')).status).toBe(200);

    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/8.1.0/promote', { ring })).status).toBe(200);
    const accepted = await h.requestUpdate(NS, { version: '8.1.0', window: 'now' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const ended = await h.waitForUpdate(accepted.body.id, undefined, 180_000);
    expect(ended.status).toBe('rolled-back');

    const link = await h.waitFor('the bundle collected for the update', async () => {
      const update = (await h.http('GET', `/v1/updates/${accepted.body.id}`, undefined, 'viewer')).body;
      return ['collected', 'failed'].includes(update.supportBundle?.status) ? update.supportBundle : undefined;
    }, 120_000);
    const bundle = (await h.http('GET', link.url, undefined, 'bundleCustomer')).body;
    expect(bundle.status, bundle.error).toBe('collected');
    expect(bundle.manifest.collectedBy).toMatch(new RegExp(`^cell/${NS}/`));
    expect(bundle.findings[0]).toMatchObject({ analyzer: 'last-update', severity: 'critical', title: `Update ${accepted.body.id} to 8.1.0 rolled-back at step verify` });
    // The rollback took the crash-looping pod away before the bundle was collected: the update's record names it.
    expect(bundle.findings[0].detail).toMatch(new RegExp(`pod server-[a-z0-9-]+: CrashLoopBackOff`));
    expect(bundle.manifest.redactions).toMatchObject({ 'secret-value': expect.any(Number), bearer: expect.any(Number) });

    const res = await fetch(`${h.baseUrl}${link.url}/download`, { headers: { authorization: `Bearer ${TOKENS.bundleCustomer}` } });
    expect(res.status).toBe(200);
    const files = await unpackBundle(Buffer.from(await res.arrayBuffer()));
    expect([...files.keys()]).toEqual(expect.arrayContaining(['findings.json', 'manifest.json', 'installation/pods.json', 'installation/events.json', 'installation/workloads.json']));
    expect(files.get('installation/events.json')).toContain('ConnectFailed');
    expect(files.get('installation/workloads.json')).toContain('production');
    const logs = [...files.keys()].filter((name) => /^logs\/server-[a-z0-9-]+\/server\.log$/.test(name));
    expect(logs, [...files.keys()].join(', ')).toHaveLength(1);
    const log = files.get(logs[0]!)!;
    expect(log).toContain('server listening on :8080');
    expect(log).toContain('panic: could not reach the database');
    expect(log).toContain('postgres://');
    for (const [name, text] of files) {
      expect(text, `${name} holds the Secret's value`).not.toContain(PLANTED);
      expect(text, `${name} holds the bearer token`).not.toContain(TOKEN);
      expect(text, `${name} holds the Secret's value base64`).not.toContain(Buffer.from(PLANTED).toString('base64'));
    }
  });
});

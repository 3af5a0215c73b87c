// cellshift updating real Kubernetes: every strategy end to end against the test bed's control
// plane (etcd, kube-apiserver, controller-manager, scheduler; kwok's kubelets), through the API.
// Each cell is its own namespace of the one cluster.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { KubernetesCluster, MAINTENANCE_CONFIGMAP, PREPULL_DAEMONSET } from '../../src/adapters/kubernetes/cluster';
import { connect, type KubeClients } from '../../src/adapters/kubernetes/connection';
import { COMPONENT_LABEL, VERSION_LABEL } from '../../src/adapters/kubernetes/workloads';
import type { KubernetesClusterRef } from '../../src/domain/cell';
import type { Release } from '../../src/domain/release';
import { everyDay, Harness, utcClock } from '../helpers/harness';

const COMPONENTS = ['api', 'web'] as const;

function deployment(component: string, image: string, cpu = '100m'): KubernetesObject {
  const labels = { [COMPONENT_LABEL]: component };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: component, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: component, image, resources: { requests: { cpu, memory: '128Mi' } } }] } },
    },
  } as KubernetesObject;
}

/** A release of both components; `images` overrides an image; `manifests` makes it installable from scratch. */
function release(version: string, options: { images?: Partial<Record<(typeof COMPONENTS)[number], string>>; manifests?: boolean; cpu?: string } = {}): Release {
  const components = Object.fromEntries(COMPONENTS.map((c) => [c, options.images?.[c] ?? `example.com/${c}:${version}`]));
  return {
    version,
    components,
    breaking: false,
    ...(options.manifests
      ? {
          manifests: [
            { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'product-config' }, data: { release: version } },
            ...COMPONENTS.map((c) => deployment(c, components[c], options.cpu)),
          ] as Release['manifests'],
        }
      : {}),
  };
}

const RELEASES = [
  release('1.0.0', { manifests: true }),
  release('1.1.0'),
  release('1.2.0', { images: { api: 'example.com/api:1.2.0-pull-fails' } }),
  release('1.3.0', { images: { api: 'example.com/api:1.3.0-crashloop' } }),
  release('1.4.0', { images: { web: 'example.com/web:1.4.0-slow-start' } }),
  // 2 components × 2 replicas × 40 CPUs: more than the 3 nodes' 96
  release('1.5.0', { manifests: true, cpu: '40' }),
];

const openNow = () => ({ maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 });

describe('updating real Kubernetes clusters', () => {
  let h: Harness;
  let kube: KubeClients;
  let worker: ChildProcess | undefined;
  const kubeconfigPath = inject('kubeconfigPath');
  const ref = (namespace: string): KubernetesClusterRef => ({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace });

  const promote = async (version: string) => {
    for (const ring of ['staging', 'saas', 'dedicated']) expect((await h.http('POST', `/v1/releases/${version}/promote`, { ring })).status).toBe(200);
  };

  beforeAll(async () => {
    h = await Harness.start({ releases: [] });
    kube = connect(ref('default'));
    for (const r of RELEASES) expect((await h.http('POST', '/v1/releases', r)).status).toBe(201);
    // Only 1.0.0, which carries its manifests, is visible while the cells register: each installs it from scratch.
    await promote('1.0.0');
    await Promise.all([
      installedCell('k8s-mw'),
      // A staging-first cell names a staging cell that is already registered.
      installedCell('k8s-sf-stage', { ring: 'staging' }).then(() =>
        installedCell('k8s-sf', { ring: 'dedicated', strategy: 'staging-first', stagingCellId: 'k8s-sf-stage', stagingFirst: { soakSeconds: 2, healthCheckIntervalSeconds: 1, autoPromote: true } }),
      ),
      installedCell('k8s-live', { strategy: 'live', live: { batchSize: 1, analysis: { checks: 1, intervalSeconds: 0 } } }),
    ]);
    for (const r of RELEASES.slice(1)) await promote(r.version);
  }, 300_000);
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await h?.stop();
  });

  async function images(namespace: string): Promise<Record<string, string | undefined>> {
    const list = await kube.apps.listNamespacedDeployment({ namespace });
    return Object.fromEntries(list.items.map((d) => [d.metadata!.name!, d.spec!.template.spec!.containers[0].image]));
  }

  async function maintenance(namespace: string): Promise<string | undefined> {
    return (await kube.core.readNamespacedConfigMap({ name: MAINTENANCE_CONFIGMAP, namespace })).data?.enabled;
  }

  async function available(namespace: string): Promise<boolean> {
    const list = await kube.apps.listNamespacedDeployment({ namespace });
    return list.items.every((d) => d.status?.availableReplicas === d.spec?.replicas && d.status?.updatedReplicas === d.spec?.replicas);
  }

  /** Registers a cell on a namespace of its own, where nothing runs yet: its controller installs 1.0.0. */
  async function installedCell(id: string, overrides: Record<string, unknown> = {}) {
    const res = await h.http('POST', '/v1/cells', { id, ring: 'saas', cluster: ref(id), ...openNow(), ...overrides });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return h.waitFor(`${id} installed`, async () => {
      const cell = await h.http('GET', `/v1/cells/${id}`);
      return cell.body?.version === '1.0.0' && cell.body.state === 'ready' ? cell.body : undefined;
    }, 120_000);
  }

  /** One update to its end, and until the cell's controller has taken the end (the next request would be refused before). */
  async function update(cellId: string, body: Record<string, unknown>) {
    const accepted = await h.requestUpdate(cellId, { window: 'now', ...body });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const done = await h.waitForUpdate(accepted.body.id, undefined, 120_000);
    await h.waitForCellIdle(cellId);
    return done;
  }

  it('installs a release from its manifests, then updates its images in the maintenance window', async () => {
    expect(await images('k8s-mw')).toEqual({ api: 'example.com/api:1.0.0', web: 'example.com/web:1.0.0' });
    expect((await kube.core.readNamespacedConfigMap({ name: 'product-config', namespace: 'k8s-mw' })).data).toEqual({ release: '1.0.0' });

    const done = await update('k8s-mw', { version: '1.1.0' });
    expect(done.status, done.error).toBe('succeeded');
    expect(await images('k8s-mw')).toEqual({ api: 'example.com/api:1.1.0', web: 'example.com/web:1.1.0' });
    expect(await available('k8s-mw')).toBe(true);
    expect(await maintenance('k8s-mw')).toBe('false');
    const api = await kube.apps.readNamespacedDeployment({ name: 'api', namespace: 'k8s-mw' });
    expect(api.metadata?.labels?.[VERSION_LABEL]).toBe('1.1.0');
    expect(api.metadata?.managedFields?.map((f) => f.manager)).toContain('cellshift-images');
    expect((await h.waitForCellIdle('k8s-mw')).version).toBe('1.1.0');
  });

  it('applying the same release again under the same key changes nothing', async () => {
    const cluster = new KubernetesCluster();
    const target = { cellId: 'k8s-mw', cluster: ref('k8s-mw') };
    const ctx = { heartbeat() {}, signal: new AbortController().signal };
    const before = await kube.apps.readNamespacedDeployment({ name: 'api', namespace: 'k8s-mw' });
    await cluster.apply(target, release('1.1.0'), 'reapply-check', ctx);
    await cluster.apply(target, release('1.1.0'), 'reapply-check', ctx);
    const after = await kube.apps.readNamespacedDeployment({ name: 'api', namespace: 'k8s-mw' });
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    expect(after.spec?.template.spec?.containers[0].image).toBe('example.com/api:1.1.0');
  });

  it('preflight refuses a release the nodes have no room for, and changes nothing', async () => {
    const done = await update('k8s-mw', { version: '1.5.0' });
    expect(done.status).toBe('failed');
    expect(done.failedStep).toBe('preflight');
    expect(done.error).toMatch(/requests 160 CPU and 512Mi memory; the nodes have 9\d(\.\d+)? CPU/);
    expect(await images('k8s-mw')).toEqual({ api: 'example.com/api:1.1.0', web: 'example.com/web:1.1.0' });
    expect(await maintenance('k8s-mw')).toBe('false');
  });

  it('an image that cannot be pulled fails the update before apply, naming the image and the node', async () => {
    const done = await update('k8s-mw', { version: '1.2.0' });
    expect(done.status).toBe('rolled-back');
    expect(done.failedStep).toBe('pull');
    expect(done.error).toContain('ErrImagePull');
    expect(done.error).toContain('example.com/api:1.2.0-pull-fails');
    expect(done.error).toMatch(/on node kwok-node-\d/);
    expect(await images('k8s-mw')).toEqual({ api: 'example.com/api:1.1.0', web: 'example.com/web:1.1.0' });
    expect(await maintenance('k8s-mw')).toBe('false');
    await expect(kube.apps.readNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace: 'k8s-mw' })).rejects.toMatchObject({ code: 404 });
  });

  it('a crash loop during verify rolls back to the previous images, maintenance off', async () => {
    const done = await update('k8s-mw', { version: '1.3.0' });
    expect(done.status).toBe('rolled-back');
    expect(done.failedStep).toBe('verify');
    expect(done.error).toContain('CrashLoopBackOff');
    expect(done.error).toMatch(/pod api-[a-z0-9]+-[a-z0-9]+/);
    expect(done.compensations.map((c: any) => [c.name, c.status])).toEqual([
      ['rollback', 'succeeded'],
      ['maintenanceOff', 'succeeded'],
    ]);
    expect(await images('k8s-mw')).toEqual({ api: 'example.com/api:1.1.0', web: 'example.com/web:1.1.0' });
    expect(await h.waitFor('restored pods available', async () => ((await available('k8s-mw')) ? true : undefined))).toBe(true);
    expect(await maintenance('k8s-mw')).toBe('false');
    expect((await h.waitForCellIdle('k8s-mw')).version).toBe('1.1.0');
  });

  it('sees drift after a manual `kubectl set image`, and puts the recorded release back', async () => {
    // What `kubectl set image deployment/api api=…` sends: a strategic merge patch from another manager.
    await kube.objects.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'k8s-mw' }, spec: { template: { spec: { containers: [{ name: 'api', image: 'example.com/api:hotfix' }] } } } } as KubernetesObject,
      undefined,
      undefined,
      'kubectl-set',
      undefined,
      PatchStrategy.StrategicMergePatch,
    );
    expect((await h.http('POST', '/v1/cells/k8s-mw/check', undefined, 'operator')).status).toBeLessThan(300);
    const drifted = await h.waitFor('drift seen', async () => {
      const cell = await h.http('GET', '/v1/cells/k8s-mw');
      return cell.body.state === 'drifted' ? cell.body : undefined;
    });
    expect(drifted.drift.recorded).toBe('1.1.0');
    expect(drifted.drift.actual).toMatch(/^1\.1\.0-modified\.[0-9a-f]{8}$/);

    expect((await h.http('POST', '/v1/cells/k8s-mw/drift/reconcile', undefined, 'operator')).status).toBe(200);
    await h.waitFor('back on 1.1.0', async () => {
      const cell = await h.http('GET', '/v1/cells/k8s-mw');
      return cell.body.state === 'ready' && cell.body.version === '1.1.0' ? true : undefined;
    }, 120_000);
    expect((await images('k8s-mw')).api).toBe('example.com/api:1.1.0');
  });

  it('staging-first: the staging namespace first, then the primary', async () => {
    const done = await update('k8s-sf', { version: '1.1.0' });
    expect(done.status, done.error).toBe('succeeded');
    expect(await images('k8s-sf-stage')).toEqual({ api: 'example.com/api:1.1.0', web: 'example.com/web:1.1.0' });
    expect(await images('k8s-sf')).toEqual({ api: 'example.com/api:1.1.0', web: 'example.com/web:1.1.0' });
    const stagedAt = (await kube.apps.readNamespacedDeployment({ name: 'api', namespace: 'k8s-sf-stage' })).metadata?.managedFields?.find((f) => f.manager === 'cellshift-images')?.time;
    const primaryAt = (await kube.apps.readNamespacedDeployment({ name: 'api', namespace: 'k8s-sf' })).metadata?.managedFields?.find((f) => f.manager === 'cellshift-images')?.time;
    expect(new Date(stagedAt!).getTime()).toBeLessThanOrEqual(new Date(primaryAt!).getTime());
  });

  it('live: one component at a time, without maintenance mode, crash loop rolls every batch back', async () => {
    const ok = await update('k8s-live', { version: '1.1.0' });
    expect(ok.status, ok.error).toBe('succeeded');
    expect(await images('k8s-live')).toEqual({ api: 'example.com/api:1.1.0', web: 'example.com/web:1.1.0' });

    const bad = await update('k8s-live', { version: '1.3.0' });
    expect(bad.status).toBe('rolled-back');
    expect(bad.error).toContain('CrashLoopBackOff');
    expect(await images('k8s-live')).toEqual({ api: 'example.com/api:1.1.0', web: 'example.com/web:1.1.0' });
    await expect(kube.core.readNamespacedConfigMap({ name: MAINTENANCE_CONFIGMAP, namespace: 'k8s-live' })).resolves.toMatchObject({ data: { enabled: 'false' } });
  });

  it('the worker killed mid-rollout resumes and finishes the update', async () => {
    await h.stopWorker();
    worker = h.spawnWorkerProcess();
    const accepted = await h.requestUpdate('k8s-mw', { version: '1.4.0', window: 'now' });
    expect(accepted.status).toBe(202);
    await h.waitForStep(accepted.body.id, 'verify', 'running');
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    worker = h.spawnWorkerProcess();

    const done = await h.waitForUpdate(accepted.body.id, undefined, 120_000);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.steps.find((s: any) => s.name === 'verify').attempts).toBe(2);
    expect(await images('k8s-mw')).toEqual({ api: 'example.com/api:1.4.0', web: 'example.com/web:1.4.0-slow-start' });
    expect(await maintenance('k8s-mw')).toBe('false');
  });
});

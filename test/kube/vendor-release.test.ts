// A release as real vendors ship them, on the Kubernetes test bed, through an agent: a
// CustomResourceDefinition and a custom resource of it, a ClusterRole and its binding, a
// StatefulSet, and over 1 MB of manifests. Installed (the definition established before the
// resource), updated (an object the new release dropped is pruned), rolled back (the object is
// back); and refused before maintenance mode by a cell whose owner keeps cluster objects out.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type KubeClients } from '../../src/adapters/kubernetes/connection';
import type { KubernetesManifest, Release } from '../../src/domain/release';
import { everyDay, Harness, utcClock } from '../helpers/harness';

const NS = 'k8s-vendor-release';
const manifests = (version: string, dropped: boolean): KubernetesManifest[] => [
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'workspaceclasses.vendor.example.com' },
    spec: {
      group: 'vendor.example.com',
      scope: 'Namespaced',
      names: { plural: 'workspaceclasses', singular: 'workspaceclass', kind: 'WorkspaceClass' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cpu: { type: 'string' } } } } } } }],
    },
  },
  { apiVersion: 'vendor.example.com/v1', kind: 'WorkspaceClass', metadata: { name: 'default' }, spec: { cpu: version === '9.0.0' ? '2' : '4' } },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'vendor-node-reader' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }] },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'vendor-node-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'vendor-node-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NS }],
  },
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db' },
    spec: { serviceName: 'db', replicas: 1, selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: `registry.example.com/vendor/db:${version}` }] } } },
  },
  // Vendors' manifests run to megabytes.
  ...[1, 2].map((i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `schema-${i}` }, data: { sql: `-- ${version}\n${'x'.repeat(600_000)}` } })),
  ...(dropped ? [] : [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy-settings' }, data: { mode: 'old' } }]),
];
const release = (version: string, dropped: boolean): Release => ({ version, components: { db: `registry.example.com/vendor/db:${version}` }, breaking: false, manifests: manifests(version, dropped) });

describe('a vendor release with definitions, cluster objects and megabytes of manifests, through an agent', () => {
  let h: Harness;
  let kube: KubeClients;
  let agent: ChildProcess | undefined;
  const kubeconfigPath = inject('kubeconfigPath');
  const exists = (read: () => Promise<unknown>) => read().then(() => true, () => false);
  const legacy = () => exists(() => kube.core.readNamespacedConfigMap({ name: 'legacy-settings', namespace: NS }));

  beforeAll(async () => {
    h = await Harness.start({ releases: [] });
    kube = connect({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace: 'default' });
    // 9.1.0 reaches the ring only once the cell runs 9.0.0.
    for (const r of [release('9.0.0', false), release('9.1.0', true)]) expect((await h.http('POST', '/v1/releases', r)).status).toBe(201);
    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/9.0.0/promote', { ring })).status).toBe(200);
    expect((await h.http('GET', '/v1/releases/9.0.0')).body.content.bytes).toBeGreaterThan(1_000_000);
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await h?.stop();
  });

  it('a cell that keeps cluster objects out refuses the release in preflight, before maintenance mode', async () => {
    expect((await h.http('POST', '/v1/cells', { id: 'k8s-no-cluster-objects', ring: 'saas', cluster: { kind: 'kubernetes', namespace: `${NS}-closed`, kubeconfig: { path: kubeconfigPath } }, maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 })).status).toBe(201);
    const cell = await h.waitFor('the first install refused', async () => {
      const body = (await h.http('GET', '/v1/cells/k8s-no-cluster-objects')).body;
      return body.state === 'install-failed' ? body : undefined;
    }, 120_000);
    const install = (await h.http('GET', `/v1/updates/${cell.history.at(-1)?.updateId ?? 'k8s-no-cluster-objects-u1'}`)).body;
    expect(install).toMatchObject({ status: 'failed', failedStep: 'preflight', error: expect.stringContaining("creates objects of the cluster's own (CustomResourceDefinition workspaceclasses.vendor.example.com, ClusterRole vendor-node-reader, ClusterRoleBinding vendor-node-reader)") });
    expect(install.steps.find((s: any) => s.name === 'maintenanceOn').status).toBe('skipped');
  });

  it('installs through the agent, updates pruning what the release dropped, and rolls back bringing it back', async () => {
    expect((await h.http('POST', '/v1/cells', { id: 'k8s-vendor-release', ring: 'saas', connection: 'agent', cluster: { kind: 'kubernetes', namespace: NS, clusterObjects: 'allow' }, maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 })).status).toBe(201);
    agent = await h.spawnAgent('k8s-vendor-release', ['--kubeconfig', kubeconfigPath]);
    await h.waitFor('installed through the agent', async () => {
      const body = (await h.http('GET', '/v1/cells/k8s-vendor-release')).body;
      return body.state === 'ready' && body.version === '9.0.0' ? body : undefined;
    }, 180_000);
    // The definition was established before its resource was made; the cluster's objects are there.
    expect(await legacy()).toBe(true);
    const widget = await kube.objects.read({ apiVersion: 'vendor.example.com/v1', kind: 'WorkspaceClass', metadata: { name: 'default', namespace: NS } });
    expect((widget as any).spec.cpu).toBe('2');
    expect(await exists(() => kube.objects.read({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'vendor-node-reader' } }))).toBe(true);
    await h.waitForCellIdle('k8s-vendor-release');

    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/9.1.0/promote', { ring })).status).toBe(200);
    const up = await h.requestUpdate('k8s-vendor-release', { version: '9.1.0', window: 'now' });
    expect(up.status, JSON.stringify(up.body)).toBe(202);
    const updated = await h.waitForUpdate(up.body.id, undefined, 180_000);
    expect(updated.status, updated.error).toBe('succeeded');
    expect(await legacy()).toBe(false); // pruned: 9.1.0 no longer has it
    expect(((await kube.objects.read({ apiVersion: 'vendor.example.com/v1', kind: 'WorkspaceClass', metadata: { name: 'default', namespace: NS } })) as any).spec.cpu).toBe('4');
    await h.waitForCellIdle('k8s-vendor-release');

    // The update undone on demand: the pruned object is back.
    const undo = await h.http('POST', '/v1/cells/k8s-vendor-release/rollback', {}, 'operator');
    expect(undo.status, JSON.stringify(undo.body)).toBe(202);
    expect((await h.waitForUpdate(undo.body.id, undefined, 180_000)).status).toBe('succeeded');
    expect(await legacy()).toBe(true);
    expect(((await kube.objects.read({ apiVersion: 'vendor.example.com/v1', kind: 'WorkspaceClass', metadata: { name: 'default', namespace: NS } })) as any).spec.cpu).toBe('2');
  });
});

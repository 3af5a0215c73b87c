// Releases over manifests as vendors publish them (a Helm chart's output, upstream YAML with only
// an `app` label), on the test bed's control plane: a first install from those manifests, an
// image-only update finding each component by the documented rules, and the releases preflight
// must refuse before maintenance mode.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAINTENANCE_CONFIGMAP } from '../../src/adapters/kubernetes/cluster';
import { connect, type KubeClients } from '../../src/adapters/kubernetes/connection';
import type { Release } from '../../src/domain/release';
import { everyDay, Harness, utcClock } from '../helpers/harness';

const vendor = (file: string) => loadAllYaml(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'manifests', file), 'utf8')) as KubernetesObject[];

const INSTALL: Release = {
  version: '5.0.0',
  components: { gitea: 'gitea/gitea:1.22.3-rootless', valkey: 'docker.io/bitnami/valkey:8.0.1-debian-12-r0', nginx: 'nginx:1.14.2' },
  breaking: false,
  // The chart's inline-config Secret is not shipped (a release carries no secret values): the customer creates it in the cell.
  manifests: [...vendor('helm-gitea.yaml').filter((o) => o.kind !== 'Secret'), ...vendor('nginx-upstream.yaml')] as Release['manifests'],
};
const IMAGES_ONLY: Release = {
  version: '5.1.0',
  components: { gitea: 'gitea/gitea:1.23.1-rootless', valkey: 'docker.io/bitnami/valkey:8.0.2-debian-12-r0', nginx: 'nginx:1.27.3' },
  breaking: false,
};
const UNPLACEABLE: Release = { version: '5.2.0', components: { ...IMAGES_ONLY.components, runner: 'gitea/act_runner:0.2.11' }, breaking: false };

describe('releases over vendor manifests on real Kubernetes', () => {
  let h: Harness;
  let kube: KubeClients;
  const kubeconfigPath = inject('kubeconfigPath');
  const cluster = (namespace: string) => ({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace });
  const window = () => ({ maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 });
  const promote = async (version: string, rings = ['staging', 'saas']) => {
    for (const ring of rings) expect((await h.http('POST', `/v1/releases/${version}/promote`, { ring })).status).toBe(200);
  };
  const containers = async (kind: 'Deployment' | 'StatefulSet', name: string, namespace: string) => {
    const spec = kind === 'Deployment' ? (await kube.apps.readNamespacedDeployment({ name, namespace })).spec! : (await kube.apps.readNamespacedStatefulSet({ name, namespace })).spec!;
    const pod = spec.template.spec!;
    return Object.fromEntries([...(pod.initContainers ?? []), ...pod.containers].map((c) => [c.name, c.image]));
  };

  beforeAll(async () => {
    h = await Harness.start({ releases: [] });
    kube = connect({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace: 'default' });
    for (const r of [INSTALL, IMAGES_ONLY, UNPLACEABLE]) expect((await h.http('POST', '/v1/releases', r)).status).toBe(201);
    await promote('5.0.0');
    expect((await h.http('POST', '/v1/cells', { id: 'k8s-vendor', ring: 'saas', cluster: cluster('k8s-vendor'), ...window() })).status).toBe(201);
    await h.waitFor('k8s-vendor installed', async () => {
      const cell = await h.http('GET', '/v1/cells/k8s-vendor');
      return cell.body?.state === 'ready' && cell.body.version === '5.0.0' ? true : undefined;
    }, 120_000);
  }, 300_000);
  afterAll(async () => {
    await h?.stop();
  });

  async function update(cellId: string, version: string) {
    const accepted = await h.requestUpdate(cellId, { version, window: 'now' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    return h.waitForUpdate(accepted.body.id, undefined, 120_000);
  }

  it('updates the images of Helm and upstream workloads, only in the containers that run the components', async () => {
    await promote('5.1.0');
    const done = await update('k8s-vendor', '5.1.0');
    expect(done.status, done.error).toBe('succeeded');
    // Found by app.kubernetes.io/name; the init container keeps its image.
    expect(await containers('Deployment', 'my-gitea', 'k8s-vendor')).toEqual({ 'init-directories': 'gitea/gitea:1.22.3-rootless', gitea: 'gitea/gitea:1.23.1-rootless' });
    // The container named after the component; the metrics sidecar keeps its image.
    expect(await containers('StatefulSet', 'my-gitea-valkey', 'k8s-vendor')).toEqual({ valkey: 'docker.io/bitnami/valkey:8.0.2-debian-12-r0', metrics: 'docker.io/bitnami/redis-exporter:1.65.0-debian-12-r0' });
    // Found by its `app` label alone.
    expect(await containers('Deployment', 'nginx-deployment', 'k8s-vendor')).toEqual({ nginx: 'nginx:1.27.3' });
    expect((await h.waitForCellIdle('k8s-vendor')).version).toBe('5.1.0');
  });

  it('refuses in preflight, before maintenance mode, a release with a component it cannot find', async () => {
    await promote('5.2.0');
    const done = await update('k8s-vendor', '5.2.0');
    expect(done.status).toBe('failed');
    expect(done.failedStep).toBe('preflight');
    expect(done.error).toContain('component runner: no Deployment or StatefulSet named runner or labelled app.kubernetes.io/name=runner or app=runner');
    expect(done.steps.find((s: any) => s.name === 'maintenanceOn').status).toBe('skipped');
    expect((await kube.core.readNamespacedConfigMap({ name: MAINTENANCE_CONFIGMAP, namespace: 'k8s-vendor' })).data?.enabled).toBe('false');
    expect(await containers('Deployment', 'nginx-deployment', 'k8s-vendor')).toEqual({ nginx: 'nginx:1.27.3' });
  });

  it('refuses in preflight the first install of a release that names only images', async () => {
    // The staging ring's newest release, 5.2.0, carries no manifests.
    expect((await h.http('POST', '/v1/cells', { id: 'k8s-bare', ring: 'staging', cluster: cluster('k8s-bare'), ...window() })).status).toBe(201);
    const cell = await h.waitFor('k8s-bare install refused', async () => {
      const res = await h.http('GET', '/v1/cells/k8s-bare');
      return res.body?.state === 'install-failed' ? res.body : undefined;
    }, 120_000);
    const install = await h.http('GET', `/v1/updates/${cell.history.at(-1).updateId}`);
    expect(install.body).toMatchObject({ status: 'failed', failedStep: 'preflight' });
    expect(install.body.error).toContain('release 5.2.0 names only images and namespace k8s-bare has no Deployment or StatefulSet: a first install needs a release with its manifests');
    await expect(kube.core.readNamespacedConfigMap({ name: MAINTENANCE_CONFIGMAP, namespace: 'k8s-bare' })).rejects.toMatchObject({ code: 404 });
  });
});

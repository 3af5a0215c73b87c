// Pre-pull on the test bed, in a namespace that enforces the `restricted` Pod Security Standard,
// for a release whose images have no shell (distroless, FROM scratch): the API server admits its
// pods (and refuses the pods pre-pull used to run), the update succeeds through the API, both ways
// of pulling work there, and a cluster that refuses the pods fails the pull at once.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubernetesCluster, PREPULL_DAEMONSET } from '../../src/adapters/kubernetes/cluster';
import { connect, type KubeClients } from '../../src/adapters/kubernetes/connection';
import { prePullDaemonSet, prePullOptions, type PrePullMethod } from '../../src/adapters/kubernetes/prepull-pod';
import { COMPONENT_LABEL } from '../../src/adapters/kubernetes/workloads';
import type { KubernetesClusterRef } from '../../src/domain/cell';
import type { Release } from '../../src/domain/release';
import { everyDay, Harness, utcClock } from '../helpers/harness';

const NAMESPACE = 'k8s-restricted';
const DISTROLESS = 'gcr.io/distroless/static-debian12@sha256:6ec5aa99dc335666e79dc64e4a6c8b89c33a543a1967f20d360922a80dd21f02';
const SCRATCH = 'ghcr.io/acme/operator@sha256:0f8b3a1c5e2d4f6a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a';

/** A Deployment whose pods `restricted` admits, as a vendor shipping to such namespaces writes it. */
function deployment(component: string, image: string): KubernetesObject {
  const labels = { [COMPONENT_LABEL]: component };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: component, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: component, image, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
        },
      },
    },
  } as KubernetesObject;
}

const INSTALL: Release = {
  version: '1.0.0',
  components: { api: 'example.com/api:1.0.0', operator: 'example.com/operator:1.0.0' },
  breaking: false,
  manifests: [deployment('api', 'example.com/api:1.0.0'), deployment('operator', 'example.com/operator:1.0.0')] as Release['manifests'],
};
const SHELL_LESS: Release = { version: '1.1.0', components: { api: DISTROLESS, operator: SCRATCH }, breaking: false };

/** The pod a DaemonSet's controller would create from this template. */
function podOf(ds: ReturnType<typeof prePullDaemonSet>, name: string): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NAMESPACE, labels: ds.spec!.template.metadata!.labels }, spec: ds.spec!.template.spec };
}

describe('pre-pull under the restricted Pod Security Standard', () => {
  let h: Harness;
  let kube: KubeClients;
  const kubeconfigPath = inject('kubeconfigPath');
  const ref = (namespace: string): KubernetesClusterRef => ({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace });
  const ctx = (seen: unknown[] = []) => ({ heartbeat: (d: unknown) => seen.push(d), signal: new AbortController().signal });
  const dryRun = (pod: V1Pod) => kube.core.createNamespacedPod({ namespace: NAMESPACE, body: pod, dryRun: 'All' });

  beforeAll(async () => {
    kube = connect(ref('default'));
    // The namespace exists before the cell, as a cluster's owner labels it; registering leaves its labels alone.
    await kube.core.createNamespace({ body: { metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } } });
    h = await Harness.start({ releases: [] });
    for (const r of [INSTALL, SHELL_LESS]) expect((await h.http('POST', '/v1/releases', r)).status).toBe(201);
    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/1.0.0/promote', { ring })).status).toBe(200);
    const cell = await h.http('POST', '/v1/cells', { id: NAMESPACE, ring: 'saas', cluster: ref(NAMESPACE), maintenanceWindow: everyDay(utcClock(-60_000), 600), expectedUpdateMinutes: 5 });
    expect(cell.status, JSON.stringify(cell.body)).toBe(201);
    await h.waitFor(`${NAMESPACE} installed`, async () => {
      const res = await h.http('GET', `/v1/cells/${NAMESPACE}`);
      return res.body?.state === 'ready' && res.body.version === '1.0.0' ? true : undefined;
    }, 120_000);
  }, 300_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('the API server refuses the pod pre-pull used to run (sh -c true in each image), and admits both of today’s', async () => {
    const old: V1Pod = {
      metadata: { name: 'old-prepull', namespace: NAMESPACE },
      spec: {
        initContainers: [DISTROLESS, SCRATCH].map((image, i) => ({ name: `pull-${i}`, image, command: ['sh', '-c', 'true'] })),
        containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }],
      },
    };
    const refused = await dryRun(old).then(() => undefined, (err: { code?: number; body?: unknown }) => err);
    expect(refused?.code).toBe(403);
    expect(String(refused?.body)).toMatch(/violates PodSecurity .*restricted:latest.*allowPrivilegeEscalation != false.*runAsNonRoot != true/);
    for (const method of ['image-volume', 'copied-no-op'] as PrePullMethod[]) {
      const ds = prePullDaemonSet(PREPULL_DAEMONSET, NAMESPACE, { [COMPONENT_LABEL]: PREPULL_DAEMONSET }, [DISTROLESS, SCRATCH], method, prePullOptions());
      const admitted = await dryRun(podOf(ds, `prepull-${method}`));
      expect(admitted.spec?.volumes?.map((v) => v.image?.reference ?? v.name)).toEqual(method === 'image-volume' ? [DISTROLESS, SCRATCH] : ['cellshift-bin']);
    }
  });

  it('an update to shell-less images pulls through pre-pull in that namespace and succeeds', async () => {
    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/1.1.0/promote', { ring })).status).toBe(200);
    const accepted = await h.requestUpdate(NAMESPACE, { version: '1.1.0', window: 'now' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const done = await h.waitForUpdate(accepted.body.id, undefined, 120_000);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.steps.find((s: any) => s.name === 'pull')).toMatchObject({ status: 'succeeded' });
    const images = (await kube.apps.listNamespacedDeployment({ namespace: NAMESPACE })).items.map((d) => d.spec!.template.spec!.containers[0].image);
    expect(images.sort()).toEqual([SCRATCH, DISTROLESS].sort());
    await expect(kube.apps.readNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace: NAMESPACE })).rejects.toMatchObject({ code: 404 });
  });

  it('pulls there by image volumes on this cluster (1.36, containerd 2.1), and by the copied no-op when told to', async () => {
    for (const method of ['auto', 'copied-no-op'] as const) {
      const seen: { method?: string }[] = [];
      const cluster = new KubernetesCluster({ pollIntervalMs: 200, pullTimeoutMs: 30_000, prePull: prePullOptions({ method }) });
      await cluster.pullImages({ cellId: NAMESPACE, cluster: ref(NAMESPACE) }, [DISTROLESS, SCRATCH], ctx(seen));
      expect(seen.at(-1)).toMatchObject({ method: method === 'auto' ? 'image-volume' : 'copied-no-op', ready: 3, desired: 3 });
    }
  });

  it('a pull failure names the release image, not the pause image that mounted it', async () => {
    const cluster = new KubernetesCluster({ pollIntervalMs: 200, pullTimeoutMs: 30_000 });
    const failing = 'ghcr.io/acme/operator:9.9.9-pull-fails';
    const pull = cluster.pullImages({ cellId: NAMESPACE, cluster: ref(NAMESPACE) }, [DISTROLESS, failing], ctx());
    await expect(pull).rejects.toMatchObject({ type: 'ImagePullFailed', message: expect.stringMatching(new RegExp(`ErrImagePull \\(on node kwok-node-\\d, container pull-1, image ${failing.replace(/[.]/g, '\\.')}\\)`)) });
  });

  it('a cluster that refuses the pre-pull pods fails the pull at once, naming why, and leaves no DaemonSet', async () => {
    // No pods at all in this namespace: the DaemonSet controller is refused each one.
    await kube.core.createNamespace({ body: { metadata: { name: 'k8s-no-pods' } } });
    await kube.core.createNamespacedResourceQuota({ namespace: 'k8s-no-pods', body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } } });
    const cluster = new KubernetesCluster({ pollIntervalMs: 200, pullTimeoutMs: 60_000 });
    const started = Date.now();
    await expect(cluster.pullImages({ cellId: 'k8s-no-pods', cluster: ref('k8s-no-pods') }, [DISTROLESS], ctx())).rejects.toMatchObject({
      type: 'ClusterRefused',
      message: expect.stringMatching(/the cluster refused the pre-pull pods \(image-volume\): Error creating: pods "cellshift-prepull-[a-z0-9]+" is forbidden: exceeded quota: no-pods/),
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect(kube.apps.readNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace: 'k8s-no-pods' })).rejects.toMatchObject({ code: 404 });
  });
});

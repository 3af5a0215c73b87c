// The Kubernetes test bed itself: a real control plane whose controllers, scheduler and kwok's fake
// kubelets all work, and whose pods fail on demand by image name. Spoken to in plain HTTPS with the
// client certificate from its kubeconfig, as an adapter would.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeCall, readKubeconfig, type KubeCredentials } from '../../scripts/lib/kube-api';
import { startKubeTestbed, type KubeTestbed } from '../../scripts/lib/kube-testbed';

const NAME = `cellshift-test-${process.pid}`;
const workDir = mkdtempSync(join(tmpdir(), 'cellshift-kube-'));
const NS = '/apis/apps/v1/namespaces/default';
let bed: KubeTestbed;
let kube: KubeCredentials;

beforeAll(async () => {
  bed = await startKubeTestbed({ name: NAME, workDir }); // no skip: a run without the test bed is a failed run
  kube = readKubeconfig(bed.kubeconfigPath);
}, 600_000);

afterAll(async () => {
  await bed?.stop();
  expect(clusterProcesses()).toEqual([]);
  rmSync(workDir, { recursive: true, force: true });
});

describe('the Kubernetes test bed', () => {
  it('serves Kubernetes v1.36.1', async () => {
    const version = await kubeCall<any>(kube, 'GET', '/version');
    expect(version.gitVersion).toBe('v1.36.1');
  });

  it('has three Ready kwok nodes', async () => {
    const nodes = await kubeCall<any>(kube, 'GET', '/api/v1/nodes');
    expect(nodes.items.map((n: any) => n.metadata.name).sort()).toEqual(['kwok-node-0', 'kwok-node-1', 'kwok-node-2']);
    for (const node of nodes.items) {
      expect(node.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
      expect(node.status.allocatable).toMatchObject({ cpu: '32', memory: '256Gi', pods: '110' });
    }
  });

  it('makes a Deployment available: controller-manager, scheduler and kwok at work', async () => {
    await kubeCall<any>(kube, 'POST', `${NS}/deployments`, deployment('ok', 'example.com/ok:1', 2));
    const status = await eventually(async () => {
      const d = await kubeCall<any>(kube, 'GET', `${NS}/deployments/ok`);
      return d.status.availableReplicas === 2 ? d.status : undefined;
    });
    expect(status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
  });

  it('an image that cannot be pulled leaves the pod Pending in ErrImagePull, patched once', async () => {
    await kubeCall<any>(kube, 'POST', `${NS}/deployments`, deployment('pull', 'example.com/app:pull-fails', 1));
    const pod = await eventually(() => podWhere('pull', (p) => p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull'));
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses[0].state.waiting.message).toContain('example.com/app:pull-fails');
    expect(pod.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'False' }));
    await sleep(2_000); // kwok would have patched it again by now if the stage still matched
    const again = await kubeCall<any>(kube, 'GET', `/api/v1/namespaces/default/pods/${pod.metadata.name}`);
    expect(again.metadata.resourceVersion).toBe(pod.metadata.resourceVersion);
  });

  it('a crashing container leaves the pod Running in CrashLoopBackOff, not ready', async () => {
    await kubeCall<any>(kube, 'POST', `${NS}/deployments`, deployment('crash', 'example.com/app:crashloop', 1));
    const pod = await eventually(() => podWhere('crash', (p) => p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'));
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses[0]).toMatchObject({ ready: false, restartCount: 1 });
    expect(pod.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'False' }));
    const d = await kubeCall<any>(kube, 'GET', `${NS}/deployments/crash`);
    expect(d.status.availableReplicas ?? 0).toBe(0);
  });

  it('runs a DaemonSet with an init container on every node', async () => {
    const template = podTemplate('agent', 'example.com/agent:1');
    template.spec.initContainers = [{ name: 'setup', image: 'example.com/agent-setup:1' }];
    await kubeCall<any>(kube, 'POST', `${NS}/daemonsets`, {
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template },
    });
    const status = await eventually(async () => {
      const ds = await kubeCall<any>(kube, 'GET', `${NS}/daemonsets/agent`);
      return ds.status.numberReady === 3 ? ds.status : undefined;
    });
    expect(status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3 });
  });
});

function podTemplate(app: string, image: string): any {
  return { metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image }] } };
}

function deployment(app: string, image: string, replicas: number) {
  return { metadata: { name: app }, spec: { replicas, selector: { matchLabels: { app } }, template: podTemplate(app, image) } };
}

async function podWhere(app: string, test: (pod: any) => boolean): Promise<any> {
  const pods = await kubeCall<any>(kube, 'GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`);
  return pods.items.find(test);
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000}s`);
    await sleep(250);
  }
}

/** Processes whose command line names this cluster's directory: its etcd, kube-apiserver and the rest. */
function clusterProcesses(): string[] {
  const clusterDir = join(workDir, 'kwok', 'clusters', NAME);
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return ''; // gone meanwhile
      }
    })
    .filter((cmd) => cmd.includes(clusterDir));
}

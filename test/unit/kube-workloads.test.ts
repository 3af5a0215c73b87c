import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../../src/adapters/kubernetes/quantity';
import { IMAGES_ANNOTATION, podProblems, rolloutState, runsTemplate, VERSION_LABEL, versionOfWorkloads, workloadRequests, type Workload } from '../../src/adapters/kubernetes/workloads';

function deployment(status: Workload['status'], extra: Partial<Workload> = {}): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', generation: 2, ...extra.metadata },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'api', image: 'reg/api:2', resources: { requests: { cpu: '250m', memory: '256Mi' } } }] } }, ...extra.spec },
    status,
  };
}

describe('Kubernetes quantities', () => {
  it('reads CPU and memory as the API writes them', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseQuantity('128974848')).toBe(128974848);
    expect(parseQuantity('129e6')).toBe(129e6);
    expect(parseQuantity('64k')).toBe(64_000);
    expect(parseQuantity('7901356Ki')).toBe(7901356 * 1024); // a kubelet's allocatable memory
    expect(parseQuantity('1.5k')).toBe(1500); // a fraction before a suffix: the client's own parser refuses it
    expect(parseQuantity('.5')).toBe(0.5);
    expect(() => parseQuantity('lots')).toThrow(/not a Kubernetes quantity/);
    expect(() => parseQuantity('m')).toThrow(/not a Kubernetes quantity/);
  });

  it('adds up what a workload asks of the scheduler', () => {
    expect(workloadRequests(deployment({}))).toEqual({ cpu: 0.75, memory: 3 * 256 * 2 ** 20 });
  });
});

describe('rollout status, as kubectl rollout status judges it', () => {
  it('waits for the controller, the new replicas, old ones to go, and availability', () => {
    expect(rolloutState(deployment({ observedGeneration: 1 })).reason).toContain('generation 2');
    expect(rolloutState(deployment({ observedGeneration: 2, updatedReplicas: 1, replicas: 3 })).reason).toContain('1 of 3 replicas updated');
    expect(rolloutState(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 4 })).reason).toContain('1 old replicas pending termination');
    expect(rolloutState(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).reason).toContain('2 of 3 updated replicas available');
    expect(rolloutState(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })).done).toBe(true);
  });

  it('reports a stalled deployment with its reason', () => {
    const stalled = deployment({ observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "api-7" has timed out progressing.' }] });
    expect(rolloutState(stalled)).toEqual({ done: false, reason: 'deployment/api: ReplicaSet "api-7" has timed out progressing.' });
  });
});

describe('pod problems', () => {
  it('names the pod, node, container, image and reason of a crash loop, as fatal', () => {
    const [problem] = podProblems({
      metadata: { name: 'api-7-x' },
      spec: { nodeName: 'node-1', containers: [] },
      status: { phase: 'Running', containerStatuses: [{ name: 'api', image: 'reg/api:2', ready: false, restartCount: 3, imageID: '', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } } }] },
    });
    expect(problem).toMatchObject({ pod: 'api-7-x', node: 'node-1', container: 'api', image: 'reg/api:2', reason: 'CrashLoopBackOff', fatal: true });
  });

  it('tells the pods of the current template from those of an older one (left over after a rollback)', () => {
    const restored = deployment({}, { spec: { template: { spec: { containers: [{ name: 'api', image: 'reg/api:1' }] } } } });
    const pod = (image: string) => ({ metadata: { name: `api-${image}` }, spec: { containers: [{ name: 'api', image }] } });
    expect(runsTemplate(pod('reg/api:1'), restored)).toBe(true);
    expect(runsTemplate(pod('reg/api:2-crashloop'), restored)).toBe(false);
  });

  it('says nothing of a ready pod', () => {
    expect(podProblems({ metadata: { name: 'ok' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } })).toEqual([]);
  });
});

describe('the version the workloads run', () => {
  const labelled = (image: string, recorded = 'reg/api:2') =>
    deployment({}, { metadata: { name: 'api', labels: { [VERSION_LABEL]: '2.0.0' }, annotations: { [IMAGES_ANNOTATION]: JSON.stringify({ api: recorded }) } }, spec: { template: { spec: { containers: [{ name: 'api', image }] } } } });

  it('is the version label while the images are the ones cellshift set', () => {
    expect(versionOfWorkloads([labelled('reg/api:2')])).toBe('2.0.0');
    expect(versionOfWorkloads([deployment({})])).toBeUndefined();
  });

  it('is a modified version, different for each change by hand', () => {
    const once = versionOfWorkloads([labelled('reg/api:hotfix')]);
    const twice = versionOfWorkloads([labelled('reg/api:hotfix2')]);
    expect(once).toMatch(/^2\.0\.0-modified\.[0-9a-f]{8}$/);
    expect(twice).toMatch(/^2\.0\.0-modified\./);
    expect(twice).not.toBe(once);
  });
});

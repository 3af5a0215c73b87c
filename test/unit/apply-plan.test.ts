import { describe, expect, it } from 'vitest';
import { clusterObjectsToAllow, planApply, refOf, stale } from '../../src/adapters/kubernetes/apply-plan';

const o = (apiVersion: string, kind: string, name: string, extra: Record<string, unknown> = {}) => ({ apiVersion, kind, metadata: { name }, ...extra });

describe('how a release is applied', () => {
  const objects = [
    o('apps/v1', 'StatefulSet', 'db'),
    o('example.com/v1', 'Widget', 'w1'),
    o('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
    o('v1', 'Namespace', 'tenant'),
    o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', { spec: { group: 'example.com', names: { kind: 'Widget' }, scope: 'Namespaced' } }),
    o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'gadgets.example.com', { spec: { group: 'example.com', names: { kind: 'Gadget' }, scope: 'Cluster' } }),
    o('example.com/v1', 'Gadget', 'g1'),
    o('v1', 'ConfigMap', 'settings'),
  ];

  it('puts definitions first, then namespaces and the cluster objects, then the installation in release order', () => {
    const plan = planApply(objects, 'acme');
    expect(plan.definitions.map((x) => x.metadata!.name)).toEqual(['widgets.example.com', 'gadgets.example.com']);
    expect(plan.cluster.map((x) => `${x.kind}/${x.metadata!.name}`)).toEqual(['Namespace/tenant', 'ClusterRole/reader', 'Gadget/g1']);
    expect(plan.cluster.every((x) => x.metadata!.namespace === undefined)).toBe(true);
    expect(plan.namespaced.map((x) => `${x.kind}/${x.metadata!.name}/${x.metadata!.namespace}`)).toEqual(['StatefulSet/db/acme', 'Widget/w1/acme', 'ConfigMap/settings/acme']);
  });

  it("takes a custom resource's scope from discovery when the release does not define it", () => {
    const plan = planApply([o('other.io/v1', 'Policy', 'p'), o('other.io/v1', 'Thing', 't')], 'acme', (_, kind) => (kind === 'Policy' ? 'Cluster' : undefined));
    expect(plan.cluster.map((x) => x.kind)).toEqual(['Policy']);
    expect(plan.namespaced.map((x) => x.kind)).toEqual(['Thing']);
  });

  it("names what a cell must allow: the cluster's own objects, not the installation's namespace", () => {
    const plan = planApply([o('v1', 'Namespace', 'acme'), o('v1', 'ConfigMap', 'c')], 'acme');
    expect(clusterObjectsToAllow(plan, 'acme')).toEqual([]);
    expect(clusterObjectsToAllow(planApply(objects, 'acme'), 'acme').map((r) => r.kind)).toEqual(['CustomResourceDefinition', 'CustomResourceDefinition', 'Namespace', 'ClusterRole', 'Gadget']);
  });

  it('prunes what the last release had and this one does not, whatever the version of its API', () => {
    const before = [refOf({ ...o('apps/v1', 'Deployment', 'web'), metadata: { name: 'web', namespace: 'acme' } }), refOf({ ...o('v1', 'ConfigMap', 'old'), metadata: { name: 'old', namespace: 'acme' } })];
    const after = [refOf({ ...o('apps/v1beta2', 'Deployment', 'web'), metadata: { name: 'web', namespace: 'acme' } })];
    expect(stale(before, after)).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'old', namespace: 'acme' }]);
  });
});

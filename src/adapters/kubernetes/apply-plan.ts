// How a release's manifests are applied, as real vendors' manifests need: CustomResourceDefinitions
// and Namespaces first (each CRD established before anything uses it), the cluster's own objects
// only when the cell allows them, then the installation's objects in the release's order; and
// what the release no longer contains, pruned (an inventory per cell, as `kubectl apply --prune` and
// Helm keep one). Pure: which object goes where is decided here, without the cluster.
import type { KubernetesObject } from '@kubernetes/client-node';

/** Kinds of the Kubernetes API that belong to the cluster, not to a namespace. */
const CLUSTER_KINDS = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'PriorityClass',
  'StorageClass',
  'CSIDriver',
  'PersistentVolume',
  'IngressClass',
  'RuntimeClass',
  'Node',
]);

/** Whether a kind of the Kubernetes API belongs to the cluster (custom resources aside). */
export function isClusterKind(kind: string): boolean {
  return CLUSTER_KINDS.has(kind);
}

/** An object as the inventory keeps it: enough to read it back or delete it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ApplyPlan {
  /** CustomResourceDefinitions: applied first, each waited on until Established */
  definitions: KubernetesObject[];
  /** Namespaces, then the cluster's other objects the release declares */
  cluster: KubernetesObject[];
  /** the installation's objects, in the release's order, in its namespace */
  namespaced: KubernetesObject[];
}

/**
 * Splits a release's objects by scope. A custom resource's scope comes from its definition in the
 * release, else from `scopeOf` (the API server's discovery); anything not known to be the
 * cluster's goes into the installation's namespace.
 */
export function planApply(objects: KubernetesObject[], namespace: string, scopeOf: (apiVersion: string, kind: string) => 'Cluster' | 'Namespaced' | undefined = () => undefined): ApplyPlan {
  const defined = new Map<string, 'Cluster' | 'Namespaced'>();
  for (const o of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const spec = (o as KubernetesObject & { spec?: { group?: string; names?: { kind?: string }; scope?: 'Cluster' | 'Namespaced' } }).spec;
    if (spec?.group && spec.names?.kind) defined.set(`${spec.group}/${spec.names.kind}`, spec.scope ?? 'Namespaced');
  }
  const isCluster = (o: KubernetesObject) => {
    if (CLUSTER_KINDS.has(o.kind!)) return true;
    const group = o.apiVersion!.includes('/') ? o.apiVersion!.split('/')[0] : '';
    return (defined.get(`${group}/${o.kind}`) ?? scopeOf(o.apiVersion!, o.kind!)) === 'Cluster';
  };
  const definitions = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const cluster = objects.filter((o) => o.kind !== 'CustomResourceDefinition' && isCluster(o)).sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  const namespaced = objects.filter((o) => !isCluster(o)).map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
  return { definitions, cluster: cluster.map(withoutNamespace), namespaced };
}

/** The objects of the cluster's own that a cell must allow (everything but the installation's Namespace). */
export function clusterObjectsToAllow(plan: ApplyPlan, namespace: string): ObjectRef[] {
  return [...plan.definitions, ...plan.cluster].filter((o) => !(o.kind === 'Namespace' && o.metadata?.name === namespace)).map(refOf);
}

export function refOf(o: KubernetesObject): ObjectRef {
  return { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name!, ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}) };
}

/** What the last inventory holds that the new one does not: to be pruned. */
export function stale(previous: ObjectRef[], next: ObjectRef[]): ObjectRef[] {
  const key = (r: ObjectRef) => `${r.apiVersion.split('/')[0]}|${r.kind}|${r.namespace ?? ''}|${r.name}`;
  const keep = new Set(next.map(key));
  return previous.filter((r) => !keep.has(key(r)));
}

function withoutNamespace(o: KubernetesObject): KubernetesObject {
  const { namespace: _, ...metadata } = o.metadata ?? {};
  return { ...o, metadata };
}

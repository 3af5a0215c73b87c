// Reading and writing the installation's objects: server-side apply under a field manager,
// reads that answer null for an object that is not there, the workloads of a namespace.
import { PatchStrategy, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import type { KubeClients } from './connection';
import { isNotFound, kubeCall } from './kube-call';
import { FIELD_MANAGER, type Workload } from './workloads';

export async function serverSideApply(kube: KubeClients, object: KubernetesObject, manager = FIELD_MANAGER): Promise<void> {
  await kubeCall(`apply ${object.kind} ${object.metadata?.name}`, () => kube.objects.patch(object, undefined, undefined, manager, true, PatchStrategy.ServerSideApply));
}

/** The object as it is in the cluster, or null when it does not exist. */
export async function readObject(kube: KubeClients, object: KubernetesObject): Promise<KubernetesObject | null> {
  const header = { apiVersion: object.apiVersion!, kind: object.kind!, metadata: { name: object.metadata!.name!, namespace: object.metadata!.namespace! } };
  return kubeCall(`read ${object.kind} ${object.metadata?.name}`, () => kube.objects.read(header)).catch((err) => {
    if (isNotFound(err)) return null;
    throw err;
  });
}

/** The Deployments and StatefulSets of a namespace. */
export async function listWorkloads(kube: KubeClients, namespace: string): Promise<Workload[]> {
  const [deployments, statefulSets] = await Promise.all([
    kubeCall('list Deployments', () => kube.apps.listNamespacedDeployment({ namespace })),
    kubeCall('list StatefulSets', () => kube.apps.listNamespacedStatefulSet({ namespace })),
  ]);
  // List items carry no kind: put it back, so each is a whole object again.
  return [
    ...deployments.items.map((d) => ({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }) as Workload),
    ...statefulSets.items.map((s) => ({ ...s, apiVersion: 'apps/v1', kind: 'StatefulSet' }) as Workload),
  ];
}

/** A ConfigMap of cellshift's, labelled as managed by it. */
export function configMap(namespace: string, name: string, data: Record<string, string>): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } }, data };
}

// The objects the last whole release put in the cell (a ConfigMap of the installation): what the
// next release no longer contains is pruned from it, and a rollback puts the inventory back.
import type { KubeClients } from './connection';
import { isNotFound, kubeCall } from './kube-call';
import { configMap, serverSideApply } from './objects';
import type { ObjectRef } from './apply-plan';

export const INVENTORY_CONFIGMAP = 'cellshift-inventory';

export async function readInventory(kube: KubeClients, namespace: string): Promise<ObjectRef[]> {
  const cm = await kubeCall('read the inventory', () => kube.core.readNamespacedConfigMap({ name: INVENTORY_CONFIGMAP, namespace })).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  return cm?.data?.objects ? (JSON.parse(cm.data.objects) as ObjectRef[]) : [];
}

export async function writeInventory(kube: KubeClients, namespace: string, objects: ObjectRef[]): Promise<void> {
  await serverSideApply(kube, configMap(namespace, INVENTORY_CONFIGMAP, { objects: JSON.stringify(objects) }));
}

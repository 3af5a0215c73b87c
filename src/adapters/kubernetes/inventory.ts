// The objects the last whole release put in the cell (a ConfigMap of the installation): what the
// next release no longer contains is pruned from it, and a rollback puts the inventory back. It
// also says which revision of the cell's configuration those objects were rendered with, and the
// digest of what they rendered to: what the cell runs, configuration included.
import type { KubeClients } from './connection';
import { isNotFound, kubeCall } from './kube-call';
import { configMap, serverSideApply } from './objects';
import type { ObjectRef } from './apply-plan';
import type { AppliedConfig } from '../../domain/ports';

export const INVENTORY_CONFIGMAP = 'cellshift-inventory';

export interface Inventory {
  objects: ObjectRef[];
  config?: AppliedConfig;
}

export async function readInventory(kube: KubeClients, namespace: string): Promise<Inventory> {
  const cm = await kubeCall('read the inventory', () => kube.core.readNamespacedConfigMap({ name: INVENTORY_CONFIGMAP, namespace })).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  return {
    objects: cm?.data?.objects ? (JSON.parse(cm.data.objects) as ObjectRef[]) : [],
    ...(cm?.data?.config ? { config: JSON.parse(cm.data.config) as AppliedConfig } : {}),
  };
}

export async function writeInventory(kube: KubeClients, namespace: string, inventory: Inventory): Promise<void> {
  await serverSideApply(kube, configMap(namespace, INVENTORY_CONFIGMAP, { objects: JSON.stringify(inventory.objects), ...(inventory.config ? { config: JSON.stringify(inventory.config) } : {}) }));
}

// The record of an apply: what it replaced, kept in a ConfigMap of the installation so that a
// rollback under the same key survives any crash of the worker.
import { createHash } from 'node:crypto';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import type { KubeClients } from './connection';
import { isNotFound, kubeCall, statusOf } from './kube-call';
import { configMap, readObject } from './objects';
import { imagePatch } from './release-objects';
import { containerImages, IMAGES_ANNOTATION, isWorkload, VERSION_LABEL, type Workload } from './workloads';

const APPLY_RECORD_PREFIX = 'cellshift-apply-';

/** What an apply replaced, kept in a ConfigMap of the installation so a rollback survives any crash. */
export interface ApplyRecord {
  key: string;
  version: string;
  at: string;
  /** each object the apply touched, and what to apply (as which field manager) to put it back (null: it did not exist) */
  objects: { apiVersion: string; kind: string; name: string; manager: string; previous: KubernetesObject | null }[];
  rolledBack?: string;
}

export async function readRecord(kube: KubeClients, namespace: string, key: string): Promise<ApplyRecord | undefined> {
  const cm = await kubeCall('read the apply record', () => kube.core.readNamespacedConfigMap({ name: recordName(key), namespace })).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  return cm?.data?.record ? (JSON.parse(cm.data.record) as ApplyRecord) : undefined;
}

/** Records what `objects` are in the cluster now, before they are applied as `manager`; a record made first by another attempt stands. */
export async function recordApply(kube: KubeClients, namespace: string, key: string, version: string, objects: KubernetesObject[], manager: string): Promise<void> {
  const record: ApplyRecord = { key, version, at: new Date().toISOString(), objects: [] };
  for (const object of objects) {
    const live = await readObject(kube, object);
    record.objects.push({ apiVersion: object.apiVersion!, kind: object.kind!, name: object.metadata!.name!, manager, previous: live && previousOf(object, live) });
  }
  await kubeCall('record the apply', () => kube.core.createNamespacedConfigMap({ namespace, body: recordConfigMap(namespace, record) })).catch((err) => {
    if (statusOf(err) !== 409) throw err; // another attempt recorded it first
  });
}

export async function markRolledBack(kube: KubeClients, namespace: string, record: ApplyRecord): Promise<void> {
  record.rolledBack = new Date().toISOString();
  await kubeCall('mark the apply rolled back', () => kube.core.replaceNamespacedConfigMap({ name: recordName(record.key), namespace, body: recordConfigMap(namespace, record) }));
}

/**
 * What to apply to undo `applied` on `live`: for an image patch, the same patch with the images
 * and version label the workload had; for a whole manifest, the live object without what the
 * server owns (status, uid, resourceVersion, managedFields).
 */
export function previousOf(applied: KubernetesObject, live: KubernetesObject): KubernetesObject {
  const patch = applied as Workload;
  const isImagePatch = isWorkload(applied) && !patch.spec?.selector && !!patch.spec?.template?.spec?.containers?.every((c) => Object.keys(c).length === 2);
  if (isImagePatch) {
    const workload = { ...(live as Workload), kind: patch.kind };
    const name = patch.spec!.template!.spec!.containers[0].name;
    const patchBack = imagePatch(workload, name, containerImages(workload)[name], workload.metadata.labels?.[VERSION_LABEL]);
    const recorded = workload.metadata.annotations?.[IMAGES_ANNOTATION];
    patchBack.metadata!.annotations = { [IMAGES_ANNOTATION]: recorded ?? JSON.stringify(containerImages(workload)) };
    return patchBack;
  }
  const { status: _status, ...rest } = live as KubernetesObject & { status?: unknown };
  const { uid: _uid, resourceVersion: _rv, managedFields: _mf, creationTimestamp: _ct, generation: _g, ...metadata } = live.metadata ?? {};
  return { ...rest, apiVersion: applied.apiVersion, kind: applied.kind, metadata } as KubernetesObject;
}

function recordName(key: string): string {
  return APPLY_RECORD_PREFIX + createHash('sha256').update(key).digest('hex').slice(0, 20);
}

function recordConfigMap(namespace: string, record: ApplyRecord): V1ConfigMap {
  const cm = configMap(namespace, recordName(record.key), { record: JSON.stringify(record) });
  cm.metadata!.annotations = { 'cellshift.io/update': record.key };
  return cm;
}

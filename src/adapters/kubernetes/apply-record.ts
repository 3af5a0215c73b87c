// The record of an apply: what it replaced (and what it pruned, and the inventory before it), kept
// in the installation so that a rollback under the same key survives any crash of the worker.
// gzip-compressed in ConfigMaps of under 1 MiB each (a vendor's release runs to megabytes); a
// release carries no Secret data, so neither does its record.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import type { KubeClients } from './connection';
import { isNotFound, kubeCall, statusOf } from './kube-call';
import { configMap, readObject } from './objects';
import { imagePatch } from './release-objects';
import type { ObjectRef } from './apply-plan';
import type { Inventory } from './inventory';
import type { AppliedConfig } from '../../domain/ports';
import { containerImages, IMAGES_ANNOTATION, isWorkload, VERSION_LABEL, type Workload } from './workloads';

const APPLY_RECORD_PREFIX = 'cellshift-apply-';

/** What an apply replaced, kept in a ConfigMap of the installation so a rollback survives any crash. */
export interface ApplyRecord {
  key: string;
  version: string;
  at: string;
  /** each object the apply touched or pruned, and what to apply (as which field manager) to put it back (null: it did not exist) */
  objects: { apiVersion: string; kind: string; name: string; namespace?: string; manager: string; previous: KubernetesObject | null }[];
  /** the inventory before the apply (a whole release's): put back by a rollback */
  inventory?: ObjectRef[];
  /** the configuration the inventory said the cell ran before the apply: put back with it */
  config?: AppliedConfig;
  rolledBack?: string;
}

/** Of a record in parts: each under a ConfigMap's 1 MiB. */
const PART_BYTES = 700 * 1024;

export async function readRecord(kube: KubeClients, namespace: string, key: string): Promise<ApplyRecord | undefined> {
  const first = await readPart(kube, namespace, recordName(key));
  if (!first) return undefined;
  if (first.data?.record) return JSON.parse(first.data.record) as ApplyRecord; // 0.1.0's, in clear
  const parts = Number(first.metadata?.annotations?.['cellshift.io/parts'] ?? 1);
  const chunks = [Buffer.from(first.binaryData!.record, 'base64')];
  for (let i = 1; i < parts; i++) {
    const part = await readPart(kube, namespace, `${recordName(key)}-${i}`);
    if (!part?.binaryData?.record) return undefined; // a record whose first attempt was cut short: none was completed
    chunks.push(Buffer.from(part.binaryData.record, 'base64'));
  }
  return JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as ApplyRecord;
}

/**
 * Records what `objects` are in the cluster now, before they are applied as `manager` (and `pruned`
 * deleted); a record made first by another attempt stands. The first part is written last: a
 * record is there only whole.
 */
export async function recordApply(kube: KubeClients, namespace: string, key: string, version: string, objects: KubernetesObject[], manager: string, extra: { pruned?: ObjectRef[]; inventory?: Inventory } = {}): Promise<void> {
  const record: ApplyRecord = { key, version, at: new Date().toISOString(), objects: [], ...(extra.inventory ? { inventory: extra.inventory.objects, ...(extra.inventory.config ? { config: extra.inventory.config } : {}) } : {}) };
  for (const object of objects) {
    const live = await readObject(kube, object);
    record.objects.push({ apiVersion: object.apiVersion!, kind: object.kind!, name: object.metadata!.name!, ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}), manager, previous: live && previousOf(object, live) });
  }
  for (const ref of extra.pruned ?? []) {
    const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
    const live = await readObject(kube, header);
    if (live) record.objects.push({ ...ref, manager, previous: previousOf(header, live) });
  }
  await writeRecord(kube, namespace, record, 'create');
}

export async function markRolledBack(kube: KubeClients, namespace: string, record: ApplyRecord): Promise<void> {
  record.rolledBack = new Date().toISOString();
  await writeRecord(kube, namespace, record, 'replace');
}

async function writeRecord(kube: KubeClients, namespace: string, record: ApplyRecord, how: 'create' | 'replace'): Promise<void> {
  const packed = gzipSync(JSON.stringify(record));
  const chunks: Buffer[] = [];
  for (let at = 0; at < packed.length; at += PART_BYTES) chunks.push(packed.subarray(at, at + PART_BYTES));
  const names = chunks.map((_, i) => (i === 0 ? recordName(record.key) : `${recordName(record.key)}-${i}`));
  // The later parts first, the first part (which says how many there are) last.
  for (let i = chunks.length - 1; i >= 0; i--) {
    const body = recordPart(namespace, names[i], record.key, chunks[i], chunks.length);
    if (how === 'create') {
      await kubeCall('record the apply', () => kube.core.createNamespacedConfigMap({ namespace, body })).catch((err) => {
        if (statusOf(err) !== 409) throw err; // another attempt recorded it first
      });
    } else {
      await kubeCall('update the apply record', () => kube.core.replaceNamespacedConfigMap({ name: names[i], namespace, body })).catch(async (err) => {
        if (!isNotFound(err)) throw err;
        await kubeCall('update the apply record', () => kube.core.createNamespacedConfigMap({ namespace, body })); // the record grew a part
      });
    }
  }
}

async function readPart(kube: KubeClients, namespace: string, name: string): Promise<V1ConfigMap | undefined> {
  return kubeCall('read the apply record', () => kube.core.readNamespacedConfigMap({ name, namespace })).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
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

function recordPart(namespace: string, name: string, key: string, chunk: Buffer, parts: number): V1ConfigMap {
  const cm = configMap(namespace, name, {});
  delete cm.data;
  cm.binaryData = { record: chunk.toString('base64') };
  cm.metadata!.annotations = { 'cellshift.io/update': key, 'cellshift.io/parts': String(parts) };
  return cm;
}

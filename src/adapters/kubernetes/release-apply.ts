// Applying a release's manifests whole, in the order real vendors' manifests need (apply-plan.ts):
// CustomResourceDefinitions, waited on until Established; Namespaces and the cluster's other
// objects, when the cell allows them; the installation's objects; then what the previous release
// had and this one does not, pruned. The record made before the first change (apply-record.ts)
// lets a rollback put everything back, the pruned objects and the inventory included.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ErrorType, PortError } from '../../domain/errors';
import type { StepContext } from '../../domain/ports';
import type { Release } from '../../domain/release';
import type { RenderedRelease } from '../../domain/ports';
import { clusterObjectsToAllow, planApply, refOf, stale, type ApplyPlan, type ObjectRef } from './apply-plan';
import { readRecord, recordApply } from './apply-record';
import type { KubeClients } from './connection';
import { INVENTORY_CONFIGMAP, readInventory, writeInventory } from './inventory';
import { ignoreNotFound, kubeCall } from './kube-call';
import { readObject, serverSideApply } from './objects';
import { until, type Poll } from './polling';
import { manifestObjects } from './release-objects';
import { FIELD_MANAGER } from './workloads';

/** The release's objects by scope, the scope of custom resources read from the API server where the release does not define them. */
export async function releasePlan(kube: KubeClients, release: Release, namespace: string): Promise<ApplyPlan> {
  const objects = manifestObjects(release, namespace);
  const scopes = new Map<string, 'Cluster' | 'Namespaced'>();
  const discovery = kube.objects as unknown as { resource(apiVersion: string, kind: string): Promise<{ namespaced: boolean } | undefined> };
  for (const o of objects) {
    const key = `${o.apiVersion}|${o.kind}`;
    if (scopes.has(key) || !o.apiVersion!.includes('.')) continue; // the core groups: planApply knows their cluster kinds
    const found = await discovery.resource(o.apiVersion!, o.kind!).catch(() => undefined);
    if (found) scopes.set(key, found.namespaced ? 'Namespaced' : 'Cluster');
  }
  return planApply(objects, namespace, (apiVersion, kind) => scopes.get(`${apiVersion}|${kind}`));
}

/** The objects of the cluster's own a release would create or change, refused unless the cell allows them (its owner decides). */
export function refuseClusterObjects(plan: ApplyPlan, namespace: string, policy: 'allow' | 'refuse' | undefined, version: string): void {
  const foreign = clusterObjectsToAllow(plan, namespace);
  if (foreign.length === 0 || policy === 'allow') return;
  const named = foreign.slice(0, 10).map((o) => `${o.kind} ${o.name}`);
  throw new PortError(ErrorType.PreflightFailed, `release ${version} creates objects of the cluster's own (${named.join(', ')}${foreign.length > 10 ? `, and ${foreign.length - 10} more` : ''}); this cell takes the installation's namespace only (clusterObjects: allow lets it)`, true);
}

export async function applyWhole(kube: KubeClients, namespace: string, release: RenderedRelease, key: string, policy: 'allow' | 'refuse' | undefined, ctx: StepContext, poll: Poll): Promise<void> {
  const plan = await releasePlan(kube, release, namespace);
  refuseClusterObjects(plan, namespace, policy, release.version);
  const ordered = [...plan.definitions, ...plan.cluster, ...plan.namespaced];
  const inventory = await readInventory(kube, namespace);
  const pruned = stale(inventory.objects, ordered.map(refOf)).filter((r) => !(r.kind === 'ConfigMap' && r.name === INVENTORY_CONFIGMAP));
  // What is there before the first change under this key; a repeated apply keeps the first record.
  if (!(await readRecord(kube, namespace, key))) await recordApply(kube, namespace, key, release.version, ordered, FIELD_MANAGER, { pruned, inventory });
  for (const definition of plan.definitions) await serverSideApply(kube, definition);
  await established(kube, plan.definitions, ctx, poll);
  for (const object of [...plan.cluster, ...plan.namespaced]) await serverSideApply(kube, object);
  for (const ref of pruned) await remove(kube, ref);
  await writeInventory(kube, namespace, { objects: ordered.map(refOf), ...(release.rendered ? { config: { revision: release.rendered.revision, digest: release.rendered.digest } } : {}) });
}

/** Deletes an object the release no longer contains (one already gone is done). */
export async function remove(kube: KubeClients, ref: ObjectRef): Promise<void> {
  const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
  await kubeCall(`prune ${ref.kind} ${ref.name}`, () => kube.objects.delete(header)).catch(ignoreNotFound);
}

/** Until every CustomResourceDefinition is Established: its resources can be created then, not before. */
async function established(kube: KubeClients, definitions: KubernetesObject[], ctx: StepContext, poll: Poll): Promise<void> {
  if (definitions.length === 0) return;
  await until(ctx, poll, async () => {
    const waiting: string[] = [];
    for (const definition of definitions) {
      const live = (await readObject(kube, definition)) as (KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } }) | null;
      if (!live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) waiting.push(definition.metadata!.name!);
    }
    return waiting.length === 0 ? { done: true } : { done: false, reason: `CustomResourceDefinitions not yet established: ${waiting.join(', ')}` };
  });
}

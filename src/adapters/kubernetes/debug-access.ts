// Emergency debug access inside a Kubernetes cell: a ServiceAccount, Role, RoleBinding and Secret
// named `cellshift-debug-<n>` in the granted namespace, labelled with the grant and annotated with
// its expiry; a token from the TokenRequest API bound to the Secret, so deleting the Secret
// revokes the token (the API server forgets a bound token within seconds of its object).
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { ErrorType, PortError } from '../../domain/errors';
import { DEBUG_EXPIRES_ANNOTATION, DEBUG_GRANT_LABEL, debugObjectName, debugRules, type DebugGrant } from '../../domain/debug-access';
import type { KubeClients } from './connection';
import { ignoreNotFound, isNotFound, kubeCall } from './kube-call';
import { serverSideApply } from './objects';
import { FIELD_MANAGER } from './workloads';

/** The API server's floor for a TokenRequest's expiry: a shorter grant ends by its Secret's deletion. */
const MIN_TOKEN_SECONDS = 600;

/** Deleted in this order: the binding first, so the grant's permissions go at once; the Secret, so its token stops authenticating. */
const KINDS = [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
] as const;

function grantObjects(grant: DebugGrant): KubernetesObject[] {
  const name = debugObjectName(grant.n);
  const metadata = {
    name,
    namespace: grant.scope.namespace,
    labels: { [DEBUG_GRANT_LABEL]: String(grant.n), 'app.kubernetes.io/managed-by': FIELD_MANAGER },
    annotations: { [DEBUG_EXPIRES_ANNOTATION]: grant.expiresAt },
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules: debugRules(grant.scope.role) } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: grant.scope.namespace }],
    } as KubernetesObject,
    { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata } as V1Secret,
  ];
}

/** Creates (or finds) the grant's objects and returns a new token bound to its Secret. */
export async function grantDebugAccess(kube: KubeClients, grant: DebugGrant): Promise<{ token: string; expiresAt: string }> {
  const { namespace } = grant.scope;
  const name = debugObjectName(grant.n);
  await kubeCall(`read namespace ${namespace}`, () => kube.core.readNamespace({ name: namespace })).catch((err) => {
    if (isNotFound(err)) throw new PortError(ErrorType.ClusterRefused, `namespace ${namespace} does not exist in the cell`, true);
    throw err;
  });
  for (const object of grantObjects(grant)) await serverSideApply(kube, object);
  const secret = await kubeCall(`read Secret ${name}`, () => kube.core.readNamespacedSecret({ name, namespace }));
  const seconds = Math.max(MIN_TOKEN_SECONDS, Math.ceil((Date.parse(grant.expiresAt) - Date.now()) / 1000));
  const request = await kubeCall(`request a token for ServiceAccount ${name}`, () =>
    kube.core.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: seconds, boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name, uid: secret.metadata!.uid! } } },
    }),
  );
  return { token: request.status!.token, expiresAt: grant.expiresAt };
}

/** Deletes everything of grant `n` in the cell, in any namespace, and the pods labelled with it. Deleting what is gone is done. */
export async function revokeDebugAccess(kube: KubeClients, n: number): Promise<void> {
  const selector = `${DEBUG_GRANT_LABEL}=${n}`;
  for (const { apiVersion, kind } of [...KINDS, { apiVersion: 'v1', kind: 'Pod' } as const]) {
    const found = await kubeCall(`list ${kind}s of debug grant ${n}`, () => kube.objects.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, selector));
    for (const item of found.items) {
      const header = { apiVersion, kind, metadata: { name: item.metadata!.name!, namespace: item.metadata!.namespace! } };
      await kubeCall(`delete ${kind} ${header.metadata.name}`, () => kube.objects.delete(header)).catch(ignoreNotFound);
    }
  }
}

/** The grants whose expiry has passed and whose objects are still in the cell, each revoked; their numbers. */
export async function sweepExpiredDebugAccess(kube: KubeClients, now = Date.now()): Promise<number[]> {
  const accounts = await kubeCall('list debug ServiceAccounts', () => kube.objects.list('v1', 'ServiceAccount', undefined, undefined, undefined, undefined, undefined, DEBUG_GRANT_LABEL));
  const bindings = await kubeCall('list debug RoleBindings', () => kube.objects.list('rbac.authorization.k8s.io/v1', 'RoleBinding', undefined, undefined, undefined, undefined, undefined, DEBUG_GRANT_LABEL));
  const expired = new Set<number>();
  for (const item of [...accounts.items, ...bindings.items]) {
    const expiresAt = Date.parse(item.metadata?.annotations?.[DEBUG_EXPIRES_ANNOTATION] ?? '');
    // No readable expiry: not cellshift's to judge, so it is left alone.
    if (Number.isFinite(expiresAt) && expiresAt <= now) expired.add(Number(item.metadata!.labels![DEBUG_GRANT_LABEL]));
  }
  for (const n of expired) await revokeDebugAccess(kube, n);
  return [...expired].sort((a, b) => a - b);
}

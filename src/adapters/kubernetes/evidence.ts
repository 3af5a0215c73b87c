// A support bundle's evidence from a real cluster: read with the credentials of whoever collects
// (the cell's agent, or the worker for a direct cell), each collector on its own so one the
// cell's owner did not permit (nodes are cluster-wide) says so and the others go on. Secrets are
// read only inside the cell (by its agent): their values to redact them, TLS certificates for
// their dates; nothing of a Secret goes into the bundle, and a direct cell's are not read at all.
import { X509Certificate } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { CertificateEvidence, EventEvidence, NodeEvidence, PodEvidence } from '../../domain/support-bundle/analyze';
import type { CellEvidence } from '../../domain/support-bundle/collect';
import type { KubeClients } from './connection';
import { kubeCall } from './kube-call';

/** ConfigMaps of cellshift's own in the installation's namespace (maintenance, flags, apply records). */
const OWN_CONFIGMAPS = /^cellshift-/;

export async function collectEvidence(kube: KubeClients, namespace: string, options: { logLines: number; inCell: boolean }): Promise<CellEvidence> {
  const errors: CellEvidence['errors'] = [];
  /** One collector: its answer, or its failure noted and `fallback`. */
  const read = async <T>(collector: string, call: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      errors.push({ collector, error: (err as Error).message.split('\n')[0] });
      return fallback;
    }
  };
  const version = await read('cluster', async () => (await kubeCall('read the server version', () => kube.version.getCode())).gitVersion, undefined);
  const nodes = await read('nodes', async () => (await kubeCall('list nodes', () => kube.core.listNode())).items.map(strip) as NodeEvidence[], []);
  const workloads = await read(
    'workloads',
    async () => {
      const [deployments, statefulSets, daemonSets] = await Promise.all([
        kubeCall('list Deployments', () => kube.apps.listNamespacedDeployment({ namespace })),
        kubeCall('list StatefulSets', () => kube.apps.listNamespacedStatefulSet({ namespace })),
        kubeCall('list DaemonSets', () => kube.apps.listNamespacedDaemonSet({ namespace })),
      ]);
      return [...deployments.items.map((o) => ({ kind: 'Deployment', ...strip(o) })), ...statefulSets.items.map((o) => ({ kind: 'StatefulSet', ...strip(o) })), ...daemonSets.items.map((o) => ({ kind: 'DaemonSet', ...strip(o) }))];
    },
    [] as unknown[],
  );
  const podObjects = await read('pods', async () => (await kubeCall('list pods', () => kube.core.listNamespacedPod({ namespace }))).items, [] as V1Pod[]);
  const events = await read('events', async () => (await kubeCall('list events', () => kube.core.listNamespacedEvent({ namespace }))).items.map(strip) as EventEvidence[], []);
  const logs: CellEvidence['logs'] = [];
  for (const pod of podObjects) {
    const name = pod.metadata?.name ?? '';
    for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const text = await read(
        'logs',
        () => kubeCall(`read the log of ${name}/${container.name}`, () => kube.core.readNamespacedPodLog({ name, namespace, container: container.name, tailLines: options.logLines })),
        undefined,
      );
      if (typeof text === 'string') logs.push({ pod: name, container: container.name, text });
    }
  }
  const cellshift = await read(
    'cellshift',
    async () => {
      const maps = (await kubeCall('list ConfigMaps', () => kube.core.listNamespacedConfigMap({ namespace }))).items.filter((m) => OWN_CONFIGMAPS.test(m.metadata?.name ?? ''));
      // The apply records hold the objects a rollback puts back: their names and keys, not their content.
      return Object.fromEntries(maps.map((m) => [m.metadata!.name!, m.metadata!.name!.startsWith('cellshift-apply-') ? { keys: Object.keys(m.data ?? {}) } : (m.data ?? {})]));
    },
    {} as Record<string, unknown>,
  );
  const secretValues: string[] = [];
  const certificates: CertificateEvidence[] = [];
  if (options.inCell) {
    const secrets = await read('secrets', async () => (await kubeCall('list Secrets', () => kube.core.listNamespacedSecret({ namespace }))).items, []);
    for (const secret of secrets) {
      for (const [key, encoded] of Object.entries(secret.data ?? {})) {
        const value = Buffer.from(encoded, 'base64').toString('utf8');
        secretValues.push(value, encoded);
        if (key === 'tls.crt') certificates.push(...certificatesIn(value, `Secret/${namespace}/${secret.metadata?.name ?? ''}`));
      }
    }
  }
  return {
    cluster: { ...(version ? { version } : {}), namespace },
    nodes,
    workloads,
    pods: podObjects.map(strip) as PodEvidence[],
    events,
    logs,
    certificates,
    cellshift,
    secretValues,
    errors,
  };
}

/** An object without its managed fields and last-applied annotation (noise, and the latter may hold a whole manifest). */
function strip<T extends { metadata?: { managedFields?: unknown; annotations?: Record<string, string> } }>(object: T): T {
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  if (metadata.annotations) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
  }
  return JSON.parse(JSON.stringify({ ...object, metadata })) as T;
}

/** Each certificate of a PEM chain: who it is for, and when it ends. */
function certificatesIn(pem: string, object: string): CertificateEvidence[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.flatMap((block) => {
    try {
      const cert = new X509Certificate(block);
      return [{ object, subject: cert.subject.replace(/\n/g, ', '), notAfter: new Date(cert.validTo).toISOString() }];
    } catch {
      return [];
    }
  });
}

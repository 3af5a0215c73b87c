// The ClusterPort of a real Kubernetes cluster: each step of an update as calls to its API server.
import type { V1Pod } from '@kubernetes/client-node';
import type { KubernetesClusterRef } from '../../domain/cell';
import { ErrorType, PortError } from '../../domain/errors';
import type { HealthReport } from '../../domain/health';
import type { AppliedConfig, ClusterPort, ClusterTarget, RenderedRelease, StepContext } from '../../domain/ports';
import type { Release } from '../../domain/release';
import { markRolledBack, readRecord, recordApply } from './apply-record';
import { connect, type KubeClients } from './connection';
import type { DebugGrant } from '../../domain/debug-access';
import * as debugAccess from './debug-access';
import { ignoreNotFound, kubeCall } from './kube-call';
import { applyWhole, refuseClusterObjects, releasePlan, remove } from './release-apply';
import { readInventory, writeInventory } from './inventory';
import { missingSecrets } from './secrets';
import { collectEvidence } from './evidence';
import type { CellEvidence } from '../../domain/support-bundle/collect';
import { configMap, listWorkloads, serverSideApply } from './objects';
import { waitForRollouts, type Poll } from './polling';
import { prePull } from './prepull';
import { prePullOptions, type PrePullOptions } from './prepull-pod';
import { formatCpu, formatMemory } from './quantity';
import { componentWorkloads, unplacedComponents } from './components';
import { imagePatches, releaseWorkloads } from './release-objects';
import {
  add,
  allocatable,
  componentContainer,
  describeProblem,
  IMAGE_FIELD_MANAGER,
  isReady,
  isSchedulable,
  isWorkload,
  podProblems,
  podRequests,
  rolloutState,
  VERSION_LABEL,
  versionOfWorkloads,
  workloadName,
  workloadRequests,
  type Resources,
  type Workload,
} from './workloads';

export { PREPULL_DAEMONSET } from './prepull';

export interface KubernetesClusterOptions {
  /** how often waits read the cluster (default 2 s) */
  pollIntervalMs?: number;
  /** how long verify (and the check after a rollback) waits for a rollout (default 10 min) */
  rolloutTimeoutMs?: number;
  /** how long the pre-pull waits for every node (default 20 min) */
  pullTimeoutMs?: number;
  /** how the pre-pull reaches the nodes, and the images it runs (default: prePullOptions()) */
  prePull?: PrePullOptions;
  /** the Kubernetes minor versions cellshift supports, inclusive */
  supportedMinors?: { min: number; max: number };
  /** how a cluster reference becomes API clients (default: its kubeconfig) */
  connect?: (ref: KubernetesClusterRef) => KubeClients;
  /** runs inside the cell (its agent): support bundles read its Secrets there, to redact their values (never to send them) */
  inCell?: boolean;
}

/** ConfigMaps the product reads. */
export const MAINTENANCE_CONFIGMAP = 'cellshift-maintenance';
export const FLAGS_CONFIGMAP = 'cellshift-flags';

/**
 * A cell that is a real Kubernetes cluster, the product installed in one namespace: maintenance
 * and flags as ConfigMaps the product reads, images pre-pulled by a DaemonSet, releases applied
 * by server-side apply with one field manager, rollouts judged as `kubectl rollout status` does.
 */
export class KubernetesCluster implements ClusterPort {
  private readonly rollouts: Poll;
  private readonly pulls: Poll;
  private readonly prePull: PrePullOptions;
  private readonly clients = new Map<string, KubeClients>();

  constructor(private readonly options: KubernetesClusterOptions = {}) {
    const intervalMs = options.pollIntervalMs ?? 2_000;
    this.rollouts = { intervalMs, timeoutMs: options.rolloutTimeoutMs ?? 10 * 60_000 };
    this.pulls = { intervalMs, timeoutMs: options.pullTimeoutMs ?? 20 * 60_000 };
    this.prePull = options.prePull ?? prePullOptions();
  }

  async collectEvidence(target: ClusterTarget, options: { logLines: number }): Promise<CellEvidence> {
    const { ref, kube } = this.open(target);
    return collectEvidence(kube, ref.namespace, { logLines: options.logLines, inCell: this.options.inCell ?? false });
  }

  async register(target: ClusterTarget): Promise<{ version?: string }> {
    const { ref, kube } = this.open(target);
    await kubeCall('read the server version', () => kube.version.getCode());
    // The installation's namespace: created for a first install, left as it is otherwise.
    await serverSideApply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ref.namespace } });
    return { version: await this.actualVersion(target) };
  }

  async preflight(target: ClusterTarget, release: RenderedRelease): Promise<void> {
    const { ref, kube } = this.open(target);
    const fail = (reason: string): never => {
      throw new PortError(ErrorType.PreflightFailed, `${target.cellId}: ${reason}`, true);
    };
    const info = await kubeCall('read the server version', () => kube.version.getCode());
    const minor = Number.parseInt(info.minor, 10);
    const { min, max } = this.options.supportedMinors ?? { min: 31, max: 36 };
    if (info.major !== '1' || !(minor >= min && minor <= max)) fail(`Kubernetes ${info.gitVersion} is outside the supported range 1.${min}–1.${max}`);

    const nodes = (await kubeCall('list nodes', () => kube.core.listNode())).items.filter(isSchedulable);
    const notReady = nodes.filter((n) => !isReady(n)).map((n) => n.metadata?.name);
    if (notReady.length > 0) fail(`nodes not Ready: ${notReady.join(', ')}`);
    if (nodes.length === 0) fail('no schedulable node');

    const current = await listWorkloads(kube, ref.namespace);
    const moving = current.map(rolloutState).filter((s) => !s.done);
    if (moving.length > 0) fail(`another rollout is in progress: ${moving.map((s) => s.reason).join('; ')}`);

    // The Secrets the cell's configuration refers to are the customer's: there, and never read.
    const absent = await missingSecrets(kube, ref.namespace, release.rendered?.secrets ?? []);
    if (absent.length > 0) fail(`the configuration refers to Secrets the namespace ${ref.namespace} does not hold: ${absent.map((s) => `${s.name} (item ${s.item})`).join(', ')}; create them in the cell first`);

    // The cluster's own objects only where the cell's owner allows them.
    if (release.manifests) refuseClusterObjects(await releasePlan(kube, release, ref.namespace), ref.namespace, ref.clusterObjects, release.version);

    // A release that names only images changes workloads that must be there, each component's found.
    if (!release.manifests) {
      if (current.length === 0) fail(`release ${release.version} names only images and namespace ${ref.namespace} has no Deployment or StatefulSet: a first install needs a release with its manifests`);
      const unplaced = unplacedComponents(release, current);
      if (unplaced.length > 0) fail(`release ${release.version} names only images: ${unplaced.join('; ')}`);
    }

    // Room for the release: what the nodes can allocate, less what other pods already hold.
    const mine = podOf(ref.namespace, releaseWorkloads(release, ref.namespace, current));
    const nodeNames = new Set(nodes.map((n) => n.metadata?.name));
    const pods = await kubeCall('list pods', () => kube.core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }));
    const held = pods.items.filter((p) => nodeNames.has(p.spec?.nodeName) && !mine(p)).map((p) => podRequests(p.spec)).reduce(add, none());
    const total = nodes.map(allocatable).reduce(add, none());
    const free = { cpu: total.cpu - held.cpu, memory: total.memory - held.memory };
    const needed = releaseWorkloads(release, ref.namespace, current).map(workloadRequests).reduce(add, none());
    if (needed.cpu > free.cpu || needed.memory > free.memory) {
      fail(`the release requests ${formatCpu(needed.cpu)} CPU and ${formatMemory(needed.memory)} memory; the nodes have ${formatCpu(free.cpu)} CPU and ${formatMemory(free.memory)} free`);
    }
  }

  async setMaintenance(target: ClusterTarget, enabled: boolean): Promise<void> {
    const { ref, kube } = this.open(target);
    await serverSideApply(kube, configMap(ref.namespace, MAINTENANCE_CONFIGMAP, { enabled: String(enabled) }));
  }

  async inMaintenance(target: ClusterTarget): Promise<boolean> {
    const { ref, kube } = this.open(target);
    const map = await kubeCall('read the maintenance ConfigMap', () => kube.core.readNamespacedConfigMap({ name: MAINTENANCE_CONFIGMAP, namespace: ref.namespace })).catch(ignoreNotFound);
    return map?.data?.enabled === 'true';
  }

  async setFlags(target: ClusterTarget, flags: Record<string, boolean>): Promise<void> {
    const { ref, kube } = this.open(target);
    // The whole set under one field manager: a flag left out is removed from the ConfigMap.
    await serverSideApply(kube, configMap(ref.namespace, FLAGS_CONFIGMAP, Object.fromEntries(Object.entries(flags).map(([f, on]) => [f, String(on)]))));
  }

  async pullImages(target: ClusterTarget, images: string[], ctx: StepContext): Promise<void> {
    const { ref, kube } = this.open(target);
    const archives = images.filter((i) => i.startsWith('file:'));
    if (archives.length > 0) {
      throw new PortError(ErrorType.ImagePullFailed, `a Kubernetes cluster pulls from a registry: load the bundle's images (${archives.join(', ')}) into the cell's registry mirror first`, true);
    }
    await prePull(kube, ref.namespace, images, this.prePull, ctx, this.pulls);
  }

  async apply(target: ClusterTarget, release: RenderedRelease, key: string, ctx: StepContext, components?: string[]): Promise<void> {
    const { ref, kube } = this.open(target);
    // A whole release: definitions first, cluster objects where allowed, then the rest; what it dropped, pruned.
    if (release.manifests && !components) return applyWhole(kube, ref.namespace, release, key, ref.clusterObjects, ctx, this.rollouts);
    const objects = imagePatches(release, ref.namespace, await listWorkloads(kube, ref.namespace), components);
    // Image patches have a field manager of their own: applied as the manager of the whole
    // manifests, a patch would drop every field it leaves out (selector, template labels…).
    // Record what is there before the first change under this key; a repeated apply keeps the first record.
    if (!(await readRecord(kube, ref.namespace, key))) await recordApply(kube, ref.namespace, key, release.version, objects, IMAGE_FIELD_MANAGER);
    for (const object of objects) await serverSideApply(kube, object, IMAGE_FIELD_MANAGER);
  }

  async rollback(target: ClusterTarget, key: string, ctx: StepContext): Promise<void> {
    const { ref, kube } = this.open(target);
    const record = await readRecord(kube, ref.namespace, key);
    if (!record) return; // nothing was applied under this key
    if (!record.rolledBack) {
      // Last change first; what the apply pruned is put back with the rest.
      for (const entry of [...record.objects].reverse()) {
        if (entry.previous) await serverSideApply(kube, entry.previous, entry.manager);
        // A record of 0.1.0 names no namespace: all its objects were the installation's.
        else await remove(kube, { ...entry, namespace: entry.namespace ?? (record.inventory ? undefined : ref.namespace) });
      }
      if (record.inventory) await writeInventory(kube, ref.namespace, { objects: record.inventory, ...(record.config ? { config: record.config } : {}) });
      await markRolledBack(kube, ref.namespace, record);
    }
    // Verify again: the restored workloads must come back up.
    const restored = record.objects.filter((o) => o.previous && isWorkload(o.previous)).map((o) => o.previous as Workload);
    await waitForRollouts(kube, ref.namespace, restored, ctx, this.rollouts, ErrorType.RollbackVerifyFailed);
  }

  async verify(target: ClusterTarget, release: Release, ctx: StepContext): Promise<void> {
    const { ref, kube } = this.open(target);
    const workloads = releaseWorkloads(release, ref.namespace, await listWorkloads(kube, ref.namespace));
    const live = await waitForRollouts(kube, ref.namespace, workloads, ctx, this.rollouts, ErrorType.VerifyFailed);
    // Done rolling out is not enough: every component must run the release's image.
    const wrong = Object.entries(release.components).flatMap(([component, image]) =>
      componentWorkloads(release, component, live)
        .workloads.filter((w) => componentContainer(w, component)?.image !== image)
        .map((w) => `${workloadName(w)} runs ${componentContainer(w, component)?.image}, expected ${image}`),
    );
    if (wrong.length > 0) throw new PortError(ErrorType.VerifyFailed, wrong.join('; '), true);
  }

  async checkHealth(target: ClusterTarget): Promise<HealthReport> {
    const { ref, kube } = this.open(target);
    // The product's workloads are those cellshift applied a release to.
    const workloads = (await listWorkloads(kube, ref.namespace)).filter((w) => w.metadata.labels?.[VERSION_LABEL]);
    const pods = (await kubeCall('list pods', () => kube.core.listNamespacedPod({ namespace: ref.namespace }))).items.filter(podOf(ref.namespace, workloads));
    return {
      // Request errors are the product's metrics, not the cluster's: readiness is what Kubernetes knows.
      errorRate: 0,
      readyReplicas: workloads.reduce((sum, w) => sum + (w.status?.readyReplicas ?? 0), 0),
      desiredReplicas: workloads.reduce((sum, w) => sum + (w.spec?.replicas ?? 1), 0),
      problems: pods.flatMap(podProblems).slice(0, 20).map(describeProblem),
    };
  }

  async actualVersion(target: ClusterTarget): Promise<string | undefined> {
    const { ref, kube } = this.open(target);
    return versionOfWorkloads(await listWorkloads(kube, ref.namespace));
  }

  async actualConfig(target: ClusterTarget): Promise<AppliedConfig | undefined> {
    const { ref, kube } = this.open(target);
    return (await readInventory(kube, ref.namespace)).config;
  }

  async grantDebugAccess(target: ClusterTarget, grant: DebugGrant): Promise<{ token: string }> {
    return debugAccess.grantDebugAccess(this.open(target).kube, grant);
  }

  async revokeDebugAccess(target: ClusterTarget, n: number): Promise<void> {
    await debugAccess.revokeDebugAccess(this.open(target).kube, n);
  }

  async sweepExpiredDebugAccess(target: ClusterTarget): Promise<number[]> {
    return debugAccess.sweepExpiredDebugAccess(this.open(target).kube);
  }

  private open(target: ClusterTarget): { ref: KubernetesClusterRef; kube: KubeClients } {
    if (target.cluster.kind !== 'kubernetes') throw new PortError(ErrorType.CellNotFound, `cell ${target.cellId} is not a Kubernetes cluster`, true);
    const ref = target.cluster;
    const cacheKey = JSON.stringify(ref);
    let kube = this.clients.get(cacheKey);
    if (!kube) {
      kube = (this.options.connect ?? connect)(ref);
      this.clients.set(cacheKey, kube);
    }
    return { ref, kube };
  }
}

/** Whether a pod is one of these workloads' (in their namespace, matching one's selector). */
function podOf(namespace: string, workloads: Workload[]): (pod: V1Pod) => boolean {
  const selectors = workloads.map((w) => Object.entries(w.spec?.selector?.matchLabels ?? {})).filter((labels) => labels.length > 0);
  return (pod) => pod.metadata?.namespace === namespace && selectors.some((labels) => labels.every(([key, value]) => pod.metadata?.labels?.[key] === value));
}

function none(): Resources {
  return { cpu: 0, memory: 0 };
}

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, PatchStrategy, type KubernetesObject, type V1ConfigMap, type V1DaemonSet, type V1Pod } from '@kubernetes/client-node';
import type { KubernetesClusterRef } from '../../domain/cell';
import { ErrorType, PortError } from '../../domain/errors';
import type { HealthReport } from '../../domain/health';
import type { ClusterPort, ClusterTarget, StepContext } from '../../domain/ports';
import type { KubernetesManifest, Release } from '../../domain/release';
import { connect, type KubeClients } from './connection';
import { formatCpu, formatMemory } from './quantity';
import {
  add,
  allocatable,
  COMPONENT_LABEL,
  componentContainer,
  containerImages,
  describeProblem,
  FIELD_MANAGER,
  IMAGE_FIELD_MANAGER,
  IMAGES_ANNOTATION,
  isReady,
  isSchedulable,
  isWorkload,
  podProblems,
  podRequests,
  PULL_ERRORS,
  rolloutState,
  runsTemplate,
  VERSION_LABEL,
  versionOfWorkloads,
  workloadName,
  workloadRequests,
  type Resources,
  type Workload,
} from './workloads';

export interface KubernetesClusterOptions {
  /** how often waits read the cluster (default 2 s) */
  pollIntervalMs?: number;
  /** how long verify (and the check after a rollback) waits for a rollout (default 10 min) */
  rolloutTimeoutMs?: number;
  /** how long the pre-pull waits for every node (default 20 min) */
  pullTimeoutMs?: number;
  /** the pre-pull DaemonSet's main container, which only keeps the pod alive */
  pauseImage?: string;
  /** the Kubernetes minor versions cellshift supports, inclusive */
  supportedMinors?: { min: number; max: number };
  /** how a cluster reference becomes API clients (default: its kubeconfig) */
  connect?: (ref: KubernetesClusterRef) => KubeClients;
}

/** ConfigMaps the product reads, and the record of each apply. */
export const MAINTENANCE_CONFIGMAP = 'cellshift-maintenance';
export const FLAGS_CONFIGMAP = 'cellshift-flags';
export const PREPULL_DAEMONSET = 'cellshift-prepull';
const APPLY_RECORD_PREFIX = 'cellshift-apply-';

/** What an apply replaced, kept in a ConfigMap of the installation so a rollback survives any crash. */
interface ApplyRecord {
  key: string;
  version: string;
  at: string;
  /** each object the apply touched, and what to apply (as which field manager) to put it back (null: it did not exist) */
  objects: { apiVersion: string; kind: string; name: string; manager: string; previous: KubernetesObject | null }[];
  rolledBack?: string;
}

/**
 * A cell that is a real Kubernetes cluster, the product installed in one namespace: maintenance
 * and flags as ConfigMaps the product reads, images pre-pulled by a DaemonSet, releases applied
 * by server-side apply with one field manager, rollouts judged as `kubectl rollout status` does.
 */
export class KubernetesCluster implements ClusterPort {
  private readonly pollIntervalMs: number;
  private readonly rolloutTimeoutMs: number;
  private readonly pullTimeoutMs: number;
  private readonly clients = new Map<string, KubeClients>();

  constructor(private readonly options: KubernetesClusterOptions = {}) {
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.rolloutTimeoutMs = options.rolloutTimeoutMs ?? 10 * 60_000;
    this.pullTimeoutMs = options.pullTimeoutMs ?? 20 * 60_000;
  }

  async register(target: ClusterTarget): Promise<{ version?: string }> {
    const { ref, kube } = this.open(target);
    await kubeCall('read the server version', () => kube.version.getCode());
    // The installation's namespace: created for a first install, left as it is otherwise.
    await this.serverSideApply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ref.namespace } });
    return { version: await this.actualVersion(target) };
  }

  async preflight(target: ClusterTarget, release: Release): Promise<void> {
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

    const current = await this.workloads(kube, ref.namespace);
    const moving = current.map(rolloutState).filter((s) => !s.done);
    if (moving.length > 0) fail(`another rollout is in progress: ${moving.map((s) => s.reason).join('; ')}`);

    // Room for the release: what the nodes can allocate, less what other pods already hold.
    const mine = (pod: V1Pod) => pod.metadata?.namespace === ref.namespace && Object.hasOwn(release.components, pod.metadata?.labels?.[COMPONENT_LABEL] ?? '');
    const nodeNames = new Set(nodes.map((n) => n.metadata?.name));
    const pods = await kubeCall('list pods', () => kube.core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }));
    const held = pods.items.filter((p) => nodeNames.has(p.spec?.nodeName) && !mine(p)).map((p) => podRequests(p.spec)).reduce(add, none());
    const total = nodes.map(allocatable).reduce(add, none());
    const free = { cpu: total.cpu - held.cpu, memory: total.memory - held.memory };
    const needed = this.releaseWorkloads(release, ref, current).map(workloadRequests).reduce(add, none());
    if (needed.cpu > free.cpu || needed.memory > free.memory) {
      fail(`the release requests ${formatCpu(needed.cpu)} CPU and ${formatMemory(needed.memory)} memory; the nodes have ${formatCpu(free.cpu)} CPU and ${formatMemory(free.memory)} free`);
    }
  }

  async setMaintenance(target: ClusterTarget, enabled: boolean): Promise<void> {
    const { ref, kube } = this.open(target);
    await this.serverSideApply(kube, configMap(ref.namespace, MAINTENANCE_CONFIGMAP, { enabled: String(enabled) }));
  }

  async setFlags(target: ClusterTarget, flags: Record<string, boolean>): Promise<void> {
    const { ref, kube } = this.open(target);
    // The whole set under one field manager: a flag left out is removed from the ConfigMap.
    await this.serverSideApply(kube, configMap(ref.namespace, FLAGS_CONFIGMAP, Object.fromEntries(Object.entries(flags).map(([f, on]) => [f, String(on)]))));
  }

  async pullImages(target: ClusterTarget, images: string[], ctx: StepContext): Promise<void> {
    const { ref, kube } = this.open(target);
    const archives = images.filter((i) => i.startsWith('file:'));
    if (archives.length > 0) {
      throw new PortError('ImagePullFailed', `a Kubernetes cluster pulls from a registry: load the bundle's images (${archives.join(', ')}) into the cell's registry mirror first`, true);
    }
    await this.serverSideApply(kube, prePullDaemonSet(ref.namespace, images, this.options.pauseImage ?? 'registry.k8s.io/pause:3.10'));
    try {
      await this.until(ctx, this.pullTimeoutMs, async () => {
        const ds = await kubeCall('read the pre-pull DaemonSet', () => kube.apps.readNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace: ref.namespace }));
        const pods = await kubeCall('list pre-pull pods', () => kube.core.listNamespacedPod({ namespace: ref.namespace, labelSelector: `${COMPONENT_LABEL}=${PREPULL_DAEMONSET}` }));
        const failed = pods.items.flatMap(podProblems).filter((p) => PULL_ERRORS.includes(p.reason));
        if (failed.length > 0) throw new PortError('ImagePullFailed', `cannot pull: ${failed.map(describeProblem).join('; ')}`, true);
        const status = ds.status;
        const desired = status?.desiredNumberScheduled ?? 0;
        const ready = status?.numberReady ?? 0;
        ctx.heartbeat({ ready, desired });
        const done = (status?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0) && desired > 0 && ready === desired && (status?.updatedNumberScheduled ?? 0) === desired;
        return done ? { done: true } : { done: false, reason: `images pulled on ${ready} of ${desired} nodes; ${pods.items.flatMap(podProblems).map(describeProblem).join('; ')}` };
      });
    } finally {
      await kubeCall('delete the pre-pull DaemonSet', () => kube.apps.deleteNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace: ref.namespace, propagationPolicy: 'Background' })).catch(ignoreNotFound);
    }
  }

  async apply(target: ClusterTarget, release: Release, key: string, _ctx: StepContext, components?: string[]): Promise<void> {
    const { ref, kube } = this.open(target);
    const current = await this.workloads(kube, ref.namespace);
    const whole = release.manifests && !components;
    const objects = whole ? manifestObjects(release, ref.namespace) : imagePatches(release, ref.namespace, current, components);
    // Image patches have a field manager of their own: applied as the manager of the whole
    // manifests, a patch would drop every field it leaves out (selector, template labels…).
    const manager = whole ? FIELD_MANAGER : IMAGE_FIELD_MANAGER;
    // Record what is there before the first change under this key; a repeated apply keeps the first record.
    if (!(await this.readRecord(kube, ref.namespace, key))) {
      const record: ApplyRecord = { key, version: release.version, at: new Date().toISOString(), objects: [] };
      for (const object of objects) {
        const live = await this.read(kube, object);
        record.objects.push({ apiVersion: object.apiVersion!, kind: object.kind!, name: object.metadata!.name!, manager, previous: live && previousOf(object, live) });
      }
      await kubeCall('record the apply', () => kube.core.createNamespacedConfigMap({ namespace: ref.namespace, body: recordConfigMap(ref.namespace, record) })).catch((err) => {
        if (statusOf(err) !== 409) throw err; // another attempt recorded it first
      });
    }
    for (const object of objects) await this.serverSideApply(kube, object, manager);
  }

  async rollback(target: ClusterTarget, key: string, ctx: StepContext): Promise<void> {
    const { ref, kube } = this.open(target);
    const record = await this.readRecord(kube, ref.namespace, key);
    if (!record) return; // nothing was applied under this key
    if (!record.rolledBack) {
      for (const entry of [...record.objects].reverse()) {
        if (entry.previous) await this.serverSideApply(kube, entry.previous, entry.manager);
        else await kubeCall(`delete ${entry.kind} ${entry.name}`, () => kube.objects.delete({ apiVersion: entry.apiVersion, kind: entry.kind, metadata: { name: entry.name, namespace: ref.namespace } })).catch(ignoreNotFound);
      }
      record.rolledBack = new Date().toISOString();
      await kubeCall('mark the apply rolled back', () => kube.core.replaceNamespacedConfigMap({ name: recordName(key), namespace: ref.namespace, body: recordConfigMap(ref.namespace, record) }));
    }
    // Verify again: the restored workloads must come back up.
    const restored = record.objects.filter((o) => o.previous && isWorkload(o.previous)).map((o) => o.previous as Workload);
    await this.waitForRollouts(kube, ref.namespace, restored, ctx, 'RollbackVerifyFailed');
  }

  async verify(target: ClusterTarget, release: Release, ctx: StepContext): Promise<void> {
    const { ref, kube } = this.open(target);
    const workloads = this.releaseWorkloads(release, ref, await this.workloads(kube, ref.namespace));
    const live = await this.waitForRollouts(kube, ref.namespace, workloads, ctx, 'VerifyFailed');
    // Done rolling out is not enough: every component must run the release's image.
    const wrong = Object.entries(release.components).flatMap(([component, image]) =>
      live
        .filter((w) => w.metadata.labels?.[COMPONENT_LABEL] === component)
        .filter((w) => componentContainer(w, component)?.image !== image)
        .map((w) => `${workloadName(w)} runs ${componentContainer(w, component)?.image}, expected ${image}`),
    );
    if (wrong.length > 0) throw new PortError('VerifyFailed', wrong.join('; '), true);
  }

  async checkHealth(target: ClusterTarget): Promise<HealthReport> {
    const { ref, kube } = this.open(target);
    const workloads = (await this.workloads(kube, ref.namespace)).filter((w) => w.metadata.labels?.[COMPONENT_LABEL]);
    const pods = await kubeCall('list pods', () => kube.core.listNamespacedPod({ namespace: ref.namespace, labelSelector: COMPONENT_LABEL }));
    return {
      // Request errors are the product's metrics, not the cluster's: readiness is what Kubernetes knows.
      errorRate: 0,
      readyReplicas: workloads.reduce((sum, w) => sum + (w.status?.readyReplicas ?? 0), 0),
      desiredReplicas: workloads.reduce((sum, w) => sum + (w.spec?.replicas ?? 1), 0),
      problems: pods.items.flatMap(podProblems).slice(0, 20).map(describeProblem),
    };
  }

  async actualVersion(target: ClusterTarget): Promise<string | undefined> {
    const { ref, kube } = this.open(target);
    return versionOfWorkloads(await this.workloads(kube, ref.namespace));
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

  /** The workloads a release runs, as it specifies them: its manifests', else those labelled with its components. */
  private releaseWorkloads(release: Release, ref: KubernetesClusterRef, current: Workload[]): Workload[] {
    if (release.manifests) {
      return release.manifests.filter((m) => isWorkload(m as KubernetesObject)).map((m) => ({ ...(m as Workload), metadata: { ...m.metadata, namespace: ref.namespace } }));
    }
    return current.filter((w) => Object.hasOwn(release.components, w.metadata.labels?.[COMPONENT_LABEL] ?? ''));
  }

  private async workloads(kube: KubeClients, namespace: string): Promise<Workload[]> {
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

  /**
   * Waits until every workload's rollout is done. Fails at once when a pod of one is in a state
   * no wait fixes (crash loop, image pull error), naming the pods and reasons; on timeout names
   * what is still unavailable. Returns the workloads as they ended.
   */
  private async waitForRollouts(kube: KubeClients, namespace: string, workloads: Workload[], ctx: StepContext, errorType: string): Promise<Workload[]> {
    let live: Workload[] = [];
    await this.until(
      ctx,
      this.rolloutTimeoutMs,
      async () => {
        live = [];
        const waiting: string[] = [];
        for (const wanted of workloads) {
          const workload = (await this.read(kube, { ...wanted, metadata: { ...wanted.metadata, namespace } })) as Workload | null;
          if (!workload) {
            waiting.push(`${workloadName(wanted)} does not exist`);
            continue;
          }
          live.push({ ...workload, kind: wanted.kind });
          const state = rolloutState({ ...workload, kind: wanted.kind });
          if (state.done) continue;
          const selector = Object.entries(workload.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
          const pods = selector ? (await kubeCall('list pods', () => kube.core.listNamespacedPod({ namespace, labelSelector: selector }))).items : [];
          const problems = pods.flatMap(podProblems);
          const current = new Set(pods.filter((pod) => runsTemplate(pod, workload as Workload)).map((pod) => pod.metadata?.name));
          const fatal = problems.filter((p) => p.fatal && current.has(p.pod));
          if (fatal.length > 0) throw new PortError(errorType, `${state.reason}: ${fatal.map(describeProblem).join('; ')}`, true);
          waiting.push([state.reason, ...problems.map(describeProblem)].join(': '));
        }
        ctx.heartbeat({ waiting: waiting.length });
        return waiting.length === 0 ? { done: true } : { done: false, reason: waiting.join('; ') };
      },
      errorType,
    );
    return live;
  }

  /** Polls `check` until it is done, the step is cancelled, or the time is up (a non-retryable error naming the last reason). */
  private async until(ctx: StepContext, timeoutMs: number, check: () => Promise<{ done: boolean; reason?: string }>, errorType = 'Timeout'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { done, reason } = await check();
      if (done) return;
      if (Date.now() >= deadline) throw new PortError(errorType, `not done after ${Math.round(timeoutMs / 1000)} s: ${reason}`, true);
      await sleep(this.pollIntervalMs, undefined, { signal: ctx.signal });
    }
  }

  private async serverSideApply(kube: KubeClients, object: KubernetesObject, manager = FIELD_MANAGER): Promise<void> {
    await kubeCall(`apply ${object.kind} ${object.metadata?.name}`, () => kube.objects.patch(object, undefined, undefined, manager, true, PatchStrategy.ServerSideApply));
  }

  private async read(kube: KubeClients, object: KubernetesObject): Promise<KubernetesObject | null> {
    const header = { apiVersion: object.apiVersion!, kind: object.kind!, metadata: { name: object.metadata!.name!, namespace: object.metadata!.namespace! } };
    return kubeCall(`read ${object.kind} ${object.metadata?.name}`, () => kube.objects.read(header)).catch((err) => {
      if (isNotFound(err)) return null;
      throw err;
    });
  }

  private async readRecord(kube: KubeClients, namespace: string, key: string): Promise<ApplyRecord | undefined> {
    const cm = await kubeCall('read the apply record', () => kube.core.readNamespacedConfigMap({ name: recordName(key), namespace })).catch((err) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    return cm?.data?.record ? (JSON.parse(cm.data.record) as ApplyRecord) : undefined;
  }
}

/** A release's manifests, in the installation's namespace, workloads labelled with the version and their images. */
function manifestObjects(release: Release, namespace: string): KubernetesObject[] {
  return (release.manifests ?? []).map((manifest: KubernetesManifest) => {
    const object = structuredClone(manifest) as KubernetesObject;
    object.metadata = { ...object.metadata, namespace };
    if (isWorkload(object)) {
      object.metadata.labels = { ...object.metadata.labels, [VERSION_LABEL]: release.version };
      object.metadata.annotations = { ...object.metadata.annotations, [IMAGES_ANNOTATION]: JSON.stringify(containerImages(object)) };
    }
    return object;
  });
}

/** For a release that names only images: one apply per workload labelled with a component, setting that container's image. */
function imagePatches(release: Release, namespace: string, current: Workload[], components = Object.keys(release.components)): KubernetesObject[] {
  return components.flatMap((component) => {
    const image = release.components[component];
    const workloads = current.filter((w) => w.metadata.labels?.[COMPONENT_LABEL] === component);
    if (workloads.length === 0) {
      throw new PortError('ApplyFailed', `no Deployment or StatefulSet labelled ${COMPONENT_LABEL}=${component} in namespace ${namespace}: release ${release.version} names only images, so the workloads must exist (publish the release with its manifests for a first install)`, true);
    }
    return workloads.map((workload) => {
      const container = componentContainer(workload, component);
      if (!container) throw new PortError('ApplyFailed', `${workloadName(workload)} has no container named ${component} and more than one container`, true);
      return imagePatch(workload, container.name, image, release.version);
    });
  });
}

function imagePatch(workload: Workload, container: string, image: string, version: string | undefined): KubernetesObject {
  const images = { ...containerImages(workload), [container]: image };
  return {
    apiVersion: 'apps/v1',
    kind: workload.kind,
    metadata: {
      name: workload.metadata.name,
      namespace: workload.metadata.namespace,
      ...(version ? { labels: { [VERSION_LABEL]: version } } : {}),
      annotations: { [IMAGES_ANNOTATION]: JSON.stringify(images) },
    },
    spec: { template: { spec: { containers: [{ name: container, image }] } } },
  } as KubernetesObject;
}

/**
 * What to apply to undo `applied` on `live`: for an image patch, the same patch with the images
 * and version label the workload had; for a whole manifest, the live object without what the
 * server owns (status, uid, resourceVersion, managedFields).
 */
function previousOf(applied: KubernetesObject, live: KubernetesObject): KubernetesObject {
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

function prePullDaemonSet(namespace: string, images: string[], pauseImage: string): V1DaemonSet {
  const labels = { [COMPONENT_LABEL]: PREPULL_DAEMONSET };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: PREPULL_DAEMONSET, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // One init container per image: the kubelet pulls each, runs a no-op, and moves on.
          initContainers: images.map((image, i) => ({
            name: `pull-${i}`,
            image,
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', 'true'],
            resources: { requests: { cpu: '1m', memory: '4Mi' } },
          })),
          containers: [{ name: 'pause', image: pauseImage, resources: { requests: { cpu: '1m', memory: '4Mi' } } }],
          terminationGracePeriodSeconds: 0,
        },
      },
    },
  };
}

function configMap(namespace: string, name: string, data: Record<string, string>): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } }, data };
}

function recordName(key: string): string {
  return APPLY_RECORD_PREFIX + createHash('sha256').update(key).digest('hex').slice(0, 20);
}

function recordConfigMap(namespace: string, record: ApplyRecord): V1ConfigMap {
  const cm = configMap(namespace, recordName(record.key), { record: JSON.stringify(record) });
  cm.metadata!.annotations = { 'cellshift.io/update': record.key };
  return cm;
}

function none(): Resources {
  return { cpu: 0, memory: 0 };
}

/** A failed API call, with the HTTP status the API server answered. */
class KubeCallError extends PortError {
  constructor(
    type: string,
    message: string,
    nonRetryable: boolean,
    readonly status?: number,
  ) {
    super(type, message, nonRetryable);
  }
}

function statusOf(err: unknown): number | undefined {
  return err instanceof KubeCallError ? err.status : undefined;
}

function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}

/**
 * One API call, its failure turned into a PortError naming what was attempted and the status:
 * refused credentials and invalid objects are not retried; the rest (network, 5xx, 429, 409 on
 * apply) are.
 */
async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof PortError) throw err;
    if (err instanceof ApiException) {
      const code = err.code as number;
      const body = typeof err.body === 'string' ? safeMessage(err.body) : (err.body as { message?: string } | undefined)?.message;
      const permanent = code === 401 || code === 403 || code === 400 || code === 422;
      throw new KubeCallError(permanent ? 'ClusterRefused' : 'ClusterCallFailed', `cannot ${what} (${code}): ${body ?? 'no message'}`, permanent, code);
    }
    throw new KubeCallError('ClusterUnreachable', `cannot ${what}: ${(err as Error).message}`, false);
  }
}

function safeMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
  } catch {
    return body.slice(0, 300);
  }
}

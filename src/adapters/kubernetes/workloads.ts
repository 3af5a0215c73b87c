// What cellshift reads off Kubernetes objects: which component a workload runs, whether its
// rollout is done, what is wrong with its pods, what it asks of the nodes. Pure functions over
// the API's objects, so they are tested without a cluster.
import { createHash } from 'node:crypto';
import type { KubernetesObject, V1Container, V1Node, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { compareVersions } from '../../domain/version';
import { parseQuantity } from './quantity';

/** The label naming the product component a workload runs (the release's component names). */
export const COMPONENT_LABEL = 'app.kubernetes.io/name';
/** The release version cellshift applied, on every workload it applied. */
export const VERSION_LABEL = 'cellshift.io/version';
/** container → image as cellshift set them: a workload whose images differ was changed by hand. */
export const IMAGES_ANNOTATION = 'cellshift.io/images';
/** The field manager of cellshift's server-side applies of whole objects (manifests, ConfigMaps). */
export const FIELD_MANAGER = 'cellshift';
/** The field manager of the image patches of releases that name only images. */
export const IMAGE_FIELD_MANAGER = 'cellshift-images';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** A Deployment or StatefulSet, as far as cellshift needs it. */
export interface Workload extends KubernetesObject {
  kind: WorkloadKind;
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: V1PodSpec };
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export function isWorkload(object: KubernetesObject): object is Workload {
  return object.apiVersion === 'apps/v1' && (WORKLOAD_KINDS as readonly string[]).includes(object.kind ?? '') && !!object.metadata?.name;
}

export function workloadName(workload: Pick<Workload, 'kind' | 'metadata'>): string {
  return `${workload.kind.toLowerCase()}/${workload.metadata.name}`;
}

/**
 * The container of a workload that runs a component: the one named after it, else the only one.
 * A release that names only images changes exactly this container.
 */
export function componentContainer(workload: Workload, component: string): V1Container | undefined {
  const containers = workload.spec?.template?.spec?.containers ?? [];
  return containers.find((c) => c.name === component) ?? (containers.length === 1 ? containers[0] : undefined);
}

export function containerImages(workload: Workload): Record<string, string> {
  return Object.fromEntries((workload.spec?.template?.spec?.containers ?? []).map((c) => [c.name, c.image ?? '']));
}

/**
 * Does the pod run the workload's current template? Judged by image, container by container.
 * A pod of an older template is on its way out (a rollback leaves the crash-looping pods of the
 * failed release until the controller removes them): its problems are not the rollout's.
 */
export function runsTemplate(pod: V1Pod, workload: Workload): boolean {
  const wanted = containerImages(workload);
  return (pod.spec?.containers ?? []).every((c) => wanted[c.name] === undefined || wanted[c.name] === c.image);
}

/**
 * Is the workload's rollout finished (and healthy), still going, or stuck? The same rules as
 * `kubectl rollout status`, written here: the JavaScript client has no rollout status of its own.
 */
export function rolloutState(workload: Workload): { done: boolean; reason: string } {
  const name = workloadName(workload);
  const wanted = workload.spec?.replicas ?? 1;
  const status = workload.status ?? {};
  if ((status.observedGeneration ?? 0) < (workload.metadata.generation ?? 0)) return { done: false, reason: `${name}: waiting for the controller to see generation ${workload.metadata.generation}` };
  if (workload.kind === 'Deployment') {
    const stalled = status.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
    if (stalled) return { done: false, reason: `${name}: ${stalled.message ?? 'progress deadline exceeded'}` };
    const updated = status.updatedReplicas ?? 0;
    if (updated < wanted) return { done: false, reason: `${name}: ${updated} of ${wanted} replicas updated` };
    if ((status.replicas ?? 0) > updated) return { done: false, reason: `${name}: ${(status.replicas ?? 0) - updated} old replicas pending termination` };
    if ((status.availableReplicas ?? 0) < updated) return { done: false, reason: `${name}: ${status.availableReplicas ?? 0} of ${updated} updated replicas available` };
    return { done: true, reason: `${name}: ${updated} replicas updated and available` };
  }
  const ready = status.readyReplicas ?? 0;
  if (ready < wanted) return { done: false, reason: `${name}: ${ready} of ${wanted} replicas ready` };
  const partition = workload.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (workload.spec?.updateStrategy?.type !== 'OnDelete' && (status.updatedReplicas ?? 0) < wanted - partition) {
    return { done: false, reason: `${name}: ${status.updatedReplicas ?? 0} of ${wanted - partition} replicas updated` };
  }
  if (partition === 0 && status.updateRevision && status.currentRevision !== status.updateRevision) return { done: false, reason: `${name}: revision ${status.updateRevision} rolling out` };
  return { done: true, reason: `${name}: ${ready} replicas ready` };
}

/** Waiting reasons no amount of waiting fixes: the rollout has failed. */
export const FATAL_WAITING = ['CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'];
export const PULL_ERRORS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'];

export interface PodProblem {
  pod: string;
  node?: string;
  container?: string;
  image?: string;
  reason: string;
  message?: string;
  fatal: boolean;
}

/** What keeps a pod from being ready, container by container; empty for a ready pod. */
export function podProblems(pod: V1Pod): PodProblem[] {
  const name = pod.metadata?.name ?? '?';
  const node = pod.spec?.nodeName;
  if (pod.metadata?.deletionTimestamp) return [];
  const problems: PodProblem[] = [];
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && waiting.reason !== 'PodInitializing' && waiting.reason !== 'ContainerCreating') {
      problems.push({ pod: name, node, container: status.name, image: status.image, reason: waiting.reason, message: waiting.message, fatal: FATAL_WAITING.includes(waiting.reason) });
    }
    const terminated = status.state?.terminated;
    if (terminated && terminated.exitCode !== 0) {
      problems.push({ pod: name, node, container: status.name, image: status.image, reason: terminated.reason ?? `exit code ${terminated.exitCode}`, message: terminated.message, fatal: (status.restartCount ?? 0) > 0 });
    }
  }
  const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unschedulable) problems.push({ pod: name, reason: unschedulable.reason ?? 'Unschedulable', message: unschedulable.message, fatal: false });
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (!ready && problems.length === 0 && pod.status?.phase !== 'Succeeded') problems.push({ pod: name, node, reason: `not ready (${pod.status?.phase ?? 'Pending'})`, fatal: false });
  return problems;
}

export function describeProblem(problem: PodProblem): string {
  const where = [problem.node && `on node ${problem.node}`, problem.container && `container ${problem.container}`, problem.image && `image ${problem.image}`].filter(Boolean).join(', ');
  return `pod ${problem.pod}: ${problem.reason}${where ? ` (${where})` : ''}${problem.message ? `: ${problem.message}` : ''}`;
}

export interface Resources {
  cpu: number;
  memory: number;
}

/** What a workload asks the scheduler for: its pods' requests times its replicas. */
export function workloadRequests(workload: Workload): Resources {
  const replicas = workload.spec?.replicas ?? 1;
  const pod = podRequests(workload.spec?.template?.spec);
  return { cpu: pod.cpu * replicas, memory: pod.memory * replicas };
}

/**
 * A pod's requests: its containers' sum, or its largest init container's when that is more. Not the
 * client's totalCPU/totalMemory: they are not exported from its index and leave init containers out.
 */
export function podRequests(spec: V1PodSpec | undefined): Resources {
  const of = (c: V1Container) => ({ cpu: parseQuantity(c.resources?.requests?.cpu ?? 0), memory: parseQuantity(c.resources?.requests?.memory ?? 0) });
  const main = (spec?.containers ?? []).map(of).reduce(add, { cpu: 0, memory: 0 });
  const init = (spec?.initContainers ?? []).map(of);
  return { cpu: Math.max(main.cpu, ...init.map((r) => r.cpu)), memory: Math.max(main.memory, ...init.map((r) => r.memory)) };
}

export function add(a: Resources, b: Resources): Resources {
  return { cpu: a.cpu + b.cpu, memory: a.memory + b.memory };
}

/** Can the scheduler place pods on this node? Cordoned and NoSchedule/NoExecute-tainted nodes do not count. */
export function isSchedulable(node: V1Node): boolean {
  return !node.spec?.unschedulable && !(node.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
}

export function isReady(node: V1Node): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

export function allocatable(node: V1Node): Resources {
  return { cpu: parseQuantity(node.status?.allocatable?.cpu ?? 0), memory: parseQuantity(node.status?.allocatable?.memory ?? 0) };
}

/**
 * The version the workloads run: their version label when every container still has the image
 * cellshift set; `<version>-modified.<hash of the images>` when someone changed an image by hand
 * (so a second change by hand is seen as a new drift); the lowest label while a live update is
 * half-way. Undefined when cellshift never applied a release here.
 */
export function versionOfWorkloads(workloads: Workload[]): string | undefined {
  const labelled = workloads.filter((w) => w.metadata.labels?.[VERSION_LABEL]);
  if (labelled.length === 0) return undefined;
  const version = labelled.map((w) => w.metadata.labels![VERSION_LABEL]).sort(compareVersions)[0];
  const changed = labelled.filter((w) => {
    const recorded = parseImages(w.metadata.annotations?.[IMAGES_ANNOTATION]);
    const actual = containerImages(w);
    return recorded !== undefined && Object.entries(recorded).some(([container, image]) => actual[container] !== undefined && actual[container] !== image);
  });
  if (changed.length === 0) return version;
  const images = changed
    .map((w) => `${workloadName(w)}=${JSON.stringify(containerImages(w))}`)
    .sort()
    .join(';');
  return `${version}-modified.${createHash('sha256').update(images).digest('hex').slice(0, 8)}`;
}

function parseImages(annotation: string | undefined): Record<string, string> | undefined {
  if (!annotation) return undefined;
  try {
    return JSON.parse(annotation) as Record<string, string>;
  } catch {
    return undefined;
  }
}

// The pre-pull: a DaemonSet that has every node pull the release's images before anything changes
// (what its pods run: prepull-pod.ts); waited on until every node has them, then removed.
import type { CoreV1Event, V1DaemonSet } from '@kubernetes/client-node';
import { ErrorType, PortError } from '../../domain/errors';
import type { StepContext } from '../../domain/ports';
import type { KubeClients } from './connection';
import { ignoreNotFound, kubeCall } from './kube-call';
import { serverSideApply } from './objects';
import { until, type Poll } from './polling';
import { choosePrePullMethod, imageOfContainer, prePullDaemonSet, type PrePullOptions } from './prepull-pod';
import { COMPONENT_LABEL, describeProblem, isSchedulable, podProblems, PULL_ERRORS, type PodProblem } from './workloads';

export const PREPULL_DAEMONSET = 'cellshift-prepull';

/**
 * Pulls `images` on every node the DaemonSet runs on; fails at once on a pull error or when the
 * cluster refuses its pods (an admission policy), and removes the DaemonSet either way.
 */
export async function prePull(kube: KubeClients, namespace: string, images: string[], options: PrePullOptions, ctx: StepContext, poll: Poll): Promise<void> {
  const method = choosePrePullMethod(options.method, await serverMinor(kube), (await kubeCall('list nodes', () => kube.core.listNode())).items.filter(isSchedulable).map((n) => n.status?.nodeInfo));
  const labels = { [COMPONENT_LABEL]: PREPULL_DAEMONSET };
  await serverSideApply(kube, prePullDaemonSet(PREPULL_DAEMONSET, namespace, labels, images, method, options));
  // A pull container runs the pause image (image volumes): the image it pulls is the one to name.
  const named = (p: PodProblem): PodProblem => ({ ...p, image: imageOfContainer(p.container, images) ?? p.image });
  try {
    await until(ctx, poll, async () => {
      const ds = await kubeCall('read the pre-pull DaemonSet', () => kube.apps.readNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace }));
      const refused = await refusedPods(kube, ds);
      if (refused) throw new PortError(ErrorType.ClusterRefused, `the cluster refused the pre-pull pods (${method}): ${refused}`, true);
      const pods = await kubeCall('list pre-pull pods', () => kube.core.listNamespacedPod({ namespace, labelSelector: `${COMPONENT_LABEL}=${PREPULL_DAEMONSET}` }));
      const problems = pods.items.flatMap(podProblems).map(named);
      const failed = problems.filter((p) => PULL_ERRORS.includes(p.reason));
      if (failed.length > 0) throw new PortError(ErrorType.ImagePullFailed, `cannot pull: ${failed.map(describeProblem).join('; ')}`, true);
      const status = ds.status;
      const desired = status?.desiredNumberScheduled ?? 0;
      const ready = status?.numberReady ?? 0;
      ctx.heartbeat({ method, ready, desired });
      const done = (status?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0) && desired > 0 && ready === desired && (status?.updatedNumberScheduled ?? 0) === desired;
      return done ? { done: true } : { done: false, reason: `images pulled (${method}) on ${ready} of ${desired} nodes; ${problems.map(describeProblem).join('; ')}` };
    });
  } finally {
    await kubeCall('delete the pre-pull DaemonSet', () => kube.apps.deleteNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace, propagationPolicy: 'Background' })).catch(ignoreNotFound);
  }
}

async function serverMinor(kube: KubeClients): Promise<number> {
  const info = await kubeCall('read the server version', () => kube.version.getCode());
  return Number.parseInt(info.minor, 10);
}

/**
 * Why the DaemonSet controller cannot create this DaemonSet's pods, when an admission policy
 * forbids them (Pod Security, a quota, a policy engine): no wait fixes that.
 */
async function refusedPods(kube: KubeClients, ds: V1DaemonSet): Promise<string | undefined> {
  const { name, namespace, uid } = ds.metadata ?? {};
  const events = await kubeCall('list the pre-pull events', () =>
    kube.core.listNamespacedEvent({ namespace: namespace!, fieldSelector: `involvedObject.kind=DaemonSet,involvedObject.name=${name},reason=FailedCreate` }),
  );
  const forbidden = events.items.filter((e: CoreV1Event) => e.involvedObject.uid === uid && / is forbidden: /.test(e.message ?? ''));
  return forbidden.at(-1)?.message;
}

// The pre-pull: a DaemonSet with one init container per image, so every node pulls the release's
// images before anything changes; waited on until every node has them, then removed.
import type { V1DaemonSet } from '@kubernetes/client-node';
import { ErrorType, PortError } from '../../domain/errors';
import type { StepContext } from '../../domain/ports';
import type { KubeClients } from './connection';
import { ignoreNotFound, kubeCall } from './kube-call';
import { serverSideApply } from './objects';
import { until, type Poll } from './polling';
import { COMPONENT_LABEL, describeProblem, podProblems, PULL_ERRORS } from './workloads';

export const PREPULL_DAEMONSET = 'cellshift-prepull';

/** Pulls `images` on every node the DaemonSet runs on; fails at once on a pull error, and removes the DaemonSet either way. */
export async function prePull(kube: KubeClients, namespace: string, images: string[], pauseImage: string, ctx: StepContext, poll: Poll): Promise<void> {
  await serverSideApply(kube, prePullDaemonSet(namespace, images, pauseImage));
  try {
    await until(ctx, poll, async () => {
      const ds = await kubeCall('read the pre-pull DaemonSet', () => kube.apps.readNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace }));
      const pods = await kubeCall('list pre-pull pods', () => kube.core.listNamespacedPod({ namespace, labelSelector: `${COMPONENT_LABEL}=${PREPULL_DAEMONSET}` }));
      const failed = pods.items.flatMap(podProblems).filter((p) => PULL_ERRORS.includes(p.reason));
      if (failed.length > 0) throw new PortError(ErrorType.ImagePullFailed, `cannot pull: ${failed.map(describeProblem).join('; ')}`, true);
      const status = ds.status;
      const desired = status?.desiredNumberScheduled ?? 0;
      const ready = status?.numberReady ?? 0;
      ctx.heartbeat({ ready, desired });
      const done = (status?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0) && desired > 0 && ready === desired && (status?.updatedNumberScheduled ?? 0) === desired;
      return done ? { done: true } : { done: false, reason: `images pulled on ${ready} of ${desired} nodes; ${pods.items.flatMap(podProblems).map(describeProblem).join('; ')}` };
    });
  } finally {
    await kubeCall('delete the pre-pull DaemonSet', () => kube.apps.deleteNamespacedDaemonSet({ name: PREPULL_DAEMONSET, namespace, propagationPolicy: 'Background' })).catch(ignoreNotFound);
  }
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

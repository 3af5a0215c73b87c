// Waiting on the cluster: poll until a check is done, and wait for workloads' rollouts as
// `kubectl rollout status` does, failing early on pod states no wait fixes.
// Polls rather than the client's Watch or informers: a read every few seconds is cheap next to a
// rollout, and there is no watch to re-establish when the connection drops.
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorType, type ErrorTypeName, PortError } from '../../domain/errors';
import type { StepContext } from '../../domain/ports';
import type { KubeClients } from './connection';
import { kubeCall } from './kube-call';
import { readObject } from './objects';
import { describeProblem, podProblems, rolloutState, runsTemplate, workloadName, type Workload } from './workloads';

/** How often a wait reads the cluster, and for how long. */
export interface Poll {
  intervalMs: number;
  timeoutMs: number;
}

/** Polls `check` until it is done, the step is cancelled, or the time is up (a non-retryable error naming the last reason). */
export async function until(ctx: StepContext, poll: Poll, check: () => Promise<{ done: boolean; reason?: string }>, errorType: ErrorTypeName = ErrorType.Timeout): Promise<void> {
  const deadline = Date.now() + poll.timeoutMs;
  for (;;) {
    const { done, reason } = await check();
    if (done) return;
    if (Date.now() >= deadline) throw new PortError(errorType, `not done after ${Math.round(poll.timeoutMs / 1000)} s: ${reason}`, true);
    await sleep(poll.intervalMs, undefined, { signal: ctx.signal });
  }
}

/**
 * Waits until every workload's rollout is done. Fails at once when a pod of one is in a state
 * no wait fixes (crash loop, image pull error), naming the pods and reasons; on timeout names
 * what is still unavailable. Returns the workloads as they ended.
 */
export async function waitForRollouts(kube: KubeClients, namespace: string, workloads: Workload[], ctx: StepContext, poll: Poll, errorType: ErrorTypeName): Promise<Workload[]> {
  let live: Workload[] = [];
  await until(
    ctx,
    poll,
    async () => {
      live = [];
      const waiting: string[] = [];
      for (const wanted of workloads) {
        const workload = (await readObject(kube, { ...wanted, metadata: { ...wanted.metadata, namespace } })) as Workload | null;
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
        const current = new Set(pods.filter((pod) => runsTemplate(pod, workload)).map((pod) => pod.metadata?.name));
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

import type { Notification, Notifier, StackPort, StackRef, StackTarget, StepContext } from '../../domain/ports';
import type { SimulatedStack } from '../../adapters/simulated/stack';
import { runStep } from '../update/step-context';

/** Picks the adapter for a cell's stack reference, loading it on its first use. */
export type StackResolver = (ref: StackRef) => Promise<StackPort>;

/** One thin activity per stack side effect: run by the control plane's workers, or by the cell's agent with the stack's own credentials. */
export function createStackActivities(resolve: StackResolver) {
  /** One step against the cell's stack, inside the current activity. */
  const onStack = <T>(target: StackTarget, call: (stack: StackPort, ctx: StepContext) => Promise<T>) =>
    runStep(async (ctx) => call(await resolve(target.stack), ctx));
  return {
    /** Makes a simulated stack exist (a real one exists already); returns what it runs. */
    registerStack(target: StackTarget, templateVersion: string) {
      return onStack(target, async (stack, ctx) => ({
        state: 'register' in stack ? await (stack as SimulatedStack).register(target.cellId, templateVersion) : await stack.describe(target, ctx),
      }));
    },
    describeStack(target: StackTarget) {
      return onStack(target, async (stack, ctx) => ({ state: await stack.describe(target, ctx) }));
    },
    prepareInfraChangeSet(target: StackTarget, template: { templateVersion: string; templateUrl: string }) {
      return onStack(target, async (stack, ctx) => ({ summary: await stack.prepareChangeSet(target, template, ctx) }));
    },
    executeInfraChangeSet(target: StackTarget, changeSetName: string) {
      return onStack(target, (stack, ctx) => stack.executeChangeSet(target, changeSetName, ctx));
    },
    waitForStackUpdate(target: StackTarget) {
      return onStack(target, async (stack, ctx) => ({ state: await stack.waitForUpdate(target, ctx) }));
    },
  };
}

/** The stack's steps, and the notification of a cell's contacts (always the control plane's). */
export function createInfraActivities(resolve: StackResolver, notifier: Notifier) {
  return {
    ...createStackActivities(resolve),
    async notifyContacts(notification: Notification): Promise<void> {
      await notifier.notify(notification);
    },
  };
}

export type InfraActivities = ReturnType<typeof createInfraActivities>;

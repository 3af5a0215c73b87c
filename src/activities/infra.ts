import type { Notification, Notifier, StackPort, StackRef, StackTarget } from '../domain/ports';
import type { SimulatedStack } from '../adapters/simulated/stack';
import { runStep } from './step-context';

export type StackResolver = (ref: StackRef) => StackPort;

/** One thin activity per stack side effect, and the notification of a cell's contacts. */
export function createInfraActivities(resolve: StackResolver, notifier: Notifier) {
  const port = (target: StackTarget) => resolve(target.stack);
  return {
    /** Makes a simulated stack exist (a real one exists already); returns what it runs. */
    registerStack(target: StackTarget, templateVersion: string) {
      const stack = port(target);
      return runStep(async (ctx) => ({
        state: 'register' in stack ? await (stack as SimulatedStack).register(target.cellId, templateVersion) : await stack.describe(target, ctx),
      }));
    },
    describeStack(target: StackTarget) {
      return runStep(async (ctx) => ({ state: await port(target).describe(target, ctx) }));
    },
    prepareInfraChangeSet(target: StackTarget, template: { templateVersion: string; templateUrl: string }) {
      return runStep(async (ctx) => ({ summary: await port(target).prepareChangeSet(target, template, ctx) }));
    },
    executeInfraChangeSet(target: StackTarget, changeSetName: string) {
      return runStep((ctx) => port(target).executeChangeSet(target, changeSetName, ctx));
    },
    waitForStackUpdate(target: StackTarget) {
      return runStep(async (ctx) => ({ state: await port(target).waitForUpdate(target, ctx) }));
    },
    async notifyContacts(notification: Notification): Promise<void> {
      await notifier.notify(notification);
    },
  };
}

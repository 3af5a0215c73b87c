import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorType, PortError } from '../../domain/errors';
import { failsOn, meetFault } from '../../domain/faults';
import type { ChangeSetSummary, StackChange, StackPort, StackState, StackTarget, StepContext } from '../../domain/ports';
import { JsonStore } from './json-store';
import { NO_CHANGES_REASON, changeSetName, failureReasons, updateOutcome } from '../stack-status';

export const STACK_FAULT_STEPS = ['prepare', 'execute', 'update'] as const;
export type StackFaultStep = (typeof STACK_FAULT_STEPS)[number];

/**
 * `prepare`/`execute`: the call fails. `update`: the call works but the stack update it starts
 * fails and CloudFormation rolls it back (UPDATE_ROLLBACK_COMPLETE); its latency is how long the
 * update stays UPDATE_IN_PROGRESS.
 */
export interface StackFault {
  mode: 'none' | 'fail' | 'fail-times';
  /** for fail-times: how many calls (or updates) fail before it works again */
  times?: number;
  latencyMs?: number;
  /** for update: the failing resource's reason */
  reason?: string;
}

export type StackFaults = Partial<Record<StackFaultStep, StackFault>>;

export interface SimStackEvent {
  at: string;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
}

export interface SimChangeSet {
  templateVersion: string;
  executed: boolean;
  /** its execution ended in a rollback */
  failed?: boolean;
  /** FAILED: it would change nothing */
  status: 'CREATE_COMPLETE' | 'FAILED';
  statusReason?: string;
  changes: StackChange[];
}

export interface SimStack {
  cellId: string;
  stackName: string;
  templateVersion?: string;
  status: string;
  changeSets: Record<string, SimChangeSet>;
  /** the running update: which change set, how it will end, and when */
  update?: { changeSetName: string; templateVersion: string; endsAt: number; fails: boolean; reason?: string };
  /** oldest first */
  events: SimStackEvent[];
  faults: StackFaults;
  faultCalls: Partial<Record<StackFaultStep, number>>;
}

const EVENT_LIMIT = 200;
const STACK_TYPE = 'AWS::CloudFormation::Stack';
/** What a simulated template version changes: the launch template the cell's nodes boot from. */
const FAILING_RESOURCE = 'LaunchTemplate';
const DEFAULT_FAILURE = 'Resource handler returned message: "Invalid AMI ID" (HandlerErrorCode: InvalidRequest)';
const CHANGES: StackChange[] = [
  { action: 'Modify', logicalId: FAILING_RESOURCE, resourceType: 'AWS::EC2::LaunchTemplate', replacement: 'False' },
  { action: 'Modify', logicalId: 'NodeGroup', resourceType: 'AWS::AutoScaling::AutoScalingGroup', replacement: 'Conditional' },
];

/**
 * A CloudFormation stack per cell that exists only as a file under `<dataDir>/sim/stacks`, with
 * change sets named like the real adapter's, an update that runs for the `update` fault's latency
 * and can be made to roll back, and faults per call. State survives the worker.
 */
export class SimulatedStack implements StackPort {
  readonly store: JsonStore<SimStack>;

  constructor(
    dataDir: string,
    private readonly pollIntervalMs = 100,
  ) {
    this.store = new JsonStore<SimStack>(join(dataDir, 'sim', 'stacks'));
  }

  /** Creates the cell's stack at a template version; a no-op when it exists. */
  async register(cellId: string, templateVersion: string): Promise<StackState> {
    return this.store.update(cellId, (stack) => {
      if (stack) return { result: toState(stack) };
      const created: SimStack = {
        cellId,
        stackName: `sim-${cellId}`,
        templateVersion,
        status: 'CREATE_COMPLETE',
        changeSets: {},
        events: [],
        faults: {},
        faultCalls: {},
      };
      record(created, created.stackName, STACK_TYPE, 'CREATE_COMPLETE');
      return { value: created, result: toState(created) };
    });
  }

  async describe(target: StackTarget): Promise<StackState> {
    return toState(await this.settle(target.cellId));
  }

  async prepareChangeSet(target: StackTarget, template: { templateVersion: string; templateUrl: string }, ctx: StepContext): Promise<ChangeSetSummary> {
    const latency = await this.enter(target.cellId, 'prepare');
    const name = changeSetName(template.templateVersion);
    const summary = await this.change(target.cellId, (stack) => {
      let changeSet = stack.changeSets[name];
      // One that can no longer run is made again, as the AWS adapter does: the stack may have moved.
      if (!changeSet || changeSet.failed || changeSet.status === 'FAILED') {
        const same = stack.templateVersion === template.templateVersion;
        changeSet = same
          ? { templateVersion: template.templateVersion, executed: false, status: 'FAILED', statusReason: NO_CHANGES_REASON, changes: [] }
          : { templateVersion: template.templateVersion, executed: false, status: 'CREATE_COMPLETE', changes: CHANGES };
        stack.changeSets[name] = changeSet;
      }
      return { changeSetName: name, status: changeSet.status, changes: changeSet.changes };
    });
    await wait(latency, ctx);
    return summary;
  }

  async executeChangeSet(target: StackTarget, name: string, ctx: StepContext): Promise<void> {
    const latency = await this.enter(target.cellId, 'execute');
    await this.change(target.cellId, (stack) => {
      const changeSet = stack.changeSets[name];
      if (!changeSet) throw new PortError(ErrorType.ChangeSetNotFound, `change set ${name} of stack ${stack.stackName} does not exist`, true);
      if (changeSet.executed || changeSet.status === 'FAILED') return; // ran already, or nothing to run
      if (stack.update) throw new PortError(ErrorType.StackBusy, `stack ${stack.stackName} is updating to ${stack.update.templateVersion}`);
      // The update fault decides now how this update ends, so every wait sees the same outcome.
      const { fault, call, calls } = meetFault(stack.faults, stack.faultCalls, 'update');
      if (calls) stack.faultCalls = calls;
      const fails = fault !== undefined && failsOn(fault, call);
      changeSet.executed = true;
      // CloudFormation drops a stack's other change sets once one runs.
      stack.changeSets = { [name]: changeSet };
      stack.status = 'UPDATE_IN_PROGRESS';
      stack.update = { changeSetName: name, templateVersion: changeSet.templateVersion, endsAt: Date.now() + (fault?.latencyMs ?? 0), fails, reason: fault?.reason };
      record(stack, stack.stackName, STACK_TYPE, 'UPDATE_IN_PROGRESS', 'User Initiated');
    });
    await wait(latency, ctx);
  }

  async waitForUpdate(target: StackTarget, ctx: StepContext): Promise<StackState> {
    for (;;) {
      const stack = await this.settle(target.cellId);
      ctx.heartbeat({ status: stack.status });
      const outcome = updateOutcome(stack.status);
      if (outcome === 'complete') return toState(stack);
      if (outcome === 'failed') {
        const reasons = failureReasons(
          [...stack.events].reverse().map((e) => ({ logicalId: e.logicalId, isStack: e.resourceType === STACK_TYPE, status: e.status, reason: e.reason })),
        );
        throw new PortError(ErrorType.StackUpdateFailed, `stack ${stack.stackName} ended in ${stack.status}: ${reasons.join('; ') || 'no reason given'}`, true);
      }
      await sleep(Math.max(10, Math.min(this.pollIntervalMs, (stack.update?.endsAt ?? 0) - Date.now())), undefined, { signal: ctx.signal });
    }
  }

  /** The customer ran the new template on their stack themselves: the stack now runs it. */
  async customerApply(cellId: string, templateVersion: string): Promise<StackState> {
    return toState(
      await this.change(cellId, (stack) => {
        if (stack.update) throw new PortError(ErrorType.StackBusy, `stack ${stack.stackName} is updating to ${stack.update.templateVersion}`);
        record(stack, stack.stackName, STACK_TYPE, 'UPDATE_IN_PROGRESS', 'User Initiated');
        stack.changeSets = {}; // made for the stack as it was
        stack.templateVersion = templateVersion;
        stack.status = 'UPDATE_COMPLETE';
        record(stack, stack.stackName, STACK_TYPE, 'UPDATE_COMPLETE');
        return stack;
      }),
    );
  }

  /** Sets the faults of a stack, resetting the fail-times counters. Returns false for an unknown stack. */
  async setFaults(cellId: string, faults: StackFaults): Promise<boolean> {
    return this.store.update(cellId, (stack) => {
      if (!stack) return { result: false };
      return { value: { ...stack, faults, faultCalls: {} }, result: true };
    });
  }

  async read(cellId: string): Promise<SimStack> {
    const stack = await this.store.get(cellId);
    if (!stack) throw notFound(cellId);
    return stack;
  }

  /** The stack with a running update ended if its time has come. */
  private async settle(cellId: string): Promise<SimStack> {
    return this.change(cellId, (stack) => stack);
  }

  /** Fault injection at the start of a call; returns the latency the call spends after its change. */
  private async enter(cellId: string, step: 'prepare' | 'execute'): Promise<number> {
    const { fault, call } = await this.store.update(cellId, (stack) => {
      if (!stack) throw notFound(cellId);
      const met = meetFault(stack.faults, stack.faultCalls, step);
      return met.calls ? { value: { ...stack, faultCalls: met.calls }, result: met } : { result: met };
    });
    if (!fault) return 0;
    if (failsOn(fault, call)) {
      throw new PortError(ErrorType.SimulatedFault, `injected fault in ${step} (call ${call})`);
    }
    return fault.latencyMs ?? 0;
  }

  /** Read-modify-write of a stack, ending a running update first when its time has come. */
  private async change<R>(cellId: string, mutate: (stack: SimStack) => R): Promise<R> {
    return this.store.update(cellId, (current) => {
      if (!current) throw notFound(cellId);
      const stack = structuredClone(current);
      finishUpdate(stack, Date.now());
      const result = mutate(stack);
      // A read that ended nothing writes nothing.
      return { value: JSON.stringify(stack) === JSON.stringify(current) ? undefined : stack, result };
    });
  }
}

function finishUpdate(stack: SimStack, now: number): void {
  const update = stack.update;
  if (!update || now < update.endsAt) return;
  delete stack.update;
  record(stack, FAILING_RESOURCE, 'AWS::EC2::LaunchTemplate', 'UPDATE_IN_PROGRESS');
  if (!update.fails) {
    record(stack, FAILING_RESOURCE, 'AWS::EC2::LaunchTemplate', 'UPDATE_COMPLETE');
    record(stack, stack.stackName, STACK_TYPE, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    record(stack, stack.stackName, STACK_TYPE, 'UPDATE_COMPLETE');
    stack.templateVersion = update.templateVersion;
    stack.status = 'UPDATE_COMPLETE';
    return;
  }
  // CloudFormation rolls the stack back: it keeps running the template it ran before.
  const changeSet = stack.changeSets[update.changeSetName];
  if (changeSet) changeSet.failed = true;
  record(stack, FAILING_RESOURCE, 'AWS::EC2::LaunchTemplate', 'UPDATE_FAILED', update.reason ?? DEFAULT_FAILURE);
  record(stack, stack.stackName, STACK_TYPE, 'UPDATE_ROLLBACK_IN_PROGRESS', `The following resource(s) failed to update: [${FAILING_RESOURCE}].`);
  record(stack, FAILING_RESOURCE, 'AWS::EC2::LaunchTemplate', 'UPDATE_COMPLETE');
  record(stack, stack.stackName, STACK_TYPE, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  record(stack, stack.stackName, STACK_TYPE, 'UPDATE_ROLLBACK_COMPLETE');
  stack.status = 'UPDATE_ROLLBACK_COMPLETE';
}

function record(stack: SimStack, logicalId: string, resourceType: string, status: string, reason?: string): void {
  stack.events.push({ at: new Date().toISOString(), logicalId, resourceType, status, ...(reason ? { reason } : {}) });
  if (stack.events.length > EVENT_LIMIT) stack.events.splice(0, stack.events.length - EVENT_LIMIT);
}

function toState(stack: SimStack): StackState {
  const version: Record<string, string> = stack.templateVersion ? { TemplateVersion: stack.templateVersion } : {};
  return { stackName: stack.stackName, status: stack.status, templateVersion: stack.templateVersion, outputs: { ...simulatedOutputs(stack.cellId), ...version }, parameters: {}, tags: { ...version } };
}

/** What a customer's bootstrap stack gives its cell, simulated: a bucket and a database of the cell's own. */
export function simulatedOutputs(cellId: string): Record<string, string> {
  return { BucketName: `${cellId}-workspaces`, DatabaseHost: `${cellId}.db.internal`, DatabasePort: '5432' };
}

function notFound(cellId: string): PortError {
  return new PortError(ErrorType.StackNotFound, `simulated stack of cell ${cellId} does not exist`, true);
}

/** Simulated latency; cancellation ends it. */
async function wait(ms: number, ctx: StepContext): Promise<void> {
  if (ms <= 0) return;
  await sleep(ms, undefined, { signal: ctx.signal });
}

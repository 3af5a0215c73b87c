import { ActivityFailure, condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { DAY_MS, nextInfraEvent, pendingReminders, slaStatus } from '../../domain/infra';
import { ErrorType } from '../../domain/errors';
import type { Notification, StackRef, StackTarget } from '../../domain/ports';
import type { CellConnection } from '../../domain/agent';
import { describeFailure, isAgentUnreachable, isTargetGone, refuse } from '../failures';
import { cellWorkflowId } from '../ids';
import {
  applyInfraUpdate,
  infraProgressQuery,
  infraStatusSignal,
  stackChangedSignal,
  type InfraUpdateProgress,
  type InfraUpdateRequest,
  type OperatorCommand,
} from '../messages';
import { now } from '../update/progress';
import { notifyContacts, stackActivities } from './activities';

export interface InfraUpdateInput extends InfraUpdateRequest {
  cellId: string;
  stack: StackRef;
  /** `agent`: the stack's steps run on the cell's agent, which holds its credentials */
  connection?: CellConnection;
  /** an agent cell: how long a step waits for the agent before the agent counts as unreachable */
  agentWaitSeconds?: number;
  /** whether the cell lets cellshift execute infrastructure updates itself */
  mayApply: boolean;
  /** how often the stack is checked for the customer having run the template */
  checkIntervalSeconds?: number;
}

const DEFAULT_CHECK_SECONDS = 6 * 3600;

/**
 * A new CloudFormation template version for a cell's stack, mandatory within the deadline
 * (publication + 14 days). Prepares the change set, tells the cell's contacts, and waits for
 * whichever comes first: the stack running the new template (the customer ran it; checked
 * periodically and on signal), an operator's `apply` when cellshift may apply it, or the deadline.
 * Reminders go out 7, 2 and 1 days before. Under 2 days left the cell is `at-risk`; past the
 * deadline `out-of-sla`, and its controller holds app updates until the template is applied. A
 * failed stack update (CloudFormation rolls back) is reported, and the wait goes on.
 */
export async function infraUpdate(input: InfraUpdateInput): Promise<InfraUpdateProgress> {
  const target: StackTarget = { cellId: input.cellId, stack: input.stack };
  // The change set is prepared whenever the cell's agent comes (no bound); later steps wait for it as long as an update step would.
  const { prepareInfraChangeSet } = stackActivities({ cellId: input.cellId, connection: input.connection });
  const { describeStack, executeInfraChangeSet, waitForStackUpdate } = stackActivities({ cellId: input.cellId, connection: input.connection }, input.agentWaitSeconds);
  const publishedAt = input.publishedAt ? Date.parse(input.publishedAt) : Date.now();
  const deadline = publishedAt + input.deadlineDays * DAY_MS;
  const progress: InfraUpdateProgress = {
    cellId: input.cellId,
    templateVersion: input.templateVersion,
    templateUrl: input.templateUrl,
    status: 'preparing',
    sla: slaStatus(Date.now(), deadline),
    publishedAt: new Date(publishedAt).toISOString(),
    deadline: new Date(deadline).toISOString(),
    changes: [],
    reminders: [],
    attempts: [],
  };
  let applyRequest: OperatorCommand | undefined;
  let checkRequested = false;

  setHandler(infraProgressQuery, () => progress);
  setHandler(stackChangedSignal, () => void (checkRequested = true));
  setHandler(
    applyInfraUpdate,
    (command) => {
      applyRequest = command;
    },
    {
      validator: (_: OperatorCommand) => {
        if (!input.mayApply) refuse(ErrorType.InvalidState, `cell ${input.cellId} applies infrastructure updates itself: cellshift may not execute the change set`);
        if (progress.status !== 'waiting') refuse(ErrorType.InvalidState, `the infra update is ${progress.status}`);
      },
    },
  );

  const notify = (kind: Notification['kind'], subject: string, body: string) =>
    notifyContacts({ cellId: input.cellId, kind, subject, body, deadline: progress.deadline, sentAt: now() });
  const report = (done: boolean) =>
    getExternalWorkflowHandle(cellWorkflowId(input.cellId))
      .signal(infraStatusSignal, { templateVersion: input.templateVersion, sla: progress.sla, deadline: progress.deadline, done })
      .catch((err: unknown) => {
        // The cell was removed: its SLA is nobody's to hold.
        if (!isTargetGone(err)) throw err;
      });

  const { summary } = await prepareInfraChangeSet(target, { templateVersion: input.templateVersion, templateUrl: input.templateUrl });
  progress.changes = summary.changes;
  progress.changeSetName = summary.changeSetName;
  progress.status = 'waiting';
  const changeLines = summary.changes.map((c) => `${c.action} ${c.logicalId} (${c.resourceType})`).join('\n') || 'no resource changes';
  await notify(
    'infra-update-published',
    `Infrastructure update ${input.templateVersion} for ${input.cellId}: apply by ${progress.deadline}`,
    `Run the template ${input.templateUrl} against your stack before ${progress.deadline}, or the installation stops receiving updates and falls out of the support SLA.\nChanges:\n${changeLines}`,
  );
  await report(false);

  const checkMs = (input.checkIntervalSeconds ?? DEFAULT_CHECK_SECONDS) * 1000;
  let nextCheck = Date.now() + checkMs;
  for (;;) {
    const wakeAt = nextInfraEvent(Date.now(), publishedAt, deadline, progress.reminders.map((r) => r.daysBefore), nextCheck);
    await condition(() => applyRequest !== undefined || checkRequested, Math.max(1, wakeAt - Date.now()));

    // The SLA and the reminders, on the workflow's clock.
    const sla = slaStatus(Date.now(), deadline);
    if (sla !== progress.sla) {
      progress.sla = sla;
      if (sla === 'out-of-sla') {
        await notify('infra-update-overdue', `${input.cellId} is out of its support SLA`, `Infrastructure update ${input.templateVersion} was due ${progress.deadline}. App updates are held until it is applied.`);
      }
      await report(false);
    }
    for (const reminder of pendingReminders(publishedAt, deadline, progress.reminders.map((r) => r.daysBefore))) {
      if (reminder.at > Date.now()) break;
      progress.reminders.push({ daysBefore: reminder.daysBefore, sentAt: now() });
      await notify(
        'infra-update-reminder',
        `Reminder: infrastructure update ${input.templateVersion} for ${input.cellId} is due in ${reminder.daysBefore} day${reminder.daysBefore === 1 ? '' : 's'}`,
        `Run ${input.templateUrl} against your stack before ${progress.deadline}.`,
      );
    }

    if (applyRequest) {
      const by = applyRequest.by;
      applyRequest = undefined;
      progress.status = 'applying';
      try {
        const { summary: again } = await prepareInfraChangeSet(target, { templateVersion: input.templateVersion, templateUrl: input.templateUrl });
        if (again.changes.length > 0) await executeInfraChangeSet(target, again.changeSetName);
        await waitForStackUpdate(target);
        progress.attempts.push({ by, at: now(), result: 'applied' });
        return finish('cellshift');
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const error = describeFailure(err);
        progress.attempts.push({ by, at: now(), result: 'failed', error });
        progress.status = 'waiting';
        await notify('infra-update-failed', `Infrastructure update ${input.templateVersion} for ${input.cellId} failed`, `The stack rolled back and runs what it ran before.\n${error}`);
      }
    }

    if (checkRequested || Date.now() >= nextCheck) {
      checkRequested = false;
      nextCheck = Date.now() + checkMs;
      try {
        const { state } = await describeStack(target);
        progress.lastCheck = { at: now(), templateVersion: state.templateVersion };
        if (state.templateVersion === input.templateVersion) return finish('customer');
      } catch (err) {
        // The cell's agent is away: the stack is read at the next check, the deadline runs on.
        if (!isAgentUnreachable(err)) throw err;
        progress.lastCheck = { at: now(), error: describeFailure(err) };
      }
    }
  }

  async function finish(by: 'cellshift' | 'customer'): Promise<InfraUpdateProgress> {
    progress.status = 'applied';
    progress.appliedBy = by;
    progress.appliedAt = now();
    progress.sla = 'in-sla';
    await notify('infra-update-applied', `Infrastructure update ${input.templateVersion} applied to ${input.cellId}`, `Applied by ${by} at ${progress.appliedAt}.`);
    await report(true);
    return progress;
  }
}

import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

/**
 * Replays a workflow's history, as the server holds it now, with today's workflow bundle: a
 * workflow that diverged from its own history (nondeterminism) says so here, with the history kept
 * in a file and the events around the one the replay stopped at, instead of a stalled run.
 */
export async function replayFromServer(address: string, workflowId: string, bundlePath: string): Promise<{ ok: true } | { ok: false; report: string }> {
  const connection = await Connection.connect({ address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    try {
      await Worker.runReplayHistory({ workflowBundle: { codePath: bundlePath } }, history, workflowId);
      return { ok: true };
    } catch (err) {
      const file = join(tmpdir(), `cellshift-history-${workflowId.replaceAll('/', '_')}-${Date.now()}.json`);
      writeFileSync(file, historyToJSON(history));
      const at = Number(/HistoryEvent\(id: (\d+)/.exec(String(err))?.[1] ?? history.events?.length ?? 0);
      const around = (history.events ?? [])
        .filter((e) => Math.abs(Number(e.eventId) - at) <= 12)
        .map((e) => `${String(e.eventId)} ${EventType[e.eventType ?? 0]}${describe(e)}`);
      return { ok: false, report: `${workflowId} does not replay: ${String(err)}\nhistory in ${file}; events around ${at}:\n${around.join('\n')}` };
    }
  } finally {
    await connection.close();
  }
}

function describe(e: temporal.api.history.v1.IHistoryEvent): string {
  const scheduled = e.activityTaskScheduledEventAttributes;
  if (scheduled) return ` ${scheduled.activityType?.name} #${scheduled.activityId}`;
  const signal = e.workflowExecutionSignaledEventAttributes;
  if (signal) return ` ${signal.signalName}`;
  const timer = e.timerStartedEventAttributes;
  if (timer) return ` #${timer.timerId} ${Number(timer.startToFireTimeout?.seconds ?? 0)}s`;
  const failed = e.workflowTaskFailedEventAttributes;
  if (failed) return ` ${failed.cause} ${failed.failure?.message?.slice(0, 200)}`;
  const completed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
  if (completed) return ` of ${String(completed.scheduledEventId)}`;
  const done = e.workflowTaskCompletedEventAttributes;
  if (done) return ` ${done.identity}${done.sdkMetadata?.langUsedFlags?.length ? ` flags ${done.sdkMetadata.langUsedFlags.join(',')}` : ''}`;
  const started = e.workflowTaskStartedEventAttributes;
  if (started) return ` by ${started.identity}`;
  return '';
}

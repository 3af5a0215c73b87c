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
  return replayAllFromServer(address, `WorkflowId = '${workflowId}'`, bundlePath, { latestRunOnly: true });
}

/**
 * Replays every run of every workflow a visibility query finds (a controller's runs before each
 * continue-as-new included), as the server holds them, with today's workflow bundle; the report
 * names each that does not replay, with the events around where it stopped.
 */
export async function replayAllFromServer(
  address: string,
  query: string,
  bundlePath: string,
  { latestRunOnly = false }: { latestRunOnly?: boolean } = {},
): Promise<{ ok: true; replayed: number } | { ok: false; report: string }> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const runs: { workflowId: string; runId?: string }[] = [];
    if (latestRunOnly) runs.push({ workflowId: /WorkflowId = '(.*)'/.exec(query)![1] });
    else for await (const execution of client.workflow.list({ query })) runs.push({ workflowId: execution.workflowId, runId: execution.runId });
    const histories = new Map<string, temporal.api.history.v1.IHistory>();
    for (const { workflowId, runId } of runs) histories.set(`${workflowId}@${runId ?? 'latest'}`, await client.workflow.getHandle(workflowId, runId).fetchHistory());
    const reports: string[] = [];
    const replays = Worker.runReplayHistories({ workflowBundle: { codePath: bundlePath } }, [...histories].map(([workflowId, history]) => ({ workflowId, history })));
    for await (const result of replays) {
      if (!result.error) continue;
      const history = histories.get(result.workflowId)!;
      const file = join(tmpdir(), `cellshift-history-${result.workflowId.replace(/[^A-Za-z0-9.-]/g, '_')}-${Date.now()}.json`);
      writeFileSync(file, historyToJSON(history));
      const at = Number(/HistoryEvent\(id: (\d+)/.exec(String(result.error))?.[1] ?? history.events?.length ?? 0);
      const around = (history.events ?? [])
        .filter((e) => Math.abs(Number(e.eventId) - at) <= 12)
        .map((e) => `${String(e.eventId)} ${EventType[e.eventType ?? 0]}${describe(e)}`);
      reports.push(`${result.workflowId} does not replay: ${String(result.error)}\nhistory in ${file}; events around ${at}:\n${around.join('\n')}`);
    }
    return reports.length === 0 ? { ok: true, replayed: histories.size } : { ok: false, report: reports.join('\n\n') };
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

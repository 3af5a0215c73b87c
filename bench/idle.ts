// What a cell costs in Temporal while nothing happens to it, and what one update costs: actions as
// hosted Temporal bills them, counted from the histories the server holds, and history events.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DEFAULT_CHECK_INTERVAL_SECONDS, type CellSpec } from '../src/domain/cell';
import { cellWorkflowId } from '../src/workflows/ids';
import { cellStatusQuery } from '../src/workflows/messages';

const EventType = proto.temporal.api.enums.v1.EventType;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/**
 * The events hosted Temporal bills as actions: a workflow started or continued as new, a timer, an
 * activity scheduled, a local activity (its marker; counted one each here, an upper bound), a
 * signal received or sent, an update accepted, a child started, a search-attribute upsert.
 */
const BILLED = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  EventType.EVENT_TYPE_MARKER_RECORDED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
]);

export function billedActions(events: HistoryEvent[]): number {
  return events.filter((e) => BILLED.has(e.eventType ?? 0)).length;
}

export interface IdleFigures {
  checks: number;
  actionsPerCheck: number;
  eventsPerCheck: number;
  /** at the default check interval (DEFAULT_CHECK_INTERVAL_SECONDS) */
  actionsPerDay: number;
  eventsPerDay: number;
  checkIntervalSeconds: number;
}

/** An idle cell's controller checking every second for `seconds`: what each check costs, scaled to a day at the default interval. */
export async function idleCase(client: Client, taskQueue: string, version: string, seconds = 20): Promise<IdleFigures> {
  const spec: CellSpec = {
    id: 'bench-idle-cell',
    ring: 'staging',
    strategy: 'maintenance-window',
    maintenanceWindow: { days: ['sun'], start: '00:00', durationMinutes: 60, timezone: 'UTC' },
    cluster: { kind: 'simulated', initialVersion: version },
    expectedUpdateMinutes: 1,
    checkIntervalSeconds: 1,
    autoUpdate: false,
  };
  const handle = await client.workflow.start('cellController', { workflowId: cellWorkflowId(spec.id), taskQueue, args: [{ spec }] });
  while ((await handle.query(cellStatusQuery).catch(() => undefined))?.state !== 'ready') await pause(50);
  await pause(3_000);
  const from = (await handle.describe()).historyLength;
  await pause(seconds * 1000);
  const events = ((await handle.fetchHistory()).events ?? []).filter((e) => Number(e.eventId) > from);
  await handle.terminate('bench done');
  const checks = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED).length;
  const perDay = 86_400 / DEFAULT_CHECK_INTERVAL_SECONDS;
  const actionsPerCheck = billedActions(events) / checks;
  const eventsPerCheck = events.length / checks;
  return { checks, actionsPerCheck, eventsPerCheck, actionsPerDay: actionsPerCheck * perDay, eventsPerDay: eventsPerCheck * perDay, checkIntervalSeconds: DEFAULT_CHECK_INTERVAL_SECONDS };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

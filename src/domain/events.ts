// What the fleet tells webhook subscribers: an event per change someone may need to act on, with a
// Slack-compatible `text`. Which change makes which event is decided here, from the read model's
// before and after.
import type { CellView } from './cell';
import type { UpdateProgress } from './update';

export const EVENT_TYPES = [
  'update.scheduled',
  'update.emergency-override',
  'release.emergency',
  'update.started',
  'update.succeeded',
  'update.failed',
  'update.rolled-back',
  'update.needs-attention',
  'cell.left-in-maintenance',
  'rollout.halted',
  'rollout.finished',
  'rollout.vetoed',
  'sla.at-risk',
  'sla.out',
  'debug-access.requested',
  'debug-access.decided',
  'debug-access.ended',
  'support-bundle.collected',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface FleetEvent {
  /** unique per event: a receiver that got it twice (a retried delivery) knows */
  id: string;
  type: EventType;
  at: string;
  cellId?: string;
  /** Slack's incoming webhooks take this as the message */
  text: string;
  data: Record<string, unknown>;
}

/** Writes a workflow makes per update before its revision passes this are its first (domain: the projection's write number × 65536). */
const FIRST_WRITE_BELOW = 2 * 65536;

/**
 * The events an update's write makes: its start with its first write, its end (or its need of a
 * person) with the write that records it. Ids are per update, so each is queued once.
 */
export function updateEvents(progress: UpdateProgress, revision: number): FleetEvent[] {
  const what = `update ${progress.id} of ${progress.cellId} (${progress.fromVersion ?? 'nothing'} → ${progress.toVersion}, ${progress.strategy})`;
  const base = { cellId: progress.cellId, data: { updateId: progress.id, status: progress.status, fromVersion: progress.fromVersion ?? null, toVersion: progress.toVersion, strategy: progress.strategy, ...(progress.error ? { error: progress.error } : {}) } };
  const event = (type: EventType, text: string, at = progress.endedAt ?? new Date().toISOString()): FleetEvent => ({ id: `${type}/${progress.id}`, type, at, text, ...base });
  const events: FleetEvent[] = [];
  if (revision < FIRST_WRITE_BELOW) events.push(event('update.started', `${what} started`, progress.startedAt));
  switch (progress.status) {
    case 'succeeded':
      events.push(event('update.succeeded', `✅ ${what} succeeded`));
      break;
    case 'failed':
    case 'cancelled':
    case 'rejected':
      events.push(event('update.failed', `❌ ${what} ${progress.status}${progress.error ? `: ${progress.error}` : ''}`));
      break;
    case 'rolled-back':
      events.push(event('update.rolled-back', `↩️ ${what} rolled back${progress.error ? `: ${progress.error}` : ''}`));
      break;
    case 'needs-attention':
      events.push(event('update.needs-attention', `⚠️ ${what} needs attention: ${progress.error ?? 'an undo keeps failing'} (retry or abandon it)`, new Date().toISOString()));
      break;
  }
  // A failed or rolled-back update gets a support bundle asked for (its cell's customer decides): where it shows.
  if (progress.status === 'failed' || progress.status === 'rolled-back') for (const e of events) if (e.type !== 'update.started') e.data = { ...e.data, supportBundle: `/v1/updates/${progress.id}/support-bundle` };
  return events;
}

/** The notice a cell is given of an update: what, when at the earliest, why, and how its customer postpones it. */
export function noticeEvent(notice: { cellId: string; version: string; givenAt: string; startsAt?: string; why: string }): FleetEvent {
  const when = notice.startsAt ? `from ${notice.startsAt}` : 'in its next window';
  return {
    id: `update.scheduled/${notice.cellId}/${notice.version}`,
    type: 'update.scheduled',
    at: notice.givenAt,
    cellId: notice.cellId,
    text: `🗓️ ${notice.cellId}: an update to ${notice.version} is scheduled ${when} (${notice.why}); its customer may postpone it: POST /v1/cells/${notice.cellId}/postponements`,
    data: { version: notice.version, ...(notice.startsAt ? { startsAt: notice.startsAt } : {}), why: notice.why, upcoming: `/v1/cells/${notice.cellId}/upcoming` },
  };
}

/** The event a cell's SLA at risk or out makes, once per infrastructure update that puts it there. */
export function slaEvents(view: CellView): FleetEvent[] {
  const sla = view.sla;
  if (sla !== 'at-risk' && sla !== 'out-of-sla') return [];
  const type: EventType = sla === 'at-risk' ? 'sla.at-risk' : 'sla.out';
  const cellId = view.spec.id;
  const pending = view.infraUpdates?.find((u) => u.sla === sla) ?? view.infraUpdates?.[0];
  const text = sla === 'at-risk' ? `⏳ ${cellId}: its infrastructure update${pending ? ` ${pending.templateVersion}` : ''} is due by ${pending?.deadline ?? 'soon'} (SLA at risk)` : `🚨 ${cellId}: its infrastructure update${pending ? ` ${pending.templateVersion}` : ''} is overdue (out of SLA); app updates are held`;
  return [{ id: `${type}/${cellId}/${pending?.templateVersion ?? 'none'}`, type, at: new Date().toISOString(), cellId, text, data: { sla, ...(pending ? { templateVersion: pending.templateVersion, deadline: pending.deadline } : {}) } }];
}

/** The event of a cell found in maintenance mode with no update running, once per time it is found so. */
export function maintenanceEvents(view: CellView): FleetEvent[] {
  const leftOn = view.maintenance.leftOn;
  if (!view.maintenance.enabled || !leftOn || view.currentUpdate) return [];
  const cellId = view.spec.id;
  return [
    {
      id: `cell.left-in-maintenance/${cellId}/${leftOn.since}`,
      type: 'cell.left-in-maintenance',
      at: leftOn.since,
      cellId,
      text: `🛑 ${cellId} is in maintenance mode with no update running (${leftOn.reason}, since ${leftOn.since}): its users are locked out until it is turned off`,
      data: { since: leftOn.since, reason: leftOn.reason, version: view.version ?? null },
    },
  ];
}

/**
 * A reminder of an update that still needs attention, every `everyHours` after it first did: the
 * nth reminder's id is its own, so each is sent once whoever computes it.
 */
export function needsAttentionReminder(progress: UpdateProgress, since: string, at: Date, everyHours: number): FleetEvent | undefined {
  const n = Math.floor((at.getTime() - Date.parse(since)) / (everyHours * 3_600_000));
  if (progress.status !== 'needs-attention' || n < 1) return undefined;
  const what = `update ${progress.id} of ${progress.cellId} (${progress.fromVersion ?? 'nothing'} → ${progress.toVersion})`;
  return {
    id: `update.needs-attention/${progress.id}/reminder-${n}`,
    type: 'update.needs-attention',
    at: at.toISOString(),
    cellId: progress.cellId,
    text: `⚠️ reminder ${n}: ${what} has needed attention for ${n * everyHours} h: ${progress.error ?? 'an undo keeps failing'} (retry or abandon it)`,
    data: { updateId: progress.id, status: progress.status, reminder: n, since, toVersion: progress.toVersion, ...(progress.error ? { error: progress.error } : {}) },
  };
}

// What the fleet tells webhook subscribers: an event per change someone may need to act on, with a
// Slack-compatible `text`. Which change makes which event is decided here, from the read model's
// before and after.
import type { UpdateProgress } from './update';

export const EVENT_TYPES = [
  'update.started',
  'update.succeeded',
  'update.failed',
  'update.rolled-back',
  'update.needs-attention',
  'rollout.halted',
  'rollout.finished',
  'rollout.vetoed',
  'sla.at-risk',
  'sla.out',
  'debug-access.requested',
  'debug-access.decided',
  'debug-access.ended',
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

/** The event an update's change of status makes, if any (a first write is its start). */
export function updateEvent(previous: string | undefined, progress: UpdateProgress): FleetEvent | undefined {
  if (previous === progress.status) return undefined;
  const what = `update ${progress.id} of ${progress.cellId} (${progress.fromVersion ?? 'nothing'} → ${progress.toVersion}, ${progress.strategy})`;
  const base = { cellId: progress.cellId, data: { updateId: progress.id, status: progress.status, fromVersion: progress.fromVersion ?? null, toVersion: progress.toVersion, strategy: progress.strategy, ...(progress.error ? { error: progress.error } : {}) } };
  const event = (type: EventType, text: string): FleetEvent => ({ id: `${type}/${progress.id}`, type, at: progress.endedAt ?? new Date().toISOString(), text, ...base });
  if (previous === undefined) return { ...event('update.started', `${what} started`), at: progress.startedAt };
  switch (progress.status) {
    case 'succeeded':
      return event('update.succeeded', `✅ ${what} succeeded`);
    case 'failed':
    case 'cancelled':
    case 'rejected':
      return event('update.failed', `❌ ${what} ${progress.status}${progress.error ? `: ${progress.error}` : ''}`);
    case 'rolled-back':
      return event('update.rolled-back', `↩️ ${what} rolled back${progress.error ? `: ${progress.error}` : ''}`);
    case 'needs-attention':
      return { ...event('update.needs-attention', `⚠️ ${what} needs attention: ${progress.error ?? 'an undo keeps failing'} (retry or abandon it)`), at: new Date().toISOString() };
    default:
      return undefined;
  }
}

/** The event a cell's SLA moving to at-risk or out makes. */
export function slaEvent(cellId: string, previous: string | undefined, sla: string): FleetEvent | undefined {
  if (previous === sla || (sla !== 'at-risk' && sla !== 'out-of-sla')) return undefined;
  const type: EventType = sla === 'at-risk' ? 'sla.at-risk' : 'sla.out';
  const at = new Date().toISOString();
  return { id: `${type}/${cellId}/${at}`, type, at, cellId, text: sla === 'at-risk' ? `⏳ ${cellId}: its infrastructure update is due soon (SLA at risk)` : `🚨 ${cellId}: its infrastructure update is overdue (out of SLA); app updates are held`, data: { sla, previous: previous ?? null } };
}

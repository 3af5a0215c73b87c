// The two-week rule for infrastructure updates, as pure time arithmetic on epoch milliseconds.

export type SlaStatus = 'in-sla' | 'at-risk' | 'out-of-sla';

export const DAY_MS = 24 * 3600 * 1000;
/** Under this much time left, the cell is at risk of falling out of its SLA. */
export const AT_RISK_MS = 2 * DAY_MS;
/** Reminders before the deadline. */
export const REMINDERS_MS = [7 * DAY_MS, 2 * DAY_MS, 1 * DAY_MS];

export function slaStatus(now: number, deadline: number): SlaStatus {
  if (now >= deadline) return 'out-of-sla';
  if (deadline - now < AT_RISK_MS) return 'at-risk';
  return 'in-sla';
}

/**
 * The reminders not sent yet, soonest first. One whose moment had passed when the update was
 * published is dropped: the publication notice said as much.
 */
export function pendingReminders(publishedAt: number, deadline: number, sent: number[]): { daysBefore: number; at: number }[] {
  return REMINDERS_MS.map((before) => ({ daysBefore: before / DAY_MS, at: deadline - before }))
    .filter((r) => r.at >= publishedAt && !sent.includes(r.daysBefore))
    .sort((a, b) => a.at - b.at);
}

/** The next moment the infra update has something to do: a reminder, the at-risk mark, the deadline, or a stack check. */
export function nextInfraEvent(now: number, publishedAt: number, deadline: number, sent: number[], nextCheck: number): number {
  const moments = [nextCheck, ...pendingReminders(publishedAt, deadline, sent).map((r) => r.at)];
  if (now < deadline - AT_RISK_MS) moments.push(deadline - AT_RISK_MS);
  if (now < deadline) moments.push(deadline);
  return Math.min(...moments.filter((m) => m > now), Number.POSITIVE_INFINITY);
}

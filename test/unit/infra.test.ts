import { describe, expect, it } from 'vitest';
import { DAY_MS, nextInfraEvent, pendingReminders, slaStatus } from '../../src/domain/infra';

const published = Date.parse('2026-11-01T00:00:00Z');
const deadline = published + 14 * DAY_MS;

describe('the two-week rule', () => {
  it('is in-sla, then at-risk under 2 days, then out-of-sla at the deadline', () => {
    expect(slaStatus(published, deadline)).toBe('in-sla');
    expect(slaStatus(deadline - 2 * DAY_MS - 1, deadline)).toBe('in-sla');
    expect(slaStatus(deadline - 2 * DAY_MS + 1, deadline)).toBe('at-risk');
    expect(slaStatus(deadline, deadline)).toBe('out-of-sla');
  });

  it('reminds 7, 2 and 1 days before, once each, skipping those already past at publication', () => {
    expect(pendingReminders(published, deadline, []).map((r) => r.daysBefore)).toEqual([7, 2, 1]);
    expect(pendingReminders(published, deadline, [7]).map((r) => r.daysBefore)).toEqual([2, 1]);
    expect(pendingReminders(deadline - 3 * DAY_MS, deadline, []).map((r) => r.daysBefore)).toEqual([2, 1]);
  });

  it('wakes at the next reminder, the at-risk mark, the deadline or the next check, whichever comes first', () => {
    const farCheck = deadline + 30 * DAY_MS;
    expect(nextInfraEvent(published, published, deadline, [], farCheck)).toBe(deadline - 7 * DAY_MS);
    expect(nextInfraEvent(deadline - 7 * DAY_MS, published, deadline, [7], farCheck)).toBe(deadline - 2 * DAY_MS);
    expect(nextInfraEvent(deadline - DAY_MS, published, deadline, [7, 2, 1], farCheck)).toBe(deadline);
    expect(nextInfraEvent(published, published, deadline, [], published + 3600_000)).toBe(published + 3600_000);
  });
});

import { describe, expect, it } from 'vitest';
import { breakingRefusal, plannedFromRefusal } from '../../src/domain/preflight';

const release = (breaking: boolean) => ({ version: '2.0.0', components: { server: 'server:2.0.0' }, breaking });

describe('preflight refusals', () => {
  it('refuses a breaking release only where the strategy cannot take one, naming the strategies that can', () => {
    expect(breakingRefusal(release(true), true)).toMatch(/release 2\.0\.0 is breaking: .*maintenance-window or staging-first/);
    expect(breakingRefusal(release(true), false)).toBeUndefined();
    expect(breakingRefusal(release(false), true)).toBeUndefined();
  });

  it('refuses when the cell moved away from the version the update was planned from', () => {
    expect(plannedFromRefusal('1.1.0', '1.1.0')).toBeUndefined();
    expect(plannedFromRefusal(undefined, undefined)).toBeUndefined();
    expect(plannedFromRefusal('1.2.0', '1.1.0')).toBe('cell runs 1.2.0, but the update was planned from 1.1.0');
    expect(plannedFromRefusal(undefined, '1.1.0')).toBe('cell runs nothing, but the update was planned from 1.1.0');
  });
});

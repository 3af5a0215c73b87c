import { describe, expect, it } from 'vitest';
import { failsOn, meetFault, type Faults } from '../../src/domain/faults';

describe('injected faults', () => {
  it('counts the calls of a step with a fault, and fails the first `times` of fail-times', () => {
    const faults: Faults = { apply: { mode: 'fail-times', times: 2 } };
    let calls = {};
    const outcomes: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const met = meetFault(faults, calls, 'apply');
      calls = met.calls ?? calls;
      outcomes.push(failsOn(met.fault!, met.call));
    }
    expect(outcomes).toEqual([true, true, false, false]);
    expect(calls).toEqual({ apply: 4 });
  });

  it('counts nothing for a step without a fault or with mode none, and fail always fails', () => {
    expect(meetFault({ pull: { mode: 'none' } } as Faults, {}, 'pull').calls).toBeUndefined();
    expect(meetFault({} as Faults, {}, 'verify')).toEqual({ fault: undefined, call: 1 });
    expect(failsOn({ mode: 'fail' }, 100)).toBe(true);
    expect(failsOn({ mode: 'fail-times' }, 2)).toBe(false);
    expect(failsOn({ mode: 'hang' }, 1)).toBe(false);
  });
});

// Fault injection for simulated cells: per step, a mode and an optional latency.

export const FAULT_STEPS = ['preflight', 'maintenanceOn', 'pull', 'apply', 'verify', 'maintenanceOff', 'rollback', 'health', 'collect'] as const;
export type FaultStep = (typeof FAULT_STEPS)[number];
export type FaultMode = 'none' | 'fail' | 'fail-times' | 'hang';

export interface Fault {
  mode: FaultMode;
  /** for fail-times: how many calls fail before the step works again */
  times?: number;
  latencyMs?: number;
  /** for health: unhealthy only while one of these components runs an image other than its last verified one (a bad new image) */
  components?: string[];
}

export type Faults = Partial<Record<FaultStep, Fault>>;

/** What every injected fault has, on a simulated cell or stack. */
export interface FaultRule {
  mode: FaultMode;
  times?: number;
  latencyMs?: number;
}

/** The calls of each step counted since its fault was set. */
export type FaultCalls<S extends string> = Partial<Record<S, number>>;

/**
 * One call of `step` meets its fault: the call's number, and the counters to keep when it counts
 * (a step without a fault, or with mode `none`, counts nothing).
 */
export function meetFault<S extends string, F extends FaultRule>(faults: Partial<Record<S, F>>, calls: FaultCalls<S>, step: S): { fault?: F; call: number; calls?: FaultCalls<S> } {
  const fault = faults[step];
  const call = (calls[step] ?? 0) + 1;
  if (!fault || fault.mode === 'none') return { fault, call };
  return { fault, call, calls: { ...calls, [step]: call } };
}

/** Whether call number `call` fails under `fault` (`fail`: always; `fail-times`: the first `times`, one by default). */
export function failsOn(fault: FaultRule, call: number): boolean {
  return fault.mode === 'fail' || (fault.mode === 'fail-times' && call <= (fault.times ?? 1));
}

// Fault injection for simulated cells: per step, a mode and an optional latency.

export const FAULT_STEPS = ['preflight', 'maintenanceOn', 'pull', 'apply', 'verify', 'maintenanceOff', 'rollback', 'health'] as const;
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

import type { Faults, FaultStep } from '../../domain/faults';
import type { AppliedConfig } from '../../domain/ports';

/** Everything a simulated cell's cluster holds, kept on disk so it outlives the worker. */
export interface SimCell {
  cellId: string;
  version?: string;
  components: Record<string, string>;
  /** components as of the last verified rollout: a health fault with `components` compares against these */
  stableComponents: Record<string, string>;
  maintenance: boolean;
  /** feature flags as the product reads them */
  flags?: Record<string, boolean>;
  /** node name → images cached on that node */
  nodes: Record<string, string[]>;
  rollout: 'idle' | 'progressing' | 'complete';
  /** what each apply replaced (by update id, or update id and batch), for its rollback */
  applied: Record<string, { previousVersion?: string; previousComponents: Record<string, string>; previousConfig?: AppliedConfig; rolledBack: boolean }>;
  /** the configuration the cell's objects were rendered with (src/domain/config.ts) */
  config?: AppliedConfig;
  /** the names of the Secrets the cell holds (its customer's; a configuration may refer to them) */
  secrets?: string[];
  faults: Faults;
  /** calls per step since its fault was set, for fail-times */
  faultCalls: Partial<Record<FaultStep, number>>;
  /** every change, in order: tests and operators read what really happened */
  log: SimEvent[];
  /** debug grants in force, by number: their scope, expiry and the SHA-256 of their token */
  debugGrants?: Record<string, { namespace: string; role: string; expiresAt: string; tokenSha256: string }>;
}

export interface SimEvent {
  at: string;
  op: 'register' | 'maintenance-on' | 'maintenance-off' | 'pull' | 'apply' | 'rollback' | 'debug-grant' | 'debug-revoke';
  version?: string;
  /** the key an apply was recorded under: the update id, with `#<batch>` for a live update's batch */
  updateId?: string;
  node?: string;
  components?: string[];
  /** a debug grant's number */
  grant?: number;
}

export const SIM_NODES = ['node-1', 'node-2', 'node-3'];
/** The log keeps its last entries only, so a long-lived simulated cell stays small. */
export const SIM_LOG_LIMIT = 500;

import type { Ring } from './release';

/** One operator decision about a flag, for a ring or for one cell. */
export interface FlagRule {
  scope: 'ring' | 'cell';
  target: string;
  enabled: boolean;
  setBy: string;
  at: string;
}

/** A flag's value on a cell, and where it came from. */
export interface CellFlag {
  enabled: boolean;
  /** `cell`, `ring:<ring>`, or `default` (off until enabled) */
  source: string;
}

/**
 * The flags a cell runs with: every flag its installed release declares, off unless a rule says
 * otherwise; a rule for the cell wins over one for its ring. A flag its release does not declare
 * is not pushed: the cell gets it when it arrives on a release that has it.
 */
export function effectiveFlags(
  cell: { id: string; ring: Ring },
  declared: string[],
  rules: Record<string, FlagRule[]>,
): Record<string, CellFlag> {
  const flags: Record<string, CellFlag> = {};
  for (const flag of [...declared].sort()) {
    const forFlag = rules[flag] ?? [];
    const own = forFlag.find((r) => r.scope === 'cell' && r.target === cell.id);
    const ring = forFlag.find((r) => r.scope === 'ring' && r.target === cell.ring);
    if (own) flags[flag] = { enabled: own.enabled, source: 'cell' };
    else if (ring) flags[flag] = { enabled: ring.enabled, source: `ring:${cell.ring}` };
    else flags[flag] = { enabled: false, source: 'default' };
  }
  return flags;
}

/** Replaces the rule of the same scope and target, keeping the others. */
export function withRule(rules: FlagRule[], rule: FlagRule): FlagRule[] {
  return [...rules.filter((r) => !(r.scope === rule.scope && r.target === rule.target)), rule];
}

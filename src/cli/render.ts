// What the CLI prints for people: aligned tables, an update's steps, a rollout's rings. `-o json`
// prints the API's JSON instead, for scripts.
import type { RolloutProgress } from '../domain/rollout';
import type { UpdateProgress } from '../domain/update';

/** Columns padded to their widest cell; `-` for an empty one. */
export function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

const MARK: Record<string, string> = { pending: '·', running: '▶', succeeded: '✓', failed: '✗', skipped: '-', held: '‖', 'rolled-back': '↺' };

/** An update: its status, then each step with its attempts and error, then what was undone. */
export function renderUpdate(u: UpdateProgress): string {
  const lines = [`update ${u.id}  ${u.cellId}  ${u.fromVersion ?? 'nothing'} → ${u.toVersion}  (${u.strategy})  ${u.status.toUpperCase()}`];
  if (u.window && u.status === 'scheduled') lines.push(`  waits for its window: ${u.window.startsAt} – ${u.window.endsAt}`);
  if (u.decisionDeadline && u.status === 'waiting-approval') lines.push(`  waits for approval until ${u.decisionDeadline}`);
  for (const step of u.steps) {
    const attempts = step.attempts > 1 ? ` (attempt ${step.attempts})` : '';
    lines.push(`  ${MARK[step.status] ?? ' '} ${step.name.padEnd(16)} ${step.status}${attempts}${step.detail ? `  ${step.detail}` : ''}`);
    if (step.error) lines.push(`      ${step.error}`);
  }
  if (u.compensations.length > 0) {
    lines.push('  undone:');
    for (const c of u.compensations) lines.push(`  ${MARK[c.status] ?? ' '} ${c.name.padEnd(16)} ${c.status}${c.attempts > 1 ? ` (attempt ${c.attempts})` : ''}${c.error ? `  ${c.error}` : ''}`);
  }
  if (u.error) lines.push(`  error: ${u.error}`);
  return lines.join('\n');
}

/** A rollout: status and counts, then per ring its state and each cell's. */
export function renderRollout(r: RolloutProgress): string {
  const c = r.counts;
  const lines = [
    `rollout ${r.id}  ${r.rollback ? `rollback from ${r.version}` : r.version}  ${r.status.toUpperCase()}  ${c.succeeded} succeeded, ${c.running} running, ${c.pending} pending, ${c.failed} failed, ${c.held} held`,
  ];
  if (r.haltReason) lines.push(`  halted: ${r.haltReason}`);
  if (r.veto) lines.push(`  vetoed by ${r.veto.by}: ${r.veto.reason}`);
  for (const ring of r.rings) {
    lines.push(`  ${ring.ring.padEnd(10)} ${ring.state}${ring.health ? `  (${ring.health})` : ''}`);
    for (const cell of ring.cells ?? []) lines.push(`    ${MARK[cell.state] ?? ' '} ${cell.id.padEnd(24)} ${cell.state}${cell.error ? `  ${cell.error}` : ''}`);
  }
  return lines.join('\n');
}

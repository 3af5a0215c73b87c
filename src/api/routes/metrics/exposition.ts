// /metrics in Prometheus' text format, computed at each scrape from the read model and Temporal's
// visibility: every API replica answers the same numbers, and none is lost with a process. Written
// here because these are aggregates read whole at each scrape (a histogram's buckets included),
// which prom-client's metric types, accumulated in the process, cannot be set to.
import type { Client } from '@temporalio/client';
import type { CellReadModel } from '../../../adapters/db/cell-read-model';
import type { UpdateReadModel } from '../../../adapters/db/update-read-model';
import { FINAL_STATUSES, type UpdateStatus } from '../../../domain/update';
import { activeGrants } from '../../../workflows/debug/client';
import { runningRollouts } from '../../../workflows/rollout/client';

/** Update durations (from start to end, a maintenance window's wait included), in seconds. */
export const DURATION_BUCKETS = [10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600];

type Labels = Record<string, string>;

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
    this.lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${Number.isInteger(value) ? value : value.toFixed(3)}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export async function renderMetrics(cells: CellReadModel, updates: UpdateReadModel, temporal: Client, taskQueue: string): Promise<string> {
  const out = new Exposition();
  const [cellCounts, leftOn, stats, rollouts, grants] = await Promise.all([
    cells.counts(),
    cells.leftInMaintenance(),
    updates.stats(DURATION_BUCKETS),
    temporal.workflow.count(runningRollouts(taskQueue)),
    temporal.workflow.count(activeGrants(taskQueue)),
  ]);

  out.family('cellshift_cells', 'gauge', 'Cells by ring, installed version, state, SLA and agent status (direct: no agent).');
  for (const { count, ...labels } of cellCounts) out.sample('cellshift_cells', labels, count);

  out.family('cellshift_cell_left_in_maintenance_since_seconds', 'gauge', 'Cells in maintenance mode with no update running (their users locked out), by cell: when the controller found it so, as a Unix time.');
  for (const { id, ring, since } of leftOn) out.sample('cellshift_cell_left_in_maintenance_since_seconds', { cell: id, ring }, Date.parse(since) / 1000);

  const final = (status: string) => FINAL_STATUSES.includes(status as UpdateStatus);
  const started = new Map<string, number>();
  for (const row of stats.byStatus) started.set(row.strategy, (started.get(row.strategy) ?? 0) + row.count);
  out.family('cellshift_updates_started_total', 'counter', 'Updates started, by strategy.');
  for (const [strategy, count] of started) out.sample('cellshift_updates_started_total', { strategy }, count);
  out.family('cellshift_updates_finished_total', 'counter', 'Updates ended, by strategy and outcome (succeeded, rolled-back, cancelled, rejected, failed).');
  for (const row of stats.byStatus.filter((r) => final(r.status))) out.sample('cellshift_updates_finished_total', { strategy: row.strategy, outcome: row.status }, row.count);
  out.family('cellshift_updates_running', 'gauge', 'Updates not ended, by strategy and status (scheduled, running, waiting-approval, needs-attention, …).');
  for (const row of stats.byStatus.filter((r) => !final(r.status))) out.sample('cellshift_updates_running', { strategy: row.strategy, status: row.status }, row.count);

  out.family('cellshift_update_duration_seconds', 'histogram', 'How long ended updates took, from start to end (a wait for the maintenance window included), by strategy and outcome.');
  for (const row of stats.durations) {
    const labels = { strategy: row.strategy, outcome: row.status };
    DURATION_BUCKETS.forEach((le, i) => out.sample('cellshift_update_duration_seconds_bucket', { ...labels, le: String(le) }, row.le[i]));
    out.sample('cellshift_update_duration_seconds_bucket', { ...labels, le: '+Inf' }, row.count);
    out.sample('cellshift_update_duration_seconds_sum', labels, row.sum);
    out.sample('cellshift_update_duration_seconds_count', labels, row.count);
  }

  out.family('cellshift_rollouts_in_flight', 'gauge', 'Fleet rollouts running (paused, halted and waiting for approval included).');
  out.sample('cellshift_rollouts_in_flight', {}, rollouts.count);
  out.family('cellshift_debug_access_active', 'gauge', 'Emergency debug grants in force.');
  out.sample('cellshift_debug_access_active', {}, grants.count);
  return out.toString();
}

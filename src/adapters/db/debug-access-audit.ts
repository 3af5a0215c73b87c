import type { DebugAccessEvent, DebugAccessTrail, DebugScope } from '../../domain/debug-access';
import type { Db } from './database';

/** One request's trail as the audit read gives it: its workflow run, what was asked, every step. */
export interface AuditedRequest {
  id: string;
  n: number;
  workflowId: string;
  runId: string;
  scope: DebugScope;
  durationMinutes: number;
  events: (DebugAccessEvent & { recordedAt: string })[];
}

/**
 * The audit trail of debug access: every step of every request (who asked, who decided what and
 * why, when it was granted and ended, and why it ended), kept after the workflow's history is gone
 * with its namespace's retention. Append-only: a step is written once, by its workflow run and its
 * place in the request's events (a retried write adds nothing, a later one only what is new), and
 * never changed or deleted here.
 */
export class DebugAccessAudit {
  constructor(private readonly db: Db) {}

  /** Appends the steps of `trail` not yet recorded for this workflow run. */
  static async append(db: Db, run: { workflowId: string; runId: string }, trail: DebugAccessTrail): Promise<void> {
    if (trail.events.length === 0) return;
    const rows = trail.events.map((e, seq) => ({
      run_id: run.runId,
      seq,
      workflow_id: run.workflowId,
      cell_id: trail.cellId,
      n: trail.n,
      namespace: trail.scope.namespace,
      role: trail.scope.role,
      duration_minutes: trail.durationMinutes,
      event: e.event,
      actor: e.by,
      at: e.at,
      reason: e.reason ?? null,
    }));
    await db.insertInto('debug_access_audit').values(rows).onConflict((c) => c.columns(['run_id', 'seq']).doNothing()).execute();
  }

  /** The cell's requests (or its request `n`), oldest first, each with its steps in order. */
  async requests(cellId: string, n?: number): Promise<AuditedRequest[]> {
    let query = this.db.selectFrom('debug_access_audit').selectAll().where('cell_id', '=', cellId);
    if (n !== undefined) query = query.where('n', '=', n);
    const rows = await query.orderBy('n').orderBy('run_id').orderBy('seq').execute();
    const byRun = new Map<string, AuditedRequest>();
    for (const r of rows) {
      let request = byRun.get(r.run_id);
      if (!request) {
        request = { id: `${r.cell_id}/${r.n}`, n: r.n, workflowId: r.workflow_id, runId: r.run_id, scope: { namespace: r.namespace, role: r.role as DebugScope['role'] }, durationMinutes: Number(r.duration_minutes), events: [] };
        byRun.set(r.run_id, request);
      }
      request.events.push({ event: r.event as DebugAccessEvent['event'], by: r.actor, at: r.at.toISOString(), ...(r.reason ? { reason: r.reason } : {}), recordedAt: r.recorded_at.toISOString() });
    }
    return [...byRun.values()];
  }

  /** The highest request number the trail holds for the cell (0: none): numbers are not given twice, even once histories are gone. */
  async lastNumber(cellId: string): Promise<number> {
    const row = await this.db.selectFrom('debug_access_audit').select((eb) => eb.fn.max('n').as('n')).where('cell_id', '=', cellId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}

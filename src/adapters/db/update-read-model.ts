import { sql } from 'kysely';
import type { UpdateProgress } from '../../domain/update';
import { needsAttentionReminder, updateEvents } from '../../domain/events';
import type { Db } from './database';
import { WebhookStore } from './webhooks';

/** The read model of updates: each update's progress as its workflow last wrote it, ordered by revision. */
export class UpdateReadModel {
  constructor(private readonly db: Db) {}

  /**
   * Writes the update's progress unless a later revision is there. A workflow's write (revision
   * above 0) also queues the event its status makes for webhook subscribers: its start with its
   * first write, its end with its last. Each event has one id per update and is queued once, so a
   * write repeated after a crash still queues it, and never twice.
   */
  async write(progress: UpdateProgress, revision: number): Promise<void> {
    const row = { cell_id: progress.cellId, status: progress.status, view: JSON.stringify(progress), revision, updated_at: new Date().toISOString() };
    await this.db
      .insertInto('updates')
      .values({ id: progress.id, ...row })
      .onConflict((c) => c.column('id').doUpdateSet(row).where('updates.revision', '<', String(revision)))
      .execute();
    if (revision > 0) await WebhookStore.enqueue(this.db, updateEvents(progress, revision));
  }

  /**
   * Queues a reminder of every update that still needs attention, `everyHours` apart from when it
   * first did (its last write: an update waiting for an operator writes nothing more). Each
   * reminder has its own id, so whoever runs this, and however often, it is sent once.
   */
  static async queueNeedsAttentionReminders(db: Db, at: Date, everyHours: number): Promise<void> {
    const rows = await db.selectFrom('updates').select(['view', 'updated_at']).where('status', '=', 'needs-attention').execute();
    await WebhookStore.enqueue(db, rows.flatMap((r) => needsAttentionReminder(r.view, new Date(r.updated_at).toISOString(), at, everyHours) ?? []));
  }

  /** The update's progress, and whether its workflow wrote it (revision 1 on) or only a rebuild did (0). */
  async get(id: string): Promise<{ view: UpdateProgress; fromWorkflow: boolean } | undefined> {
    const row = await this.db.selectFrom('updates').select(['view', 'revision']).where('id', '=', id).executeTakeFirst();
    return row && { view: row.view, fromWorkflow: Number(row.revision) > 0 };
  }

  /** The updates to `version` that wait: for a maintenance window yet to open, or for an approval. */
  /** The updates waiting to start (scheduled, or waiting for an approval): of one cell, of one release, or all. */
  async waiting(filter: { cellId?: string; version?: string } = {}): Promise<string[]> {
    let query = this.db.selectFrom('updates').select('id').where('status', 'in', ['scheduled', 'waiting-approval']);
    if (filter.cellId) query = query.where(sql<string>`view->>'cellId'`, '=', filter.cellId);
    if (filter.version) query = query.where(sql<string>`view->>'toVersion'`, '=', filter.version);
    return (await query.orderBy('id').execute()).map((r) => r.id);
  }

  async waitingFor(version: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('updates')
      .select('id')
      .where(sql<boolean>`(status = 'waiting-approval' or (status = 'scheduled' and (view->'window'->>'startsAt')::timestamptz > now()))`)
      .where(sql<string>`view->>'toVersion'`, '=', version)
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * The updates by strategy and status, and the durations of the ended ones counted into `buckets`
   * (seconds, ascending), with their sum: for /metrics, the same from every API replica.
   */
  async stats(buckets: number[]): Promise<{ byStatus: { strategy: string; status: string; count: number }[]; durations: { strategy: string; status: string; le: number[]; count: number; sum: number }[] }> {
    const byStatus = await this.db
      .selectFrom('updates')
      .select([sql<string>`view->>'strategy'`.as('strategy'), 'status', sql<string>`count(*)`.as('count')])
      .groupBy([sql`1`, 'status'])
      .execute();
    const seconds = sql<number>`extract(epoch from ((view->>'endedAt')::timestamptz - (view->>'startedAt')::timestamptz))`;
    const durations = await this.db
      .selectFrom('updates')
      .select([
        sql<string>`view->>'strategy'`.as('strategy'),
        'status',
        ...buckets.map((b, i) => sql<string>`count(*) filter (where ${seconds} <= ${b})`.as(`le${i}`)),
        sql<string>`count(*)`.as('count'),
        sql<string>`coalesce(sum(${seconds}), 0)`.as('sum'),
      ])
      .where(sql<boolean>`view->>'endedAt' is not null`)
      .groupBy([sql`1`, 'status'])
      .execute();
    return {
      byStatus: byStatus.map((r) => ({ strategy: r.strategy, status: r.status, count: Number(r.count) })),
      durations: durations.map((r) => {
        const row = r as unknown as Record<string, string>;
        return { strategy: r.strategy, status: r.status, le: buckets.map((_, i) => Number(row[`le${i}`])), count: Number(r.count), sum: Number(r.sum) };
      }),
    };
  }
}

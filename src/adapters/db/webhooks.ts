import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { EventType, FleetEvent } from '../../domain/events';
import type { Db } from './database';

export interface Webhook {
  id: string;
  url: string;
  events: EventType[];
  createdBy: string;
  createdAt: string;
}

export interface Delivery {
  id: string;
  url: string;
  secret: string;
  event: FleetEvent;
  attempts: number;
}

/** How long a delivery is tried before it is given up: a day, backing off to an hour between attempts. */
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
const BACKOFF_MS = (attempt: number) => Math.min(3_600_000, 2_000 * 2 ** Math.min(attempt, 20));

/** Webhook subscriptions and their deliveries: an outbox written with each change, taken by the delivery workflow. */
export class WebhookStore {
  constructor(private readonly db: Db) {}

  async create(url: string, events: EventType[], secret: string, by: string): Promise<Webhook> {
    const row = { id: randomUUID(), url, events: JSON.stringify(events), secret, created_by: by, created_at: new Date().toISOString() };
    await this.db.insertInto('webhooks').values(row).execute();
    return { id: row.id, url, events, createdBy: by, createdAt: row.created_at };
  }

  async list(): Promise<Webhook[]> {
    const rows = await this.db.selectFrom('webhooks').select(['id', 'url', 'events', 'created_by', 'created_at']).orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, url: r.url, events: r.events as EventType[], createdBy: r.created_by, createdAt: r.created_at.toISOString() }));
  }

  /** Deletes a subscription and its pending deliveries; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const deleted = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return Number(deleted.numDeletedRows) > 0;
  }

  /**
   * A delivery of each event to every subscription that wants it, once: an event already queued
   * (its id) is not queued again, so a write repeated (an activity retried) tells nothing twice.
   * One statement per event, no transaction: on the embedded database a transaction holds every
   * other client.
   */
  static async enqueue(db: Db, events: FleetEvent[]): Promise<void> {
    for (const event of events) {
      await sql`insert into webhook_deliveries (webhook_id, event, next_attempt_at)
        select id, ${JSON.stringify(event)}::jsonb, now() from webhooks where events @> ${JSON.stringify([event.type])}::jsonb
        on conflict (webhook_id, (event->>'id')) do nothing`.execute(db);
    }
  }

  /** Deliveries whose next attempt is due, oldest first. */
  async due(limit: number): Promise<Delivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select(['d.id', 'w.url', 'w.secret', 'd.event', 'd.attempts'])
      .where('d.delivered_at', 'is', null)
      .where('d.given_up_at', 'is', null)
      .where('d.next_attempt_at', '<=', sql<Date>`now()`)
      .orderBy('d.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: String(r.id), url: r.url, secret: r.secret, event: r.event, attempts: r.attempts }));
  }

  /** When the next pending delivery is due (undefined: none pending). */
  async nextDueAt(): Promise<number | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').select(sql<Date | null>`min(next_attempt_at)`.as('at')).where('delivered_at', 'is', null).where('given_up_at', 'is', null).executeTakeFirst();
    return row?.at ? new Date(row.at).getTime() : undefined;
  }

  async delivered(id: string): Promise<void> {
    await this.db.updateTable('webhook_deliveries').set({ delivered_at: new Date().toISOString(), attempts: sql`attempts + 1` as unknown as number }).where('id', '=', id).execute();
  }

  /** A failed attempt: tried again after a backoff, or given up a day after the event. */
  async failed(delivery: Delivery, error: string): Promise<void> {
    const attempts = delivery.attempts + 1;
    const giveUp = Date.now() - Date.parse(delivery.event.at) > GIVE_UP_AFTER_MS;
    await this.db
      .updateTable('webhook_deliveries')
      .set({ attempts, last_error: error.slice(0, 500), next_attempt_at: new Date(Date.now() + BACKOFF_MS(attempts)).toISOString(), ...(giveUp ? { given_up_at: new Date().toISOString() } : {}) })
      .where('id', '=', delivery.id)
      .execute();
  }

  /** Each delivery of a subscription, newest first: what an operator reads when a receiver says it heard nothing. */
  async deliveries(webhookId: string, limit = 50): Promise<{ id: string; type: string; attempts: number; deliveredAt: string | null; givenUp: boolean; lastError: string | null }[]> {
    const rows = await this.db.selectFrom('webhook_deliveries').select(['id', 'event', 'attempts', 'delivered_at', 'given_up_at', 'last_error']).where('webhook_id', '=', webhookId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ id: String(r.id), type: r.event.type, attempts: r.attempts, deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null, givenUp: r.given_up_at !== null, lastError: r.last_error }));
  }
}

import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Keyring } from '../../crypto/keyring';
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
  webhookId: string;
  url: string;
  /** the subscription's secret as stored, encrypted: `secretOf` opens it */
  secret: StoredSecret;
  event: FleetEvent;
  attempts: number;
}

/** A secret as its row holds it: ciphertext under `keyId`, or (`keyId` null) a secret 0.1.0 kept in clear. */
interface StoredSecret {
  keyId: string | null;
  value: string;
}

/** What `encryptSecrets` did: rows encrypted under the current key, and rows under keys it lacks, by key. */
export interface SecretsPass {
  keyId: string;
  encrypted: number;
  unreadable: Record<string, number>;
}

/** A ciphertext opens only in its own row: the subscription's id is its additional data. */
const secretContext = (webhookId: string) => `cellshift webhook secret ${webhookId}`;

/** How long a delivery is tried before it is given up: a day, backing off to an hour between attempts. */
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
const BACKOFF_MS = (attempt: number) => Math.min(3_600_000, 2_000 * 2 ** Math.min(attempt, 20));

/**
 * Webhook subscriptions and their deliveries: an outbox written with each change, taken by the
 * delivery workflow. Secrets are kept encrypted with the keyring's current key, never in clear.
 */
export class WebhookStore {
  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
  ) {}

  async create(url: string, events: EventType[], secret: string, by: string): Promise<Webhook> {
    const id = randomUUID();
    const encrypted = this.keyring.encrypt(secret, secretContext(id));
    const row = { id, url, events: JSON.stringify(events), secret: encrypted.ciphertext, secret_key_id: encrypted.keyId, created_by: by, created_at: new Date().toISOString() };
    await this.db.insertInto('webhooks').values(row).execute();
    return { id, url, events, createdBy: by, createdAt: row.created_at };
  }

  /** The secret a delivery is signed with; throws (naming the key, never a secret) when this process lacks its key. */
  secretOf(delivery: Delivery): string {
    const { keyId, value } = delivery.secret;
    return keyId === null ? value : this.keyring.decrypt({ keyId, ciphertext: value }, secretContext(delivery.webhookId));
  }

  /**
   * Encrypts under the current key every secret kept in clear (0.1.0's rows) or under an older key:
   * run at every API start, so a new current key takes over every row. A row changed meanwhile (by
   * another replica) is left to it; a row under a key this process lacks is counted, not touched.
   */
  async encryptSecrets(): Promise<SecretsPass> {
    const keyId = this.keyring.currentId;
    const rows = await this.db
      .selectFrom('webhooks')
      .select(['id', 'secret', 'secret_key_id'])
      .where((eb) => eb.or([eb('secret_key_id', 'is', null), eb('secret_key_id', '!=', keyId)]))
      .execute();
    const pass: SecretsPass = { keyId, encrypted: 0, unreadable: {} };
    for (const row of rows) {
      let secret: string;
      try {
        secret = row.secret_key_id === null ? row.secret : this.keyring.decrypt({ keyId: row.secret_key_id, ciphertext: row.secret }, secretContext(row.id));
      } catch {
        pass.unreadable[row.secret_key_id!] = (pass.unreadable[row.secret_key_id!] ?? 0) + 1;
        continue;
      }
      const encrypted = this.keyring.encrypt(secret, secretContext(row.id));
      const updated = await this.db.updateTable('webhooks').set({ secret: encrypted.ciphertext, secret_key_id: encrypted.keyId }).where('id', '=', row.id).where('secret', '=', row.secret).executeTakeFirst();
      pass.encrypted += Number(updated.numUpdatedRows);
    }
    return pass;
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
      .select(['d.id', 'd.webhook_id', 'w.url', 'w.secret', 'w.secret_key_id', 'd.event', 'd.attempts'])
      .where('d.delivered_at', 'is', null)
      .where('d.given_up_at', 'is', null)
      .where('d.next_attempt_at', '<=', sql<Date>`now()`)
      .orderBy('d.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: String(r.id), webhookId: r.webhook_id, url: r.url, secret: { keyId: r.secret_key_id, value: r.secret }, event: r.event, attempts: r.attempts }));
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

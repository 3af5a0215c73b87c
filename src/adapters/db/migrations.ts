// The schema, as migrations run in order at start by every process that opens the database (the
// worker and the API); Kysely's migrator takes a lock, so two starting at once run each once.
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { splitRelease } from '../../crypto/release-digest';
import type { Release } from '../../domain/release';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('releases')
        .addColumn('version', 'text', (c) => c.primaryKey())
        // json, not jsonb: a manifest keeps its keys' order (components are applied in it)
        .addColumn('manifest', 'json', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('rings', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('published_at', 'timestamptz', (c) => c.notNull())
        .addColumn('seq', 'bigserial', (c) => c.notNull())
        // who vetoed the release, when and why: never offered or installed again
        .addColumn('veto', 'jsonb')
        .execute();
      await db.schema
        .createTable('flag_rules')
        .addColumn('flag', 'text', (c) => c.primaryKey())
        .addColumn('rules', 'jsonb', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('bootstrap_tokens')
        .addColumn('cell_id', 'text', (c) => c.primaryKey())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('issued_by', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('used_at', 'timestamptz')
        .execute();
      // The read model: each cell's view as its controller last wrote it (Temporal stays the truth).
      await db.schema
        .createTable('cells')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('ring', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('version', 'text')
        .addColumn('desired_version', 'text')
        .addColumn('sla', 'text', (c) => c.notNull())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('current_update', 'text')
        // an agent cell's agent as last seen polling its queue (the presence sweep's, not the controller's)
        .addColumn('agent_status', 'text')
        .addColumn('agent_seen_at', 'timestamptz')
        .addColumn('agent_version', 'text')
        .addColumn('view', 'json', (c) => c.notNull())
        .addColumn('revision', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      for (const column of ['ring', 'state', 'version', 'sla', 'agent_status']) {
        await db.schema.createIndex(`cells_${column}`).on('cells').columns([column, 'id']).execute();
      }
      // … and each update's progress as its workflow last wrote it.
      await db.schema
        .createTable('updates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('view', 'json', (c) => c.notNull())
        .addColumn('revision', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('updates_cell').on('updates').columns(['cell_id', 'id']).execute();
      // What every replica must agree on (the key that signs page tokens), made once.
      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002-webhooks': {
    async up(db: Kysely<unknown>) {
      // Who is told of what: a URL, the events it wants, the secret its deliveries are signed with.
      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'jsonb', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      // One row per event and subscription, written with the change it tells of; sent until it is taken.
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        .addColumn('event', 'jsonb', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
        .addColumn('delivered_at', 'timestamptz')
        .addColumn('given_up_at', 'timestamptz')
        .addColumn('last_error', 'text')
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['next_attempt_at']).where(sql.ref('delivered_at'), 'is', null).execute();
      // An event is queued once per subscription, however often the write that makes it is repeated.
      await sql`create unique index webhook_deliveries_once on webhook_deliveries (webhook_id, (event->>'id'))`.execute(db);
    },
  },
  '0003-webhook-secret-keys': {
    async up(db: Kysely<unknown>) {
      // The key a webhook's secret is encrypted under (src/crypto/keyring.ts); null: a secret 0.1.0
      // kept in clear, encrypted by the next API to start (WebhookStore.encryptSecrets).
      await db.schema.alterTable('webhooks').addColumn('secret_key_id', 'text').execute();
    },
  },
  '0005-removed-cells': {
    async up(db: Kysely<unknown>) {
      // A removed cell's last view and its updates, kept when it leaves the read model (its id may be registered again).
      await db.schema
        .createTable('removed_cells')
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'timestamptz', (c) => c.notNull())
        .addColumn('removed_by', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('view', 'json', (c) => c.notNull())
        .addColumn('updates', 'json', (c) => c.notNull())
        // the next update number its controller would have used: a cell registered again under the id goes on from it
        .addColumn('next_update', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('removed_cells_pk', ['cell_id', 'removed_at'])
        .execute();
    },
  },
  '0006-debug-access-audit': {
    async up(db: Kysely<unknown>) {
      // Every step of every debug access request, kept after its workflow's history is gone;
      // appended once per (workflow run, step), never changed (src/adapters/db/debug-access-audit.ts).
      await db.schema
        .createTable('debug_access_audit')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('duration_minutes', 'double precision', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('debug_access_audit_pk', ['run_id', 'seq'])
        .execute();
      await db.schema.createIndex('debug_access_audit_cell').on('debug_access_audit').columns(['cell_id', 'n', 'seq']).execute();
    },
  },
  '0007-agent-credentials': {
    async up(db: Kysely<unknown>) {
      // cellshift's agent CA, made once by whichever process starts first: its certificate, and its
      // key and the task-token key encrypted under the secrets keyring (src/crypto/keyring.ts).
      await db.schema
        .createTable('agent_authority')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('ca_certificate', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('ca_key', 'text', (c) => c.notNull())
        .addColumn('task_token_key', 'text', (c) => c.notNull())
        .execute();
      // Every client certificate issued to a cell's agent: current until it expires or is revoked.
      await db.schema
        .createTable('agent_credentials')
        .addColumn('serial', 'text', (c) => c.primaryKey())
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
        .addColumn('not_after', 'timestamptz', (c) => c.notNull())
        .addColumn('issued_for', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('revoked_because', 'text')
        .execute();
      await db.schema.createIndex('agent_credentials_cell').on('agent_credentials').columns(['cell_id']).execute();
    },
  },
  '0008-release-contents': {
    async up(db: Kysely<unknown>) {
      // A release's manifests, stored once by the digest of their canonical JSON: the catalog row
      // keeps the release's document (what is signed) and its digest, never the manifests.
      await db.schema
        .createTable('release_contents')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('objects', 'jsonb', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('releases').addColumn('digest', 'text').execute();
      // Releases published before: their manifests move out of the row.
      const { rows } = await sql<{ version: string; manifest: Release }>`select version, manifest from releases`.execute(db);
      for (const row of rows) {
        const split = splitRelease(row.manifest);
        if (split.content) {
          await sql`insert into release_contents (digest, content, bytes, objects) values (${split.content.digest}, ${split.content.text}, ${Buffer.byteLength(split.content.text)}, ${JSON.stringify(split.content.objects)}::jsonb) on conflict do nothing`.execute(db);
        }
        await sql`update releases set manifest = ${JSON.stringify(split.document)}::json, digest = ${split.digest} where version = ${row.version}`.execute(db);
      }
      await sql`alter table releases alter column digest set not null`.execute(db);
    },
  },
  '0009-agent-release-grants': {
    async up(db: Kysely<unknown>) {
      // The releases a cell's tasks named, as the agent endpoint handed the tasks out: the only ones it serves that cell's agent.
      await db.schema
        .createTable('agent_release_grants')
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('agent_release_grants_pk', ['cell_id', 'digest'])
        .execute();
    },
  },
  '0010-release-signatures': {
    async up(db: Kysely<unknown>) {
      // The vendor's signature over the release's digest (src/crypto/release-signature.ts); cells check it.
      await db.schema.alterTable('releases').addColumn('signature', 'jsonb').execute();
    },
  },
  '0011-cell-config': {
    async up(db: Kysely<unknown>) {
      // Each cell's configuration values, one row per revision (an update renders the revision it names);
      // a secret item's value is a reference to a Secret in the cell, never its content.
      await db.schema
        .createTable('cell_config_revisions')
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('values', 'jsonb', (c) => c.notNull())
        .addColumn('set_by', 'text', (c) => c.notNull())
        .addColumn('set_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('cell_config_revisions_pk', ['cell_id', 'revision'])
        .execute();
      // Every change of one item: who, when, old and new. Kept when the cell is removed.
      await db.schema
        .createTable('cell_config_changes')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('item', 'text', (c) => c.notNull())
        .addColumn('old_value', 'jsonb')
        .addColumn('new_value', 'jsonb')
        .addColumn('changed_by', 'text', (c) => c.notNull())
        .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cell_config_changes_cell').on('cell_config_changes').columns(['cell_id', 'revision']).execute();
    },
  },
  '0012-support-bundles': {
    async up(db: Kysely<unknown>) {
      // Support bundles: each collection of a cell's evidence (asked, consented, collected or not),
      // and its bytes when stored in the database (the embedded default; S3 keeps them otherwise).
      await db.schema
        .createTable('support_bundles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('update_id', 'text')
        .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
        .addColumn('collected_at', 'timestamptz')
        .addColumn('expires_at', 'timestamptz')
        .addColumn('bytes', 'bigint')
        .addColumn('digest', 'text')
        .addColumn('findings', 'jsonb')
        .addColumn('manifest', 'jsonb')
        .addColumn('error', 'text')
        .addUniqueConstraint('support_bundles_cell_n', ['cell_id', 'n'])
        .addUniqueConstraint('support_bundles_workflow', ['workflow_id'])
        .execute();
      await db.schema
        .createTable('support_bundle_blobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('data', 'bytea', (c) => c.notNull())
        .execute();
      // What each cell's customer allows: operators' requests, collection when an update fails, retention, redactions.
      await db.schema
        .createTable('support_bundle_policies')
        .addColumn('cell_id', 'text', (c) => c.primaryKey())
        .addColumn('policy', 'jsonb', (c) => c.notNull())
        .addColumn('set_by', 'text', (c) => c.notNull())
        .addColumn('set_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
  '0013-change-contract': {
    async up(db: Kysely<unknown>) {
      // The customer's change contract: blackouts (a cell's; fleet-wide freezes have no cell),
      // postponements, and the notice each cell was given of an update. Removed rows stay, for audit.
      await db.schema
        .createTable('contract_blackouts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cell_id', 'text')
        .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
        .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('set_by', 'text', (c) => c.notNull())
        .addColumn('set_by_role', 'text', (c) => c.notNull())
        .addColumn('set_at', 'timestamptz', (c) => c.notNull())
        .addColumn('removed_by', 'text')
        .addColumn('removed_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('contract_postponements')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('until', 'timestamptz', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('set_by', 'text', (c) => c.notNull())
        .addColumn('set_at', 'timestamptz', (c) => c.notNull())
        .addColumn('removed_by', 'text')
        .addColumn('removed_at', 'timestamptz')
        .execute();
      // An emergency release, as an admin marked it: it overrides windows, postponements and blackouts but `all`.
      await db.schema.alterTable('releases').addColumn('emergency', 'jsonb').execute();
      // What an emergency release's update overrode in a cell (a blackout, a postponement, the notice): the audit record.
      await db.schema
        .createTable('contract_overrides')
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('overrode', 'jsonb', (c) => c.notNull())
        .addPrimaryKeyConstraint('contract_overrides_pk', ['cell_id', 'version'])
        .execute();
      await db.schema
        .createTable('contract_notices')
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('given_at', 'timestamptz', (c) => c.notNull())
        .addColumn('starts_at', 'timestamptz')
        .addColumn('why', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('contract_notices_pk', ['cell_id', 'version'])
        .execute();
    },
  },
};

/** Brings the schema up to date; an error names the migration that failed. */
export async function migrate(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
}

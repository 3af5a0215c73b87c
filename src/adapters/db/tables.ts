// cellshift's own tables (everything outside Temporal), as Kysely sees them. JSON columns hold
// documents the domain defines; timestamps are ISO strings in `timestamptz` columns.
import type { ColumnType, Generated } from 'kysely';
import type { CellView } from '../../domain/cell';
import type { ConfigValue, ConfigValues } from '../../domain/config';
import type { FlagRule } from '../../domain/flags';
import type { ReleaseEmergency, ReleaseVeto, ReleaseDocument, ReleaseObject, ReleaseSource, Ring } from '../../domain/release';
import type { UpdateProgress } from '../../domain/update';
import type { FleetEvent } from '../../domain/events';
import type { ReleaseSignature } from '../../crypto/release-signature';

/** A timestamptz read back as a Date by `pg`, written as an ISO string. */
type Timestamp = ColumnType<Date, string, string>;

export interface ReleasesTable {
  version: string;
  /** the release's document: everything but its manifests, which it names by their digest */
  manifest: ColumnType<ReleaseDocument, string, never>;
  /** the document's digest */
  digest: string;
  /** the vendor's signature over the digest, when it was published signed */
  signature: ColumnType<ReleaseSignature | null, string | null, never>;
  source: ReleaseSource;
  rings: ColumnType<Ring[], string, string>;
  published_at: Timestamp;
  /** orders the catalog as published (versions sort in code: semver and calendar versions) */
  seq: Generated<number>;
  veto: ColumnType<ReleaseVeto | null, never, string>;
  emergency: ColumnType<ReleaseEmergency | null, never, string>;
}

export interface FlagRulesTable {
  flag: string;
  rules: ColumnType<FlagRule[], string, string>;
}

export interface BootstrapTokensTable {
  cell_id: string;
  sha256: string;
  issued_by: string;
  issued_at: Timestamp;
  expires_at: Timestamp;
  used_at: ColumnType<Date | null, string | null, string | null>;
}

/** Releases' manifests, stored once by the digest of their canonical JSON. */
export interface ReleaseContentsTable {
  digest: string;
  content: string;
  bytes: number;
  objects: ColumnType<ReleaseObject[], string, never>;
}

/** Cells removed: the last view and the updates of each, kept for audit. */
export interface RemovedCellsTable {
  cell_id: string;
  removed_at: Timestamp;
  removed_by: string;
  reason: string | null;
  view: ColumnType<CellView, string, string>;
  updates: ColumnType<UpdateProgress[], string, string>;
  next_update: number;
}

/** The read model of cells: columns to filter on, the whole view to answer with. */
export interface CellsTable {
  id: string;
  ring: string;
  state: string;
  version: string | null;
  desired_version: string | null;
  sla: string;
  connection: string;
  current_update: string | null;
  agent_status: ColumnType<string | null, string | undefined, string>;
  agent_seen_at: ColumnType<Date | null, string | undefined, string | null>;
  agent_version: ColumnType<string | null, string | undefined, string | null>;
  view: ColumnType<CellView, string, string>;
  revision: ColumnType<string, number, number>;
  updated_at: Timestamp;
}

/** The read model of updates: each update's progress as its workflow last wrote it. */
export interface UpdatesTable {
  id: string;
  cell_id: string;
  status: string;
  view: ColumnType<UpdateProgress, string, string>;
  revision: ColumnType<string, number, number>;
  updated_at: Timestamp;
}

export interface SettingsTable {
  name: string;
  value: string;
}

export interface WebhooksTable {
  id: string;
  url: string;
  events: ColumnType<string[], string, string>;
  /** encrypted: base64url(nonce ‖ ciphertext ‖ tag) under `secret_key_id` (in clear where that is null: 0.1.0's rows, until encrypted) */
  secret: string;
  secret_key_id: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  webhook_id: string;
  event: ColumnType<FleetEvent, string, string>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  delivered_at: ColumnType<Date | null, string | undefined, string | null>;
  given_up_at: ColumnType<Date | null, string | undefined, string | null>;
  last_error: ColumnType<string | null, string | undefined, string | null>;
}

/** The debug access audit trail: one row per step of a request, appended once, never changed. */
export interface DebugAccessAuditTable {
  run_id: string;
  seq: number;
  workflow_id: string;
  cell_id: string;
  n: number;
  namespace: string;
  role: string;
  duration_minutes: number;
  event: string;
  actor: string;
  at: Timestamp;
  reason: string | null;
  recorded_at: ColumnType<Date, never, never>;
}

/** cellshift's agent CA: one row. */
export interface AgentAuthorityTable {
  id: string;
  ca_certificate: string;
  /** the keyring key both secrets are encrypted under */
  key_id: string;
  ca_key: string;
  task_token_key: string;
}

/** The client certificates issued to cells' agents. */
export interface AgentCredentialsTable {
  serial: string;
  cell_id: string;
  issued_at: Timestamp;
  not_after: Timestamp;
  /** registration or renewal */
  issued_for: string;
  revoked_at: ColumnType<Date | null, string | undefined, string | null>;
  revoked_because: ColumnType<string | null, string | undefined, string | null>;
}

/** The releases (by document digest) a cell's tasks named, as the agent endpoint handed them out. */
export interface AgentReleaseGrantsTable {
  cell_id: string;
  digest: string;
  granted_at: Timestamp;
}

/** A cell's configuration values, one row per revision. */
export interface CellConfigRevisionsTable {
  cell_id: string;
  revision: number;
  values: ColumnType<ConfigValues, string, string>;
  set_by: string;
  set_at: Timestamp;
}

/** Every change of one configuration item of a cell (a secret item's is a Secret's name and key). */
export interface CellConfigChangesTable {
  id: Generated<string>;
  cell_id: string;
  revision: number;
  item: string;
  old_value: ColumnType<ConfigValue | null, string | null, string | null>;
  new_value: ColumnType<ConfigValue | null, string | null, string | null>;
  changed_by: string;
  changed_at: Timestamp;
}

/** A support bundle: its request, consent and collection (the findings and manifest once collected). */
export interface SupportBundlesTable {
  id: string;
  cell_id: string;
  n: number;
  workflow_id: string;
  status: string;
  trigger: string;
  requested_by: string;
  reason: string | null;
  update_id: string | null;
  requested_at: Timestamp;
  collected_at: ColumnType<Date | null, string | null | undefined, string | null>;
  expires_at: ColumnType<Date | null, string | null | undefined, string | null>;
  bytes: ColumnType<string | null, number | null | undefined, number | null>;
  digest: string | null;
  findings: ColumnType<unknown, string | null | undefined, string | null>;
  manifest: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
}

/** A support bundle's bytes, when the database keeps them. */
export interface SupportBundleBlobsTable {
  id: string;
  data: Uint8Array;
}

/** What a cell's customer allows of support bundles. */
export interface SupportBundlePoliciesTable {
  cell_id: string;
  policy: ColumnType<unknown, string, string>;
  set_by: string;
  set_at: Timestamp;
}

export interface ContractBlackoutsTable {
  id: string;
  cell_id: string | null;
  starts_at: Timestamp;
  ends_at: Timestamp;
  scope: string;
  reason: string;
  set_by: string;
  set_by_role: string;
  set_at: Timestamp;
  removed_by: string | null;
  removed_at: ColumnType<Date | null, string | null, string | null>;
}

export interface ContractPostponementsTable {
  id: string;
  cell_id: string;
  until: Timestamp;
  reason: string;
  set_by: string;
  set_at: Timestamp;
  removed_by: string | null;
  removed_at: ColumnType<Date | null, string | null, string | null>;
}

export interface ContractOverridesTable {
  cell_id: string;
  version: string;
  at: Timestamp;
  overrode: ColumnType<unknown, string, string>;
}

export interface ContractNoticesTable {
  cell_id: string;
  version: string;
  given_at: Timestamp;
  starts_at: ColumnType<Date | null, string | null, string | null>;
  why: string;
}

export interface Tables {
  releases: ReleasesTable;
  release_contents: ReleaseContentsTable;
  flag_rules: FlagRulesTable;
  bootstrap_tokens: BootstrapTokensTable;
  settings: SettingsTable;
  cells: CellsTable;
  updates: UpdatesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  removed_cells: RemovedCellsTable;
  agent_authority: AgentAuthorityTable;
  agent_credentials: AgentCredentialsTable;
  agent_release_grants: AgentReleaseGrantsTable;
  debug_access_audit: DebugAccessAuditTable;
  cell_config_revisions: CellConfigRevisionsTable;
  cell_config_changes: CellConfigChangesTable;
  support_bundles: SupportBundlesTable;
  support_bundle_blobs: SupportBundleBlobsTable;
  support_bundle_policies: SupportBundlePoliciesTable;
  contract_blackouts: ContractBlackoutsTable;
  contract_postponements: ContractPostponementsTable;
  contract_notices: ContractNoticesTable;
  contract_overrides: ContractOverridesTable;
}

import { BootstrapTokens } from '../adapters/agents/bootstrap-tokens';
import { AgentCredentials } from '../adapters/agents/credentials';
import { bundleFiles } from '../adapters/bundles/bundle-files';
import { BundleStore } from '../adapters/bundles/bundle-store';
import { SqlReleaseCatalog } from '../adapters/catalog/sql-catalog';
import { CellConfigStore } from '../adapters/db/cell-config';
import { ChangeContracts } from '../adapters/db/change-contract';
import { loadConfig } from '../config';
import { CellReadModel } from '../adapters/db/cell-read-model';
import { DebugAccessAudit } from '../adapters/db/debug-access-audit';
import type { Db } from '../adapters/db/database';
import { sharedSecret } from '../adapters/db/settings';
import { SupportBundles } from '../adapters/db/support-bundles';
import { supportBundleBlobs } from '../adapters/bundles/support-bundle-blobs';
import { UpdateReadModel } from '../adapters/db/update-read-model';
import { WebhookStore, type SecretsPass } from '../adapters/db/webhooks';
import { FlagStore } from '../adapters/flags/flag-store';
import { loadKeyring } from '../crypto/keyring';
import { PageTokens } from './http/page-tokens';

/**
 * What the API reads and writes outside Temporal, over one database and data directory: built the
 * same way wherever an API runs. Each start encrypts webhook secrets under the current key.
 */
export async function apiStores(db: Db, dataDir: string, env: NodeJS.ProcessEnv = process.env, agentCredentialMinutes?: number) {
  const catalog = new SqlReleaseCatalog(db);
  const keyring = loadKeyring(dataDir, env);
  const webhooks = new WebhookStore(db, keyring);
  tellOf(await webhooks.encryptSecrets());
  const stores = {
    /** the releases cells may run, and the rings each is promoted to */
    catalog,
    /** uploaded release bundles for air-gapped cells */
    bundles: new BundleStore(catalog, bundleFiles(dataDir)),
    /** feature-flag rules per ring and per cell */
    flags: new FlagStore(db),
    /** signs and checks the page tokens of every paged list */
    pageTokens: new PageTokens(await sharedSecret(db, 'page-token-key')),
    /** the read model of cells the lists serve from */
    cells: new CellReadModel(db),
    /** the read model of updates */
    updates: new UpdateReadModel(db),
    /** webhook subscriptions and their deliveries */
    webhooks,
    /** the debug access audit trail, kept after the workflows' histories */
    debugAudit: new DebugAccessAudit(db),
    /** each cell's configuration values, by revision, and their change log */
    configs: new CellConfigStore(db),
    /** support bundles' records and their customers' policies */
    supportBundles: new SupportBundles(db),
    /** support bundles' bytes: the database, or the S3 bundle store */
    supportBundleBlobs: supportBundleBlobs(db, env),
    /** the customer's change contract: blackouts, freezes, postponements, notices */
    contracts: new ChangeContracts(db, loadConfig(env).noticeDays),
  };
  return {
    /** decorated on the app by these names: every route may read them */
    stores,
    /** agents' one-time bootstrap tokens (the agent routes' own) */
    bootstrapTokens: new BootstrapTokens(db),
    /** the certificates issued to agents (the agent routes' and the agent endpoint's) */
    agentCredentials: await AgentCredentials.open(db, keyring, agentCredentialMinutes),
  };
}

/** The stores every route may read, decorated on the app. */
export type ApiStores = Awaited<ReturnType<typeof apiStores>>['stores'];

/** One line when the pass changed something, or found secrets under a key this process lacks (key ids and counts only). */
function tellOf(pass: SecretsPass): void {
  if (pass.encrypted > 0) console.error(`webhook secrets: ${pass.encrypted} encrypted under key ${pass.keyId}`);
  const unreadable = Object.entries(pass.unreadable);
  if (unreadable.length > 0) console.error(`webhook secrets: ${unreadable.map(([key, n]) => `${n} under key ${key}`).join(', ')}, which this process lacks or cannot open: their deliveries fail until CELLSHIFT_SECRETS_KEY holds it`);
}

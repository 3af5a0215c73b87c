import { BootstrapTokens } from '../adapters/agents/bootstrap-tokens';
import { bundleFiles } from '../adapters/bundles/bundle-files';
import { BundleStore } from '../adapters/bundles/bundle-store';
import { SqlReleaseCatalog } from '../adapters/catalog/sql-catalog';
import { CellReadModel } from '../adapters/db/cell-read-model';
import type { Db } from '../adapters/db/database';
import { sharedSecret } from '../adapters/db/settings';
import { UpdateReadModel } from '../adapters/db/update-read-model';
import { WebhookStore } from '../adapters/db/webhooks';
import { FlagStore } from '../adapters/flags/flag-store';
import { PageTokens } from './page-tokens';

/** What the API reads and writes outside Temporal, over one database and data directory: built the same way wherever an API runs. */
export async function apiStores(db: Db, dataDir: string) {
  const catalog = new SqlReleaseCatalog(db);
  return {
    catalog,
    bundles: new BundleStore(catalog, bundleFiles(dataDir)),
    flags: new FlagStore(db),
    pageTokens: new PageTokens(await sharedSecret(db, 'page-token-key')),
    cells: new CellReadModel(db),
    updates: new UpdateReadModel(db),
    webhooks: new WebhookStore(db),
    bootstrapTokens: new BootstrapTokens(db),
  };
}

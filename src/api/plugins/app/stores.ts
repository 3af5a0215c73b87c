import fp from 'fastify-plugin';
import type { BundleStore } from '../../../adapters/bundles/bundle-store';
import type { CellConfigStore } from '../../../adapters/db/cell-config';
import type { CellReadModel } from '../../../adapters/db/cell-read-model';
import type { DebugAccessAudit } from '../../../adapters/db/debug-access-audit';
import type { UpdateReadModel } from '../../../adapters/db/update-read-model';
import type { WebhookStore } from '../../../adapters/db/webhooks';
import type { FlagStore } from '../../../adapters/flags/flag-store';
import type { ReleaseCatalog } from '../../../domain/ports';
import type { PageTokens } from '../../page-tokens';

declare module 'fastify' {
  interface FastifyInstance {
    /** the releases cells may run, and the rings each is promoted to */
    catalog: ReleaseCatalog;
    /** uploaded release bundles for air-gapped cells */
    bundles: BundleStore;
    /** feature-flag rules per ring and per cell */
    flags: FlagStore;
    /** signs and checks the page tokens of every paged list */
    pageTokens: PageTokens;
    /** the read model of cells the lists serve from */
    cells: CellReadModel;
    /** the read model of updates */
    updates: UpdateReadModel;
    /** webhook subscriptions and their deliveries */
    webhooks: WebhookStore;
    /** the debug access audit trail, kept after the workflows' histories */
    debugAudit: DebugAccessAudit;
    /** each cell's configuration values, by revision, and their change log */
    configs: CellConfigStore;
  }
}

export interface StoresOptions {
  catalog: ReleaseCatalog;
  bundles: BundleStore;
  flags: FlagStore;
  pageTokens: PageTokens;
  cells: CellReadModel;
  updates: UpdateReadModel;
  webhooks: WebhookStore;
  debugAudit: DebugAccessAudit;
  configs: CellConfigStore;
}

/** What the API reads and writes outside Temporal: the release catalog, bundles, flag rules; and how its pages are signed. */
export default fp<StoresOptions>(
  async (app, stores) => {
    for (const [name, store] of Object.entries(stores)) app.decorate(name, store as unknown);
  },
  { name: 'stores' },
);

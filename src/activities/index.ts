// Every activity the worker registers, built over the adapters it injects. Workflows import the
// types of each group (ClusterActivities, …) and proxy exactly the activities they call.
import type { Client } from '@temporalio/client';
import type { Keyring } from '../crypto/keyring';
import type { VendorKeys } from '../crypto/release-signature';
import type { BundleStore } from '../adapters/bundles/bundle-store';
import type { CellReadModel } from '../adapters/db/cell-read-model';
import type { UpdateReadModel } from '../adapters/db/update-read-model';
import type { FlagStore } from '../adapters/flags/flag-store';
import type { WebhookTargetPolicy } from '../adapters/notify/webhook-target';
import type { Notifier, ReleaseCatalog } from '../domain/ports';
import { createCatalogActivities } from './releases/activities';
import { createContractActivities } from './contract/activities';
import type { ChangeContracts } from '../adapters/db/change-contract';
import type { AgentPolicy } from '../domain/agent';
import { createCellActivities } from './cell/activities';
import { createCellRemovalActivities } from './cell/removal';
import { createClusterActivities, type ClusterResolver } from './update/activities';
import type { CellConfigStore } from '../adapters/db/cell-config';
import { createConfigActivities } from './cell/config';
import { createFlagActivities } from './cell/flags';
import { createFleetActivities } from './rollout/activities';
import { createInfraActivities, type StackResolver } from './infra/activities';
import { createReadModelActivities } from './read-model/activities';
import { createVetoActivities } from './veto/activities';
import { createSupportBundleCollection, createSupportBundleRecords, storeUpload } from './support-bundle/activities';
import type { SupportBundles } from '../adapters/db/support-bundles';
import type { SupportBundleBlobs } from '../adapters/bundles/support-bundle-blobs';
import { createWebhookActivities } from './webhooks/activities';
import { WebhookStore } from '../adapters/db/webhooks';
import type { Db } from '../adapters/db/database';

export interface ActivityDependencies {
  resolveCluster: ClusterResolver;
  catalog: ReleaseCatalog;
  bundles: BundleStore;
  flags: FlagStore;
  client: Client;
  resolveStack: StackResolver;
  notifier: Notifier;
  agents: AgentPolicy;
  cellReadModel: CellReadModel;
  updateReadModel: UpdateReadModel;
  db: Db;
  /** where webhook deliveries may go */
  webhookTargets: WebhookTargetPolicy;
  /** opens webhook secrets (src/crypto/keyring.ts) */
  keyring: Keyring;
  /** the vendor's release keys: with any, steps apply signed releases only */
  vendorKeys?: VendorKeys;
  /** each cell's configuration values, by revision */
  configs: CellConfigStore;
  /** support bundles' records and their customers' policies, and their bytes */
  supportBundles: SupportBundles;
  supportBundleBlobs: SupportBundleBlobs;
  /** who collects a direct cell's bundles: this worker */
  collectedBy: string;
  /** the customer's change contract: blackouts, freezes, postponements, notices */
  contracts: ChangeContracts;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createClusterActivities(deps.resolveCluster, { releases: deps.catalog, bundles: deps.bundles, vendorKeys: deps.vendorKeys, configs: deps.configs, stacks: deps.resolveStack }),
    ...createCatalogActivities(deps.catalog),
    ...createContractActivities(deps.contracts, deps.catalog, deps.cellReadModel),
    ...createConfigActivities(deps.configs, deps.catalog),
    ...createCellActivities(deps.client, deps.agents),
    ...createCellRemovalActivities(deps.client, deps.db),
    ...createFleetActivities(deps.client, deps.resolveCluster, deps.catalog, deps.cellReadModel, deps.contracts),
    ...createFlagActivities(deps.flags, deps.catalog, deps.resolveCluster),
    ...createInfraActivities(deps.resolveStack, deps.notifier),
    ...createReadModelActivities(deps.cellReadModel, deps.updateReadModel, deps.client, deps.agents),
    ...createVetoActivities(deps.client, deps.catalog, deps.updateReadModel),
    ...createSupportBundleCollection(deps.resolveCluster, storeUpload(deps.supportBundleBlobs), deps.collectedBy),
    ...createSupportBundleRecords(deps.supportBundles, deps.supportBundleBlobs, deps.updateReadModel),
    ...createWebhookActivities(new WebhookStore(deps.db, deps.keyring), deps.db, deps.webhookTargets),
  };
}

export type { CatalogActivities } from './releases/activities';
export type { ContractActivities } from './contract/activities';
export type { CellActivities } from './cell/activities';
export type { CellRemovalActivities } from './cell/removal';
export type { ConfigActivities } from './cell/config';
export type { ClusterActivities } from './update/activities';
export type { FlagActivities } from './cell/flags';
export type { FleetActivities } from './rollout/activities';
export type { InfraActivities } from './infra/activities';
export type { ReadModelActivities } from './read-model/activities';
export type { VetoActivities } from './veto/activities';
export type { WebhookActivities } from './webhooks/activities';
export type { SupportBundleCollection, SupportBundleRecords } from './support-bundle/activities';

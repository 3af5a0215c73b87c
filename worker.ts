// `npm run worker`: wires config → adapters → activities → a Temporal worker on the task queue.
import { ChangeContracts } from './src/adapters/db/change-contract';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { Client } from '@temporalio/client';
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './src/activities';
import { bundleFiles } from './src/adapters/bundles/bundle-files';
import { BundleStore } from './src/adapters/bundles/bundle-store';
import { SqlReleaseCatalog } from './src/adapters/catalog/sql-catalog';
import { CellReadModel } from './src/adapters/db/cell-read-model';
import { openDatabase, type Db } from './src/adapters/db/database';
import { UpdateReadModel } from './src/adapters/db/update-read-model';
import { CellConfigStore } from './src/adapters/db/cell-config';
import { FlagStore } from './src/adapters/flags/flag-store';
import { LogNotifier } from './src/adapters/notify/log-notifier';
import { WebhookNotifier } from './src/adapters/notify/webhook-notifier';
import { STRICT_WEBHOOK_TARGETS, type WebhookTargetPolicy } from './src/adapters/notify/webhook-target';
import { SimulatedStack } from './src/adapters/simulated/stack';
import type { StackRef } from './src/domain/ports';
import { SimulatedCluster } from './src/adapters/simulated/cluster';
import { databaseUrl, loadConfig } from './src/config';
import { loadKeyring } from './src/crypto/keyring';
import { VendorKeys } from './src/crypto/release-signature';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from './src/domain/agent';
import type { ClusterRef } from './src/domain/cell';
import { startAgentPresenceSweep } from './src/workflows/agents/client';
import { startWebhookDelivery } from './src/workflows/webhooks/client';
import { connectClient, connectWorker, ensureSearchAttributes } from './src/workflows/client';
import { endWithParent } from './src/lifecycle';
import { hostname } from 'node:os';
import { SupportBundles } from './src/adapters/db/support-bundles';
import { supportBundleBlobs } from './src/adapters/bundles/support-bundle-blobs';

export const WORKFLOWS_PATH = join(dirname(fileURLToPath(import.meta.url)), 'src', 'workflows', 'index.ts');

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataDir: string;
  /** for activities that ask other cells' controllers */
  client: Client;
  /** cellshift's database: the release catalog and the flag rules */
  db: Db;
  /** a pre-built bundle (tests build it once); the worker bundles src/workflows itself otherwise */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * How many workflows the worker keeps in memory between their tasks (default: the SDK's, from
   * the heap size). A fleet has one controller per cell, mostly idle: bounding the cache bounds
   * memory, and an evicted controller is replayed from its (short) history when it next wakes.
   */
  maxCachedWorkflows?: number;
  /**
   * Whether the worker takes up the patches a workflow meets in a run not started under them
   * (default: yes, as Temporal does). Tests answer no to run workflows as the release before did.
   */
  patchActivationCallback?: WorkerOptions['patchActivationCallback'];
  /** when an agent counts as offline, and the oldest agent the workflows drive (defaults: the domain's) */
  agents?: AgentPolicy;
  /** where webhook deliveries may go (default: public https addresses only) */
  webhookTargets?: WebhookTargetPolicy;
}

/** The adapters behind the activities, chosen per cell by its cluster reference. */
export function buildActivities(dataDir: string, client: Client, db: Db, agents: AgentPolicy = DEFAULT_AGENT_POLICY, webhookTargets: WebhookTargetPolicy = STRICT_WEBHOOK_TARGETS) {
  const simulated = new SimulatedCluster(dataDir);
  const catalog = new SqlReleaseCatalog(db);
  // Loaded on first use: @kubernetes/client-node alone is about 100 MB of a worker's memory, which
  // a fleet without Kubernetes cells need not pay (nor one without AWS stacks for the AWS SDK).
  const kubernetes = onFirstUse(async () => new (await import('./src/adapters/kubernetes/cluster')).KubernetesCluster({ prePull: loadConfig().prePull }));
  const resolveCluster = async (ref: ClusterRef) => (ref.kind === 'kubernetes' ? kubernetes() : simulated);
  const simulatedStack = new SimulatedStack(dataDir);
  const awsStack = onFirstUse(async () => new (await import('./src/adapters/aws/stack')).AwsStack());
  const resolveStack = async (ref: StackRef) => (ref.kind === 'aws' ? awsStack() : simulatedStack);
  // Contacts hear of infra updates through a webhook when one is configured, the log otherwise.
  const notifier = process.env.CELLSHIFT_NOTIFY_WEBHOOK_URL ? new WebhookNotifier(process.env.CELLSHIFT_NOTIFY_WEBHOOK_URL) : new LogNotifier(dataDir);
  return createActivities({
    resolveCluster,
    catalog,
    bundles: new BundleStore(catalog, bundleFiles(dataDir)),
    flags: new FlagStore(db),
    client,
    resolveStack,
    notifier,
    agents,
    cellReadModel: new CellReadModel(db),
    updateReadModel: new UpdateReadModel(db),
    db,
    webhookTargets,
    keyring: loadKeyring(dataDir),
    // The vendor's keys (CELLSHIFT_RELEASE_KEYS): with any, a step on a cell reached directly applies signed releases only.
    vendorKeys: new VendorKeys(loadConfig().releaseKeys),
    configs: new CellConfigStore(db),
    supportBundles: new SupportBundles(db),
    contracts: new ChangeContracts(db, loadConfig().noticeDays),
    supportBundleBlobs: supportBundleBlobs(db),
    collectedBy: `control-plane worker ${hostname()}`,
  });
}

/** A value made once, when first asked for. */
function onFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

export function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: buildActivities(setup.dataDir, setup.client, setup.db, setup.agents, setup.webhookTargets),
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: '5s',
    ...(setup.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: setup.maxCachedWorkflows } : {}),
    ...(setup.patchActivationCallback ? { patchActivationCallback: setup.patchActivationCallback } : {}),
  });
}

async function main(): Promise<void> {
  endWithParent();
  const config = loadConfig();
  // The SDK's runtime metrics (task slots, poll and schedule-to-start latencies, workflow and
  // activity outcomes) served by the SDK itself; installed before the first connection.
  if (config.workerMetricsAddress) Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: config.workerMetricsAddress } } } });
  const clientConnection = await connectClient(config);
  await ensureSearchAttributes(clientConnection, config.namespace);
  const client = new Client({ connection: clientConnection, namespace: config.namespace });
  const connection = await connectWorker(config);
  const db = await openDatabase(databaseUrl(config));
  const worker = await createWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    dataDir: config.dataDir,
    client,
    db,
    maxCachedWorkflows: config.maxCachedWorkflows,
    agents: { offlineAfterSeconds: config.agentOfflineAfterSeconds, minVersion: config.minAgentVersion },
    webhookTargets: config.webhookTargets,
    // Bundling at start runs webpack in this process, and its memory stays: production uses a bundle built beforehand.
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}),
  });
  await startAgentPresenceSweep(client, config.taskQueue, config.agentOfflineAfterSeconds);
  await startWebhookDelivery(client, config.taskQueue);
  console.error(`cellshift worker on task queue ${config.taskQueue}, data in ${config.dataDir}`);
  await worker.run();
  await connection.close();
  await clientConnection.close();
  await db.destroy();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

// `npm run agent -- --cell <id>`: a cell's agent. An activity-only Temporal worker that runs inside
// the cell, polls the cell's own task queue (cell/<id>) through cellshift's agent endpoint (one
// outgoing connection, mutual TLS with the cell's own short-lived certificate; the agent never
// reaches Temporal), and runs every step on the cell's cluster and stack with the cell's own
// credentials: the ServiceAccount of the pod it runs in (or `--kubeconfig <file>`), the stack's AWS
// credentials from its environment or instance role. The control plane holds none of them. First
// started, it registers with a one-time bootstrap token and the CA hash that came with it (an
// outgoing HTTPS call), and keeps its registration and key for its restarts.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createClusterActivities } from './src/activities/update/activities';
import { createStackActivities } from './src/activities/infra/activities';
import { createSupportBundleCollection, type BundleUpload } from './src/activities/support-bundle/activities';
import { KubernetesCluster } from './src/adapters/kubernetes/cluster';
import { connect } from './src/adapters/kubernetes/connection';
import { SimulatedCluster } from './src/adapters/simulated/cluster';
import { SimulatedStack } from './src/adapters/simulated/stack';
import { loadConfig } from './src/config';
import { agentIdentity, agentTaskQueue } from './src/domain/agent';
import type { ClusterRef } from './src/domain/cell';
import type { StackPort, StackRef } from './src/domain/ports';
import { keepRenewed, lifetime, readState, register } from './src/agent/credential';
import { AgentTunnel } from './src/agent/tunnel';
import { parsePublicKeys, VendorKeys } from './src/crypto/release-signature';
import type { ReleaseSource } from './src/activities/releases/content';
import type { ConfigSource } from './src/activities/releases/rendering';
import { endWithParent } from './src/lifecycle';

/** The agent's version (cellshift's), reported as part of its identity. */
export const AGENT_VERSION: string = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version;

export interface AgentOptions {
  connection: NativeConnection;
  /** where the agent's steps read the releases they name: through the agent endpoint */
  releases?: ReleaseSource;
  /** where the agent's steps read the cell's configuration values: through the agent endpoint */
  configs?: ConfigSource;
  /** where support bundles collected in the cell go: up through the agent endpoint */
  bundles?: BundleUpload;
  /** the vendor keys the cell pinned at bootstrap: with any, the agent applies only releases signed by one of them */
  vendorKeys?: string[];
  /** the customer's keys, pinned at bootstrap: with any, the agent grants debug access only on an approval signed by one */
  customerKeys?: string[];
  namespace: string;
  cellId: string;
  /** a kubeconfig file; absent, the ServiceAccount of the pod the agent runs in */
  kubeconfig?: string;
  /** where a simulated cell keeps its state (demo and tests) */
  dataDir: string;
  host?: string;
}

/** An agent started without the endpoint (tests of its steps alone) keeps no bundle. */
const refusingUpload: BundleUpload = {
  upload: async () => {
    throw new Error('this agent has no agent endpoint to upload a support bundle to');
  },
};

/** The clusters an agent can reach: its own Kubernetes cluster (by its kubeconfig or its pod's account), or a simulated cell. */
function agentClusters(options: Pick<AgentOptions, 'kubeconfig' | 'dataDir'>) {
  const own = options.kubeconfig ? { path: options.kubeconfig } : undefined;
  return { kubernetes: new KubernetesCluster({ prePull: loadConfig().prePull, inCell: true, connect: (ref) => connect({ ...ref, kubeconfig: own }) }), simulated: new SimulatedCluster(options.dataDir) };
}

/**
 * At start, every debug grant whose expiry passed while the agent was away is revoked in the cell
 * (its workflow revokes it too, once the agent polls again; this does not wait for that). A cell
 * that cannot be read now is left to those workflows.
 */
export async function sweepExpiredDebugAccess(options: Pick<AgentOptions, 'cellId' | 'kubeconfig' | 'dataDir'>): Promise<number[]> {
  const { kubernetes, simulated } = agentClusters(options);
  if (existsSync(join(options.dataDir, 'sim', 'cells', `${options.cellId}.json`))) return simulated.sweepExpiredDebugAccess({ cellId: options.cellId, cluster: { kind: 'simulated' } });
  if (!options.kubeconfig && !process.env.KUBERNETES_SERVICE_HOST) return [];
  return kubernetes.sweepExpiredDebugAccess({ cellId: options.cellId, cluster: { kind: 'kubernetes', namespace: 'default' } });
}

/** The agent's worker: the cell's cluster steps, nothing else, on the cell's task queue. */
export function createAgent(options: AgentOptions): Promise<Worker> {
  const { kubernetes, simulated } = agentClusters(options);
  const resolve = async (ref: ClusterRef) => (ref.kind === 'kubernetes' ? kubernetes : simulated);
  // The stack's credentials are the agent's own: its environment or its instance role.
  const simulatedStack = new SimulatedStack(options.dataDir);
  // The AWS SDK is loaded when a stack first needs it: a cell without one does not pay its memory.
  let awsStack: Promise<StackPort> | undefined;
  const resolveStack = (ref: StackRef): Promise<StackPort> =>
    ref.kind === 'aws' ? (awsStack ??= import('./src/adapters/aws/stack').then((m) => new m.AwsStack())) : Promise.resolve(simulatedStack);
  const identity = agentIdentity(options.cellId, AGENT_VERSION, options.host ?? hostname());
  const customerKeys = new VendorKeys(options.customerKeys ?? []);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: agentTaskQueue(options.cellId),
    identity,
    // No catalog of its own: each step reads the release it names through the agent endpoint, and checks it.
    // The customer's pinned keys: what debug access and support bundles need the customer's signature for.
    activities: {
      ...createClusterActivities(resolve, {
        releases: options.releases,
        vendorKeys: new VendorKeys(options.vendorKeys ?? []),
        customerKeys,
        configs: options.configs,
        stacks: resolveStack,
      }),
      ...createStackActivities(resolveStack),
      // A support bundle is collected, redacted and packed here, and goes up through the agent endpoint.
      ...createSupportBundleCollection(resolve, options.bundles ?? refusingUpload, identity, customerKeys),
    },
    // A cell's steps come one or two at a time: two pollers are plenty, and cost the server little.
    maxConcurrentActivityTaskPolls: 2,
    shutdownGraceTime: '5s',
  });
}

/** What the agent can do, as it reports it: every step it runs, and the adapters behind them. */
export function agentCapabilities(): string[] {
  const steps = Object.keys({ ...createClusterActivities(async () => undefined as never), ...createStackActivities(async () => undefined as never), ...createSupportBundleCollection(async () => undefined as never, refusingUpload, '') });
  return [...steps, 'cluster:kubernetes', 'cluster:simulated', 'stack:aws', 'stack:simulated'].sort();
}

/** The cluster's version, read with the agent's own credentials; none where it reaches no Kubernetes (a simulated cell). */
async function kubernetesVersion(kubeconfig: string | undefined): Promise<string | undefined> {
  if (!kubeconfig && !process.env.KUBERNETES_SERVICE_HOST) return undefined;
  const clients = connect({ kind: 'kubernetes', namespace: 'default', kubeconfig: kubeconfig ? { path: kubeconfig } : undefined });
  return (await clients.version.getCode()).gitVersion;
}

async function main(): Promise<void> {
  endWithParent();
  const { values } = parseArgs({
    options: {
      cell: { type: 'string' },
      kubeconfig: { type: 'string' },
      'control-plane': { type: 'string', default: process.env.CELLSHIFT_CONTROL_PLANE_URL },
      'bootstrap-token-file': { type: 'string' },
      'ca-sha256': { type: 'string', default: process.env.CELLSHIFT_CA_SHA256 },
      'vendor-keys': { type: 'string', default: process.env.CELLSHIFT_VENDOR_KEYS_FILE },
      'customer-keys': { type: 'string', default: process.env.CELLSHIFT_CUSTOMER_KEYS_FILE },
      state: { type: 'string' },
    },
  });
  const cellId = values.cell;
  if (!cellId) throw new Error('usage: agent.ts --cell <id> [--kubeconfig <file>] [--control-plane <url>] [--ca-sha256 <hex>] [--state <file>] (bootstrap token in CELLSHIFT_BOOTSTRAP_TOKEN or --bootstrap-token-file)');
  const config = loadConfig();
  const stateFile = values.state ?? join(config.dataDir, `agent-${cellId}.json`);
  let kept = readState(stateFile, cellId);
  const token = values['bootstrap-token-file'] ? readFileSync(values['bootstrap-token-file'], 'utf8').trim() : process.env.CELLSHIFT_BOOTSTRAP_TOKEN;
  // A new bootstrap token registers again (its CA pinned again): the way back for an agent whose credential ended while it was away.
  if (!kept || (token && lifetime(kept.credential.certificatePem).notAfter <= new Date())) {
    if (!token || !values['control-plane']) throw new Error(`cell ${cellId} has no registration in ${stateFile}: start the agent with --control-plane <url>, --ca-sha256 <hex> and its bootstrap token (CELLSHIFT_BOOTSTRAP_TOKEN)`);
    const about = { agentVersion: AGENT_VERSION, kubernetesVersion: await kubernetesVersion(values.kubeconfig), capabilities: agentCapabilities(), host: hostname() };
    const pinned = (file: string | undefined) => (file ? parsePublicKeys(readFileSync(file, 'utf8')) : []);
    await register({ controlPlane: values['control-plane'], token, caSha256: values['ca-sha256'] ?? '', vendorKeys: pinned(values['vendor-keys']), customerKeys: pinned(values['customer-keys']), cellId, about }, stateFile);
    kept = readState(stateFile, cellId)!;
    console.error(`cellshift agent registered cell ${cellId} (registration and key kept in ${stateFile})`);
  }
  const { state, credential } = kept;
  const { notAfter } = lifetime(credential.certificatePem);
  if (notAfter <= new Date()) throw new Error(`the credential of cell ${cellId} ended at ${notAfter.toISOString()} while the agent was away: register it again with a new bootstrap token`);
  const tunnel = new AgentTunnel(state.endpoint, state.caCertificate);
  tunnel.use(credential);
  const connection = await NativeConnection.connect({ address: await tunnel.start() });
  const stopRenewing = keepRenewed(tunnel, stateFile, state, (line) => console.error(`cellshift agent: ${line}`));
  if ((state.vendorKeys ?? []).length === 0) console.error(`cellshift agent: cell ${cellId} pins no vendor key (--vendor-keys at bootstrap): it applies releases unsigned, as the catalog holds them`);
  const agent = await createAgent({ connection, releases: tunnel.releases(), configs: tunnel.configs(), bundles: { upload: (bundle) => tunnel.uploadBundle(bundle) }, vendorKeys: state.vendorKeys, customerKeys: state.customerKeys, namespace: state.namespace, cellId, kubeconfig: values.kubeconfig, dataDir: config.dataDir });
  console.error(`cellshift agent ${AGENT_VERSION} for cell ${cellId} on task queue ${state.taskQueue}, through the agent endpoint ${state.endpoint}`);
  await sweepExpiredDebugAccess({ cellId, kubeconfig: values.kubeconfig, dataDir: config.dataDir }).then(
    (swept) => swept.length > 0 && console.error(`cellshift agent revoked expired debug grants ${swept.join(', ')} of cell ${cellId}`),
    (err: Error) => console.error(`cellshift agent could not sweep expired debug grants of cell ${cellId}: ${err.message}`),
  );
  await agent.run();
  stopRenewing();
  await connection.close();
  await tunnel.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

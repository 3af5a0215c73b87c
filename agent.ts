// `npm run agent -- --cell <id>`: a cell's agent. An activity-only Temporal worker that runs inside
// the cell, polls the cell's own task queue (cell/<id>) over an outgoing connection, and runs every
// step on the cell's cluster with the cell's own credentials: the ServiceAccount of the pod it runs
// in, or `--kubeconfig <file>`. The control plane holds none of them.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createClusterActivities } from './src/activities/cluster';
import { KubernetesCluster } from './src/adapters/kubernetes/cluster';
import { connect } from './src/adapters/kubernetes/connection';
import { SimulatedCluster } from './src/adapters/simulated/cluster';
import { loadConfig } from './src/config';
import { agentIdentity, agentTaskQueue } from './src/domain/agent';
import type { ClusterRef } from './src/domain/cell';
import { connectWorker } from './src/temporal/connect';

/** The agent's version (cellshift's), reported as part of its identity. */
export const AGENT_VERSION: string = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version;

export interface AgentOptions {
  connection: NativeConnection;
  namespace: string;
  cellId: string;
  /** a kubeconfig file; absent, the ServiceAccount of the pod the agent runs in */
  kubeconfig?: string;
  /** where a simulated cell keeps its state (demo and tests) */
  dataDir: string;
  host?: string;
}

/** The agent's worker: the cell's cluster steps, nothing else, on the cell's task queue. */
export function createAgent(options: AgentOptions): Promise<Worker> {
  const own = options.kubeconfig ? { path: options.kubeconfig } : undefined;
  const kubernetes = new KubernetesCluster({ connect: (ref) => connect({ ...ref, kubeconfig: own }) });
  const simulated = new SimulatedCluster(options.dataDir);
  const resolve = async (ref: ClusterRef) => (ref.kind === 'kubernetes' ? kubernetes : simulated);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: agentTaskQueue(options.cellId),
    identity: agentIdentity(options.cellId, AGENT_VERSION, options.host ?? hostname()),
    // No catalog, no bundle store: the control plane hands every step the release it needs.
    activities: createClusterActivities(resolve),
    // A cell's steps come one or two at a time: two pollers are plenty, and cost the server little.
    maxConcurrentActivityTaskPolls: 2,
    shutdownGraceTime: '5s',
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cell: { type: 'string' }, kubeconfig: { type: 'string' } } });
  if (!values.cell) throw new Error('usage: agent.ts --cell <id> [--kubeconfig <file>]');
  const config = loadConfig();
  const connection = await connectWorker(config);
  const agent = await createAgent({ connection, namespace: config.namespace, cellId: values.cell, kubeconfig: values.kubeconfig, dataDir: config.dataDir });
  console.error(`cellshift agent ${AGENT_VERSION} for cell ${values.cell} on task queue ${agentTaskQueue(values.cell)}`);
  await agent.run();
  await connection.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

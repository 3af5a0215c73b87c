// A real cellshift for one test file: a worker on its own task queue and data directory, the API
// listening on a loopback port, talking to the run's Temporal dev server.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import type { BundleLimits } from '../../src/adapters/bundles/limits';
import type { SqlReleaseCatalog } from '../../src/adapters/catalog/sql-catalog';
import { openDatabase, type Db } from '../../src/adapters/db/database';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/adapters/db/embedded';
import { SimulatedCluster } from '../../src/adapters/simulated/cluster';
import { SimulatedStack } from '../../src/adapters/simulated/stack';
import { buildApp } from '../../src/api/app';
import { splitRelease } from '../../src/crypto/release-digest';
import { signRelease } from '../../src/crypto/release-signature';
import type { ReleasePolicy } from '../../src/api/plugins/app/release-policy';
import type { RequestLimits } from '../../src/api/http/request-limits';
import { apiStores } from '../../src/api/stores';
import * as grpc from '@grpc/grpc-js';
import type { AgentCredentials } from '../../src/adapters/agents/credentials';
import { ReleaseGrants } from '../../src/adapters/agents/release-grants';
import { startAgentEndpoint, type AgentEndpoint } from '../../src/agent-endpoint/gateway';
import type { ApiToken } from '../../src/api/plugins/app/auth';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from '../../src/domain/agent';
import type { Release } from '../../src/domain/release';
import { FINAL_STATUSES } from '../../src/domain/update';
import { agentPresenceWorkflowId, updateWorkflowId, webhookDeliveryWorkflowId } from '../../src/workflows/ids';
import { startAgentPresenceSweep } from '../../src/workflows/agents/client';
import { startWebhookDelivery } from '../../src/workflows/webhooks/client';
import { UpdateStatusKey } from '../../src/workflows/search-attributes';
import { DEMO_RELEASES } from '../../scripts/seed/demo-fleet';
import { WORKER_NODE_FLAGS } from '../../scripts/lib/worker-flags';
import { createWorker } from '../../worker';

export const TOKENS = {
  admin: 'test-admin-token',
  operator: 'test-operator-token',
  viewer: 'test-viewer-token',
  /** the customer of the cells named `dbg-*-a…` (debug access) */
  customer: 'test-customer-token',
  /** another customer, of `dbg-other` only */
  otherCustomer: 'test-other-customer-token',
  /** a customer token whose subject is the operator's: it may not decide on the operator's own requests */
  operatorAsCustomer: 'test-operator-as-customer-token',
  /** the customer of `consent-agent`, who signs approvals with a key its cell pins */
  consentCustomer: 'test-consent-customer-token',
  /** the customers of `cfg-a` and `cfg-b` (configuration per cell) */
  configCustomer: 'test-config-customer-token',
  configCustomerB: 'test-config-customer-b-token',
  /** the customers of `sb-a` and `sb-b` (support bundles) */
  bundleCustomer: 'test-bundle-customer-token',
  bundleCustomerB: 'test-bundle-customer-b-token',
  /** the customer of `cr-*` cells (the change contract in a rollout) */
  contractCustomer: 'test-contract-customer-token',
};

const API_TOKENS: ApiToken[] = [
  { token: TOKENS.admin, subject: 'alice-admin', role: 'admin' },
  { token: TOKENS.operator, subject: 'oscar-operator', role: 'operator' },
  { token: TOKENS.viewer, subject: 'vera-viewer', role: 'viewer' },
  { token: TOKENS.customer, subject: 'carla-customer', role: 'customer', cells: ['dbg-sim-a', 'dbg-kube-a', 'dbg-agent-a', 'dbg-cli-a'] },
  { token: TOKENS.otherCustomer, subject: 'otto-customer', role: 'customer', cells: ['dbg-other'] },
  { token: TOKENS.operatorAsCustomer, subject: 'oscar-operator', role: 'customer', cells: ['dbg-sim-a'] },
  { token: TOKENS.consentCustomer, subject: 'cora-customer', role: 'customer', cells: ['consent-agent', 'sb-consent'] },
  { token: TOKENS.configCustomer, subject: 'cleo-customer', role: 'customer', cells: ['cfg-a'] },
  { token: TOKENS.configCustomerB, subject: 'gil-customer', role: 'customer', cells: ['cfg-b'] },
  { token: TOKENS.bundleCustomer, subject: 'bea-customer', role: 'customer', cells: ['sb-a', 'sb-fail', 'sb-agent', 'sb-crash', 'sb-cli', 'sb-rel', 'k8s-sb'] },
  { token: TOKENS.bundleCustomerB, subject: 'ben-customer', role: 'customer', cells: ['sb-b'] },
  { token: TOKENS.contractCustomer, subject: 'cody-customer', role: 'customer', cells: ['cr-free', 'cr-blackout', 'cr-postponed', 'cr-cli'] },
];

const UNTHROTTLED = { perMinute: 1e9, anonymousPerMinute: 1e9, registrationPerMinute: 1e9 };

export interface HttpResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

let runtimeQuiet = false;

export class Harness {
  private worker?: Worker;
  private workerRun?: Promise<void>;
  private workerConnection?: NativeConnection;

  private constructor(
    readonly address: string,
    readonly taskQueue: string,
    readonly dataDir: string,
    readonly client: Client,
    readonly app: FastifyInstance,
    readonly baseUrl: string,
    readonly simulated: SimulatedCluster,
    readonly catalog: SqlReleaseCatalog,
    /** when the worker and API count an agent offline, and the oldest agent they drive */
    readonly agents: AgentPolicy,
    /** this test file's own embedded database (in memory), and the API's and worker's connection to it */
    readonly database: EmbeddedDatabase,
    readonly db: Db,
    /** the agents' CA and credentials, and the agent endpoint agents connect through (in this process) */
    readonly agentCredentials: AgentCredentials,
    readonly endpoint: AgentEndpoint,
  ) {}

  static async start(
    options: {
      releases?: Release[];
      worker?: boolean;
      address?: string;
      bundleLimits?: Partial<BundleLimits>;
      agents?: Partial<AgentPolicy>;
      webhooksAllowLoopback?: boolean;
      requestLimits?: Partial<RequestLimits>;
      /** how long agents' certificates last (minutes; default an hour) */
      agentCredentialMinutes?: number;
      /** the agent endpoint agents are told to dial (default: the one this harness runs in its own process) */
      agentEndpointAddress?: string;
      /** the API's release policy (default: unsigned releases and tags everywhere) */
      releasePolicy?: Partial<ReleasePolicy>;
      /** the vendor's private key (PEM): the releases the harness publishes are signed with it */
      vendorKey?: string;
    } = {},
  ): Promise<Harness> {
    if (!runtimeQuiet) {
      Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never });
      runtimeQuiet = true;
    }
    const address = options.address ?? inject('temporalAddress');
    const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-test-'));
    const taskQueue = `test-${randomUUID()}`;
    const agents = { ...DEFAULT_AGENT_POLICY, ...options.agents };
    const database = await startEmbeddedDatabase();
    const db = await openDatabase(database.url);
    const { stores, bootstrapTokens, agentCredentials } = await apiStores(db, dataDir, process.env, options.agentCredentialMinutes);
    // The agent endpoint, in this process: agents reach Temporal through it only.
    const endpoint = await startAgentEndpoint({
      upstream: { address, credentials: grpc.credentials.createInsecure(), namespace: 'default' },
      credentials: agentCredentials,
      grants: new ReleaseGrants(db),
      configs: stores.configs,
      supportBundles: { records: stores.supportBundles, blobs: stores.supportBundleBlobs },
      server: await (await agentCredentials.ca).issueServer(['127.0.0.1', 'localhost'], 86_400_000),
      host: '127.0.0.1',
      port: 0,
    });
    const catalog = stores.catalog;
    for (const release of options.releases ?? DEMO_RELEASES) {
      const signature = options.vendorKey ? signRelease(splitRelease(release).digest, options.vendorKey) : undefined;
      await catalog.publish(release, { rings: ['staging', 'saas', 'dedicated'], signature });
    }
    const simulated = new SimulatedCluster(dataDir);
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const app = await buildApp({
      temporal: client,
      taskQueue,
      stores,
      simulated,
      simulatedStack: new SimulatedStack(dataDir),
      tokens: API_TOKENS,
      bundleLimits: options.bundleLimits,
      // The receivers tests run listen on loopback, over plain http (CELLSHIFT_WEBHOOKS_ALLOW_LOOPBACK=1).
      webhookTargets: { allowLoopback: options.webhooksAllowLoopback ?? true },
      // One test process sends many requests with one token and from one address: unthrottled unless a test asks.
      requestLimits: options.requestLimits ?? UNTHROTTLED,
      // Tests publish releases of their own unsigned and with tags; signing and pinning have tests of their own.
      releasePolicy: { unsignedRings: ['staging', 'saas', 'dedicated'], digestPinnedRings: [], ...options.releasePolicy },
      agents: { bootstrapTokens, credentials: agentCredentials, endpoint: options.agentEndpointAddress ?? `127.0.0.1:${endpoint.port}`, ...agents },
    });
    const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    const harness = new Harness(address, taskQueue, dataDir, client, app, baseUrl, simulated, catalog, agents, database, db, agentCredentials, endpoint);
    if (options.worker !== false) await harness.startWorker();
    return harness;
  }

  /** `asRelease0_1_0`: the worker takes up no patch, so what it starts runs as under 0.1.0 (its workflows, before any patch). */
  async startWorker(options: { asRelease0_1_0?: boolean } = {}): Promise<void> {
    this.workerConnection = await NativeConnection.connect({ address: this.address });
    this.worker = await createWorker({
      ...(options.asRelease0_1_0 ? { patchActivationCallback: () => false } : {}),
      connection: this.workerConnection,
      namespace: 'default',
      taskQueue: this.taskQueue,
      dataDir: this.dataDir,
      client: this.client,
      db: this.db,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      agents: this.agents,
      webhookTargets: { allowLoopback: true },
    });
    this.workerRun = this.worker.run();
    await startAgentPresenceSweep(this.client, this.taskQueue, this.agents.offlineAfterSeconds);
    await startWebhookDelivery(this.client, this.taskQueue);
  }

  /** The agent endpoint (`npm run agent-endpoint`) as its own process on `port`, over this harness's database and keys, so a test can SIGKILL it. */
  spawnAgentEndpoint(port: number): ChildProcess {
    return spawn(process.execPath, ['--import', 'tsx', 'src/agent-endpoint/server.ts'], {
      env: { ...process.env, TEMPORAL_ADDRESS: this.address, CELLSHIFT_DATA_DIR: this.dataDir, DATABASE_URL: this.database.url, CELLSHIFT_AGENT_ENDPOINT_PORT: String(port), CELLSHIFT_AGENT_ENDPOINT_HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }

  /** The real worker entry point (`npm run worker`) as its own process, so a test can SIGKILL it. */
  spawnWorkerProcess(env: Record<string, string> = {}): ChildProcess {
    return spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', 'worker.ts'], {
      env: { ...process.env, TEMPORAL_ADDRESS: this.address, CELLSHIFT_TASK_QUEUE: this.taskQueue, CELLSHIFT_DATA_DIR: this.dataDir, DATABASE_URL: this.database.url, CELLSHIFT_WEBHOOKS_ALLOW_LOOPBACK: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }

  /**
   * A cell's agent (`npm run agent`) as its own process, polling the cell's task queue. First
   * started, it registers with a bootstrap token the test gets through the API (as an operator
   * would); started again, it uses the registration it kept.
   */
  async spawnAgent(cellId: string, args: string[] = [], token?: string, env2: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
    // No Temporal address: an agent reaches the agent endpoint only (it learns where at registration).
    const env: NodeJS.ProcessEnv = { ...process.env, CELLSHIFT_DATA_DIR: this.dataDir, CELLSHIFT_CONTROL_PLANE_URL: this.baseUrl, CELLSHIFT_CA_SHA256: this.agentCredentials.caSha256, ...env2 };
    delete env.TEMPORAL_ADDRESS;
    if (token) env.CELLSHIFT_BOOTSTRAP_TOKEN = token;
    else if (!existsSync(join(this.dataDir, `agent-${cellId}.json`))) {
      const issued = await this.http('POST', `/v1/cells/${cellId}/bootstrap-token`, {});
      if (issued.status !== 201) throw new Error(`no bootstrap token for ${cellId}: ${JSON.stringify(issued.body)}`);
      env.CELLSHIFT_BOOTSTRAP_TOKEN = issued.body.token;
    }
    return spawn(process.execPath, ['--import', 'tsx', 'agent.ts', '--cell', cellId, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  async stopWorker(): Promise<void> {
    if (!this.worker) return;
    this.worker.shutdown();
    await this.workerRun;
    await this.workerConnection?.close();
    this.worker = undefined;
  }

  async stop(): Promise<void> {
    for (const id of [agentPresenceWorkflowId(this.taskQueue), webhookDeliveryWorkflowId(this.taskQueue)]) {
      await this.client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    }
    await this.app.close();
    await this.endpoint.close(0);
    await this.stopWorker();
    await this.client.connection.close();
    await this.db.destroy();
    await this.database.stop();
  }

  /** Real HTTP against the listening API. `as` picks the token; null sends none. */
  async http<T = any>(method: string, path: string, body?: unknown, as: keyof typeof TOKENS | null = 'admin'): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = {};
    if (as) headers.authorization = `Bearer ${TOKENS[as]}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  /** Registers a simulated cell and waits until its controller has read the cluster's version. */
  async registerCell(id: string, overrides: Record<string, unknown> = {}): Promise<any> {
    const res = await this.http('POST', '/v1/cells', {
      id,
      ring: 'saas',
      maintenanceWindow: everyDay('02:00', 120, 'UTC'),
      cluster: { kind: 'simulated', initialVersion: '1.1.0' },
      ...overrides,
    });
    if (res.status !== 201) throw new Error(`registering ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return this.waitFor(`cell ${id} ready`, async () => {
      const cell = await this.http('GET', `/v1/cells/${id}`);
      return cell.status === 200 && cell.body.state !== 'registering' ? cell.body : undefined;
    });
  }

  /** Registers a simulated cell reached through its agent, starts the agent (which registers it), and waits until it is ready. */
  async registerAgentCell(id: string, overrides: Record<string, unknown> = {}): Promise<{ cell: any; agent: ChildProcess }> {
    const res = await this.http('POST', '/v1/cells', {
      id,
      ring: 'saas',
      connection: 'agent',
      maintenanceWindow: everyDay('02:00', 120, 'UTC'),
      cluster: { kind: 'simulated', initialVersion: '1.1.0' },
      ...overrides,
    });
    if (res.status !== 201) throw new Error(`registering ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    const agent = await this.spawnAgent(id);
    const cell = await this.waitFor(`cell ${id} ready through its agent`, async () => {
      const got = await this.http('GET', `/v1/cells/${id}`);
      return got.status === 200 && got.body.state === 'ready' ? got.body : undefined;
    });
    return { cell, agent };
  }

  /** Stops a process (an agent, a worker) at once, as a crash would, and waits until it is gone. */
  async kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  async requestUpdate(cellId: string, body: Record<string, unknown>, as: keyof typeof TOKENS = 'operator'): Promise<HttpResponse> {
    return this.http('POST', `/v1/cells/${cellId}/updates`, body, as);
  }

  async waitForUpdate(id: string, statuses: readonly string[] = FINAL_STATUSES, timeoutMs = 90_000): Promise<any> {
    return this.waitFor(
      `update ${id} to reach ${statuses.join('/')}`,
      async () => {
        const res = await this.http('GET', `/v1/updates/${id}`);
        return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
      },
      timeoutMs,
    );
  }

  async waitForStep(id: string, step: string, status = 'running'): Promise<any> {
    return this.waitFor(`update ${id} step ${step} ${status}`, async () => {
      const res = await this.http('GET', `/v1/updates/${id}`);
      return res.body?.steps?.find((s: any) => s.name === step)?.status === status ? res.body : undefined;
    });
  }

  /** The update's UpdateStatus search attribute, as `temporal workflow list --query` filters on it. */
  async updateSearchStatus(id: string): Promise<string | undefined> {
    return (await this.client.workflow.getHandle(updateWorkflowId(id)).describe()).typedSearchAttributes.get(UpdateStatusKey);
  }

  /** Waits for the update's `UpdateStatus` search attribute to read `status`: the workflow sets its
   *  final value as its last step, after the read model has already told of the end. */
  waitForSearchStatus(id: string, status: string): Promise<string> {
    return this.waitFor(`UpdateStatus ${status} on ${id}`, async () => ((await this.updateSearchStatus(id)) === status ? status : undefined));
  }

  /** The cell's controller, once it has taken the end of its update. */
  async waitForCellIdle(id: string): Promise<any> {
    return this.waitFor(`cell ${id} idle`, async () => {
      const res = await this.http('GET', `/v1/cells/${id}`);
      return res.status === 200 && !res.body.currentUpdate ? res.body : undefined;
    });
  }

  waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    return waitFor(what, probe, timeoutMs);
  }

}

/** Asks `probe` until it answers something (errors count as not yet), or fails naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export function everyDay(start: string, durationMinutes: number, timezone = 'UTC') {
  return { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start, durationMinutes, timezone };
}

/** HH:MM:SS in UTC, `offsetMs` from now. */
export function utcClock(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString().slice(11, 19);
}

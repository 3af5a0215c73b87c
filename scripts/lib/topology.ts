// The production topology as processes on loopback: PostgreSQL, Temporal's own server on it, and
// cellshift's workers and API replicas (each its own process, started exactly as an operator starts
// them), sharing cellshift's database on the same PostgreSQL. The topology test and the two-worker
// benchmark run on it; each process can be killed, stopped and started again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './dev-server';
import { startPostgres, type Postgres } from './postgres';
import { stopGracefully } from './processes';
import { startTemporalOnPostgres, type TemporalOnPostgres } from './temporal-server';
import { WORKER_NODE_FLAGS } from './worker-flags';

export interface TopologyOptions {
  workers: number;
  apis: number;
  /** a workflow bundle built beforehand (CELLSHIFT_WORKFLOW_BUNDLE), so workers start in seconds */
  workflowBundlePath?: string;
  /** API tokens (CELLSHIFT_TOKENS) */
  tokens: { token: string; subject: string; role: string }[];
  /** more environment for every cellshift process */
  env?: NodeJS.ProcessEnv;
  /** agent endpoint replicas (the API tells registering agents the first one's address) */
  endpoints?: number;
}

/** One cellshift process of the topology: started again with `start` after a kill or a stop. */
export class Member {
  child?: ChildProcess;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  start(): void {
    const log = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, this.args, { env: this.env, stdio: ['ignore', log, log] });
  }

  /** As a crash would: SIGKILL, and wait until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  /** As an orchestrator would: SIGTERM, a grace period, then SIGKILL. */
  async stop(): Promise<void> {
    if (this.child) await stopGracefully(this.child, 15_000);
  }
}

export class Topology {
  private constructor(
    readonly pg: Postgres,
    readonly temporal: TemporalOnPostgres,
    readonly databaseUrl: string,
    readonly dataDir: string,
    readonly taskQueue: string,
    readonly workers: Member[],
    readonly apis: (Member & { url: string })[],
    readonly endpoints: (Member & { address: string })[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(options: TopologyOptions): Promise<Topology> {
    const pg = await startPostgres();
    const temporal = await startTemporalOnPostgres(pg);
    const databaseUrl = pg.createDatabase('cellshift');
    const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-topology-'));
    const taskQueue = 'cellshift';
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      CELLSHIFT_TASK_QUEUE: taskQueue,
      CELLSHIFT_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      CELLSHIFT_TOKENS: JSON.stringify(options.tokens),
      CELLSHIFT_LOG: 'off',
      // Its clients are a fleet's worth of callers under one token: what it measures is not the rate limit.
      CELLSHIFT_RATE_LIMIT_PER_MINUTE: '1000000000',
      ...(options.workflowBundlePath ? { CELLSHIFT_WORKFLOW_BUNDLE: options.workflowBundlePath } : {}),
      ...options.env,
    };
    const workers = Array.from({ length: options.workers }, (_, i) => new Member(`worker-${i + 1}`, [...WORKER_NODE_FLAGS, '--import', 'tsx', 'worker.ts'], env, join(dataDir, `worker-${i + 1}.log`)));
    const endpoints = await Promise.all(
      Array.from({ length: options.endpoints ?? 0 }, async (_, i) => {
        const port = await freePort();
        const member = new Member(`agent-endpoint-${i + 1}`, ['--import', 'tsx', 'src/agent-endpoint/server.ts'], { ...env, CELLSHIFT_AGENT_ENDPOINT_PORT: String(port), CELLSHIFT_AGENT_ENDPOINT_HOST: '127.0.0.1' }, join(dataDir, `agent-endpoint-${i + 1}.log`));
        return Object.assign(member, { address: `127.0.0.1:${port}` });
      }),
    );
    if (endpoints[0]) env.CELLSHIFT_AGENT_ENDPOINT_ADDRESS = endpoints[0].address;
    const apis = await Promise.all(
      Array.from({ length: options.apis }, async (_, i) => {
        const port = await freePort();
        const member = new Member(`api-${i + 1}`, ['--import', 'tsx', 'src/api/server.ts'], { ...env, PORT: String(port), HOST: '127.0.0.1' }, join(dataDir, `api-${i + 1}.log`));
        return Object.assign(member, { url: `http://127.0.0.1:${port}` });
      }),
    );
    const topology = new Topology(pg, temporal, databaseUrl, dataDir, taskQueue, workers, apis, endpoints, env);
    // One first, so the schema's migrations and the search attributes are not raced by the rest
    // (they would be safe, only slower on two cores).
    workers[0]?.start();
    for (const api of apis) api.start();
    for (const api of apis) await topology.waitForApi(api);
    for (const worker of workers.slice(1)) worker.start();
    for (const endpoint of endpoints) endpoint.start();
    return topology;
  }

  /**
   * A cell's agent, as the cell's bootstrap starts it: registering through `api` with a bootstrap
   * token and the CA hash that came with it, then connecting to the agent endpoint only (it is
   * given no Temporal address).
   */
  agent(cellId: string, api: { url: string }, bootstrap: { token: string; caSha256: string }): Member {
    const env: NodeJS.ProcessEnv = { ...this.env, CELLSHIFT_BOOTSTRAP_TOKEN: bootstrap.token, CELLSHIFT_CA_SHA256: bootstrap.caSha256 };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
    const agent = new Member(`agent-${cellId}`, ['--import', 'tsx', 'agent.ts', '--cell', cellId, '--control-plane', api.url], env, join(this.dataDir, `agent-${cellId}.log`));
    this.agents.push(agent);
    return agent;
  }

  /** The agents started through `agent`, stopped with the topology. */
  readonly agents: Member[] = [];

  /** Until the API answers its health check (a minute at most). */
  async waitForApi(api: Member & { url: string }): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (api.child?.exitCode != null) throw new Error(`${api.name} exited with code ${api.child.exitCode}`);
      const ok = await fetch(`${api.url}/healthz`).then((r) => r.ok, () => false);
      if (ok) return;
      await sleep(200);
    }
    throw new Error(`${api.name} did not answer at ${api.url} within a minute`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers, ...this.apis, ...this.agents].map((m) => m.stop()));
    await Promise.all(this.endpoints.map((m) => m.stop()));
    await this.temporal.stop();
    this.pg.stop();
  }
}

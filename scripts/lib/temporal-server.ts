// Temporal's own server on PostgreSQL, shaped as production runs it (not the CLI's dev server on
// SQLite): the server and its schema tool built once from the Go module proxy, the schema of the same
// module, both databases created and migrated by the tool, and a config file written for each run.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { freePort, waitUntilServing } from './dev-server';
import { stopGracefully } from './processes';
import { findTemporalCli } from './temporal-cli';
import { isExecutable, toolCacheDir } from './tool-cache';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = 'go.temporal.io/server';
// The config file is <root>/config/<ENV>.yaml.
const ENV = 'cellshift';

type Log = (line: string) => void;

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** the module's schema/postgresql/v12: temporal/ and visibility/, each with versioned/ */
  schemaDir: string;
}

/**
 * `temporal-server` and `temporal-sql-tool` of Temporal v1.29.1, built once from the Go module proxy
 * into the tool cache (the version in their names, so another version builds beside them), and the
 * PostgreSQL schema that release ships.
 */
export function ensureTemporalServer(log: Log = (l) => console.error(l)): TemporalServerBinaries {
  const binDir = join(toolCacheDir(), 'bin');
  const server = join(binDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const sqlTool = join(binDir, `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`);
  requireGo(binDir);
  if (!isExecutable(server) || !isExecutable(sqlTool)) build(binDir, server, sqlTool, log);
  return { server, sqlTool, schemaDir: join(moduleDir(), 'schema', 'postgresql', 'v12') };
}

// Go is needed even once the binaries are built: the schema is read from the Go module cache.
function requireGo(binDir: string) {
  if (spawnSync('go', ['version']).status === 0) return;
  throw new Error(
    [
      `Temporal on PostgreSQL needs temporal-server and temporal-sql-tool v${TEMPORAL_SERVER_VERSION} in ${binDir} and the schema of ${MODULE}, and Go is not installed.`,
      'Install Go >= 1.25 and run again: cellshift builds them once from the Go module proxy (about 4 minutes on 2 cores).',
    ].join('\n'),
  );
}

// A throwaway module that requires the server: `go build` of its commands then uses the release's own
// go.mod versions (it has no replace directives), and nothing is left behind but the binaries.
function build(binDir: string, server: string, sqlTool: string, log: Log) {
  mkdirSync(binDir, { recursive: true });
  log(`building the Temporal server v${TEMPORAL_SERVER_VERSION} and its SQL tool into ${binDir} (once; about 4 minutes on 2 cores)…`);
  const start = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'cellshift-temporal-server-'));
  try {
    go(dir, ['mod', 'init', 'cellshift.local/temporal-server']);
    go(dir, ['get', `${MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`, `${MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`]);
    go(dir, ['build', '-ldflags', '-s -w', '-o', server, `${MODULE}/cmd/server`]);
    go(dir, ['build', '-ldflags', '-s -w', '-o', sqlTool, `${MODULE}/cmd/tools/sql`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(`built the Temporal server in ${Math.round((Date.now() - start) / 1000)}s`);
}

/** Where the module sits in the Go module cache (downloaded again if the cache was cleaned). */
function moduleDir(): string {
  const out = go(tmpdir(), ['mod', 'download', '-json', `${MODULE}@v${TEMPORAL_SERVER_VERSION}`]); // outside any module
  return (JSON.parse(out) as { Dir: string }).Dir;
}

function go(cwd: string, args: string[]): string {
  return execFileSync('go', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 2],
    env: {
      ...process.env,
      CGO_ENABLED: '0',
      GOFLAGS: '-buildvcs=false -mod=mod',
      // No `direct`: without git access a missing module must fail fast, not hang. The checksum
      // database is reached through the proxy (proxy.golang.org/sumdb/…), so GOSUMDB stays on.
      GOPROXY: process.env.GOPROXY?.replace(/[,|]?direct$/, '') || 'https://proxy.golang.org',
    },
  });
}

export interface TemporalOnPostgres {
  /** the frontend's gRPC address, host:port */
  address: string;
  process: ChildProcess;
  /** the server's stdout and stderr */
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Creates the `temporal` and `temporal_visibility` databases on a PostgreSQL that trusts user
 * `postgres` on 127.0.0.1 (see startPostgres), starts all four services in one process on loopback
 * ports, and registers the namespace (retention 1 day) with cellshift's search attributes.
 */
export async function startTemporalOnPostgres(pg: { port: number }, options: { namespace?: string } = {}): Promise<TemporalOnPostgres> {
  const namespace = options.namespace ?? 'default';
  const { server, sqlTool, schemaDir } = ensureTemporalServer();
  createDatabase(sqlTool, pg.port, 'temporal', join(schemaDir, 'temporal', 'versioned'));
  createDatabase(sqlTool, pg.port, 'temporal_visibility', join(schemaDir, 'visibility', 'versioned'));

  const root = mkdtempSync(join(tmpdir(), 'cellshift-temporal-'));
  const frontendPort = writeConfig(root, pg.port, await servicePorts());
  const logFile = join(root, 'server.log');
  const out = openSync(logFile, 'a');
  const child = spawn(server, ['--root', root, '--config', 'config', '--env', ENV, '--allow-no-auth', 'start'], { stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${frontendPort}`;
  const stop = () => stopGracefully(child, 10_000);

  try {
    await waitUntilServing(address, exited);
    registerNamespace(address, namespace);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- the end of ${logFile}:\n${tail(logFile)}`, { cause: err });
  }
  return { address, process: child, logFile, stop };
}

// create-database, then the versioning tables at 0.0, then every versioned step up to the release's.
function createDatabase(sqlTool: string, pgPort: number, database: string, versionedDir: string) {
  const tool = (...args: string[]) =>
    execFileSync(sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pgPort), '-u', 'postgres', '--db', database, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  tool('create-database');
  tool('setup-schema', '-v', '0.0');
  tool('update-schema', '-d', versionedDir);
}

const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
type ServicePorts = Record<(typeof SERVICES)[number], { grpcPort: number; membershipPort: number }>;

async function servicePorts(): Promise<ServicePorts> {
  const ports: Partial<ServicePorts> = {};
  for (const service of SERVICES) ports[service] = { grpcPort: await freePort(), membershipPort: await freeMembershipPort() };
  return ports as ServicePorts;
}

// The PostgreSQL schema stores a membership port in a SMALLINT (cluster_membership.rpc_port): one
// above 32767, as every port the kernel hands out for port 0 is, fails the server's start. So below.
async function freeMembershipPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (32_768 - 10_000));
    if (await canListen(port)) return port;
  }
  throw new Error('no free loopback port between 10000 and 32767');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Writes <root>/config/<ENV>.yaml and its dynamic config; returns the frontend's port. JSON is YAML. */
function writeConfig(root: string, pgPort: number, ports: ServicePorts): number {
  const configDir = join(root, 'config');
  mkdirSync(configDir);
  const dynamicConfig = join(configDir, 'dynamic.yaml');
  writeFileSync(
    dynamicConfig,
    JSON.stringify({
      // Search attributes registered a moment ago are usable at once: without it, a workflow started
      // before the namespace cache's next refresh fails with "no mapping defined for search attribute".
      // A test setting: every mapping is read from the database, so while PostgreSQL is down such
      // calls fail with NamespaceNotFound, not Unavailable.
      'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
      // The controller takes requests as workflow updates (already the defaults of v1.29; kept explicit).
      'frontend.enableUpdateWorkflowExecution': [{ value: true }],
      'frontend.enableUpdateWorkflowExecutionAsyncAccepted': [{ value: true }],
    }),
  );
  const store = (databaseName: string) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${pgPort}`,
      connectProtocol: 'tcp',
      user: 'postgres',
      password: '',
      maxConns: 10,
      maxIdleConns: 10,
      maxConnLifetime: '1h',
    },
  });
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: store('temporal'), visibility: store('temporal_visibility') },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: Object.fromEntries(SERVICES.map((service) => [service, { rpc: { ...ports[service], bindOnIP: '127.0.0.1' } }])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend.grpcPort}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: dynamicConfig, pollInterval: '10s' },
  };
  writeFileSync(join(configDir, `${ENV}.yaml`), JSON.stringify(config, null, 2));
  return ports.frontend.grpcPort;
}

// Unlike the dev server, a real server starts with no namespace but temporal-system. cellshift's
// search attributes are all Keyword (as searchAttributeFlags registers them on the dev server).
function registerNamespace(address: string, namespace: string) {
  const cli = findTemporalCli();
  const run = (...args: string[]) => execFileSync(cli, [...args, '--address', address, '--namespace', namespace], { stdio: ['ignore', 'ignore', 'pipe'] });
  run('operator', 'namespace', 'create', '--retention', '24h');
  // One --type per --name: the CLI pairs them by position and silently drops names left without one.
  run('operator', 'search-attribute', 'create', ...SEARCH_ATTRIBUTES.flatMap(({ key }) => ['--name', key.name, '--type', 'Keyword']));
}

function tail(file: string, lines = 40): string {
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

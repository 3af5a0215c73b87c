import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { searchAttributeFlags } from '../../src/workflows/client';
import { stopGracefully } from './processes';
import { findTemporalCli } from './temporal-cli';

export interface DevServerOptions {
  port?: number;
  uiPort?: number;
  /** SQLite file: workflows survive a restart of the server. In memory when absent. */
  dbFile?: string;
  headless?: boolean;
  ip?: string;
  stdio?: 'inherit' | 'ignore';
  /** dynamic config values, JSON-encoded (`--dynamic-config-value key=value`) */
  dynamicConfig?: Record<string, string>;
}

export interface DevServer {
  address: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` with cellshift's search attributes and waits until it answers. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = findTemporalCli();
  const port = options.port ?? (await freePort());
  const ip = options.ip ?? '127.0.0.1';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'error', ...searchAttributeFlags()];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${value}`);
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? port + 1000));
  const child = spawn(cli, args, { stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'] });
  const address = `${ip}:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitUntilServing(address, exited);
  return {
    address,
    port,
    process: child,
    stop: () => stopGracefully(child, 10_000),
  };
}

export async function waitUntilServing(address: string, exited?: Promise<number | null>, timeoutMs = 60_000): Promise<void> {
  let dead: number | null | undefined;
  void exited?.then((code) => (dead = code ?? -1));
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (dead !== undefined) throw new Error(`the Temporal server exited (code ${dead}) before it served ${address}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await sleep(250);
    }
  }
  throw new Error(`the Temporal server at ${address} did not answer within ${timeoutMs / 1000}s: ${String(lastError)}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './dev-server';
import { stopGracefully } from './processes';
import { ensurePythonTool } from './python-tool';

export const MOTO_VERSION = '5.2.5';

/** moto's server (a local AWS API for tests), installed once from PyPI. Returns the `moto_server` path. */
export function ensureMoto(log: (line: string) => void = (l) => console.error(l)): string {
  return ensurePythonTool({ name: 'moto', requirement: `moto[server]==${MOTO_VERSION}`, executable: 'moto_server' }, log);
}

export interface Moto {
  /** e.g. http://127.0.0.1:PORT, for an SDK client's `endpoint` */
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(timeoutMs = 60_000): Promise<Moto> {
  const server = ensureMoto();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(server, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = () => stopGracefully(child, 5_000);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.exitCode ?? child.signalCode}) before it answered on ${endpoint}:\n${stderr}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return { endpoint, stop };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await stop();
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs / 1000}s:\n${stderr}`);
}

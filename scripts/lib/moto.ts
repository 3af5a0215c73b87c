import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './dev-server';
import { stopGracefully } from './processes';
import { toolCacheDir, isExecutable } from './tool-cache';

export const MOTO_VERSION = '5.2.5';

/**
 * moto's server (a local AWS API for tests), installed once from PyPI into a venv at
 * `<cache>/moto` (Debian's system pip refuses installs). Returns the `moto_server` path.
 */
export function ensureMoto(log: (line: string) => void = (l) => console.error(l)): string {
  const venv = join(toolCacheDir(), 'moto');
  const server = join(venv, 'bin', 'moto_server');
  if (isExecutable(server)) return server;

  const python = spawnSync('python3', ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
  if (python.error || python.status !== 0) {
    throw new Error(
      'moto needs python3 with the venv module (and ensurepip), which was not found: install python3 and python3-venv ' +
        `(e.g. \`apt-get install python3-venv\`) and run again; cellshift installs moto ${MOTO_VERSION} once into ${venv}.`,
    );
  }
  log(`installing moto[server]==${MOTO_VERSION} into ${venv} (once)…`);
  rmSync(venv, { recursive: true, force: true }); // a half-made venv from an interrupted run
  try {
    execFileSync('python3', ['-m', 'venv', venv], { stdio: ['ignore', 'inherit', 'inherit'] });
    execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', `moto[server]==${MOTO_VERSION}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    rmSync(venv, { recursive: true, force: true }); // so the next run starts over instead of finding a broken venv
    throw new Error(`installing moto[server]==${MOTO_VERSION} into ${venv} failed: ${(err as Error).message}`, { cause: err });
  }
  if (!isExecutable(server)) throw new Error(`pip installed moto but ${server} is missing`);
  return server;
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

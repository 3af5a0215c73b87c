// `npm start` as a new user runs it: the embedded default (dev Temporal server, embedded database,
// worker, API, the demo fleet and its agent) comes up in a fresh data directory, Ctrl-C stops every
// part in order (the worker drains while Temporal still answers, nothing is killed, nothing keeps
// listening), and a second start finds what the first left.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../scripts/lib/dev-server';
import { EMBEDDED_DATABASE_PORT } from '../src/config';
import { waitFor } from './helpers/harness';

const ROOT = join(import.meta.dirname, '..');
/** The embedded default's fixed ports: the dev server, its Web UI, the database. */
const FIXED_PORTS = [7233, 8233, EMBEDDED_DATABASE_PORT];

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}


interface Started {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start`'s script with its output captured; resolves once the banner says it runs. */
async function start(dataDir: string, port: number): Promise<Started> {
  let output = '';
  // A new user's shell: no server, database or tokens configured.
  const env: NodeJS.ProcessEnv = { ...process.env, CELLSHIFT_DATA_DIR: dataDir, PORT: String(port) };
  for (const name of ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'CELLSHIFT_TOKENS', 'CELLSHIFT_TOKENS_FILE', 'CELLSHIFT_ADMIN_TOKEN', 'CELLSHIFT_TASK_QUEUE']) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ended = exited.then((code) => Promise.reject(new Error(`npm start ended (${code}) before it ran:\n${output}`)));
  await Promise.race([waitFor('the npm start banner', async () => (output.includes('cellshift is running') ? true : undefined), 240_000), ended]);
  ended.catch(() => undefined);
  return { process: child, output: () => output, exited };
}

describe('npm start', () => {
  it('runs the embedded default, stops every part on Ctrl-C, and starts again on what it kept', { timeout: 600_000 }, async () => {
    for (const port of FIXED_PORTS) {
      // Someone's own `npm start` on this machine: this test needs the same ports.
      expect(await listening(port), `port ${port} is taken (stop your own npm start first)`).toBe(false);
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-start-'));
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;

    const first = await start(dataDir, port);
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}` };
    const cells = (await (await fetch(`${api}/v1/cells`, { headers })).json()) as { cells: { id: string }[] };
    expect(cells.cells.map((c) => c.id)).toContain('staging-1');
    expect(cells.cells).toHaveLength(6);
    // The demo's agent cell: its agent, started by npm start, registers and reports in.
    await waitFor('the demo agent online', async () => {
      const cell = (await (await fetch(`${api}/v1/cells/dedicated-globex`, { headers })).json()) as { agent?: { status: string } };
      return cell.agent?.status === 'online' ? true : undefined;
    }, 120_000);

    // An update of the demo fleet, kept for the next start.
    const post = await fetch(`${api}/v1/cells/staging-1/updates`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ version: '1.2.0', window: 'now' }) });
    expect(post.status).toBe(202);
    const { id } = (await post.json()) as { id: string };
    await waitFor('the demo update', async () => {
      const update = (await (await fetch(`${api}/v1/updates/${id}`, { headers })).json()) as { status: string };
      return update.status === 'succeeded' ? true : undefined;
    }, 120_000);

    // Ctrl-C: the worker drains while Temporal still answers, then Temporal and the database stop.
    const stopping = Date.now();
    first.process.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(20_000); // the kill timer's 15 s never ran out
    expect(first.output()).toContain('stopping cellshift…');
    expect(first.output()).not.toMatch(/exited \(/); // no part ended on its own
    expect(readFileSync(join(dataDir, 'logs', 'worker.log'), 'utf8')).toContain("state: 'STOPPED'");
    for (const p of [...FIXED_PORTS, port]) expect(await listening(p), `port ${p} still listening`).toBe(false);

    // The next start keeps the generated token, the fleet and what happened to it.
    const second = await start(dataDir, port);
    try {
      const cell = await fetch(`${api}/v1/cells/staging-1`, { headers });
      expect(cell.status).toBe(200);
      expect(((await cell.json()) as { version: string }).version).toBe('1.2.0');
      expect((await fetch(`${api}/v1/cells`, { headers }).then((r) => r.json()) as { cells: unknown[] }).cells).toHaveLength(6);
    } finally {
      second.process.kill('SIGINT');
      expect(await second.exited).toBe(0);
    }
  });
});

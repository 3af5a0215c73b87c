// `npm start` as a new user runs it, in a terminal: the embedded default (dev Temporal server,
// embedded database, worker, API, the demo fleet and its agent) comes up in a fresh data directory.
// Ctrl-C is what a terminal sends: SIGINT to the whole foreground process group (npm, its shell,
// the starter), here twice and on a busy machine; every part stops in order, nothing keeps
// running, and a second start finds what the first kept. A starter killed outright leaves nothing
// running either, and a port someone else holds is named with its owner.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/lib/dev-server';
import { DEFAULT_AGENT_ENDPOINT_PORT, EMBEDDED_DATABASE_PORT } from '../src/config';
import { waitFor } from './helpers/harness';

const ROOT = join(import.meta.dirname, '..');
/** The embedded default's fixed ports: the dev server, its Web UI, the database, the agent endpoint. */
const FIXED_PORTS = [7233, 8233, EMBEDDED_DATABASE_PORT, DEFAULT_AGENT_ENDPOINT_PORT];

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process whose environment names the data directory: what this test's starts left running. */
function processesOf(dataDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirPids()) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`CELLSHIFT_DATA_DIR=${dataDir}`)) {
        found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
      }
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return found;
}

function readdirPids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => pid !== process.pid);
}

interface Started {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a terminal runs it: the leader of its own process group (the terminal's foreground group). */
function launch(dataDir: string, port: number): Omit<Started, 'exited'> & { exited: Promise<number | null> } {
  let output = '';
  // A new user's shell: no server, database or tokens configured.
  const env: NodeJS.ProcessEnv = { ...process.env, CELLSHIFT_DATA_DIR: dataDir, PORT: String(port) };
  for (const name of ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'CELLSHIFT_TOKENS', 'CELLSHIFT_TOKENS_FILE', 'CELLSHIFT_ADMIN_TOKEN', 'CELLSHIFT_TASK_QUEUE']) delete env[name];
  const child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

/** Resolves once the banner says cellshift runs. */
async function start(dataDir: string, port: number): Promise<Started> {
  const started = launch(dataDir, port);
  const ended = started.exited.then((code) => Promise.reject(new Error(`npm start ended (${code}) before it ran:\n${started.output()}`)));
  await Promise.race([waitFor('the npm start banner', async () => (started.output().includes('cellshift is running') ? true : undefined), 240_000), ended]);
  ended.catch(() => undefined);
  return started;
}

/** Ctrl-C in the terminal: SIGINT to the foreground process group. */
function ctrlC(started: Started): void {
  process.kill(-started.process.pid!, 'SIGINT');
}

/** Both cores busy, as on the machine where a part was once left running. */
function load(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

const cleanup: (() => void)[] = [];
afterAll(() => cleanup.forEach((f) => f()));

describe('npm start', () => {
  it('runs the embedded default, stops every part on a terminal Ctrl-C under load, and starts again on what it kept', { timeout: 600_000 }, async () => {
    for (const port of FIXED_PORTS) {
      // Someone's own `npm start` on this machine: this test needs the same ports.
      expect(await listening(port), `port ${port} is taken (stop your own npm start first)`).toBe(false);
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-start-'));
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;

    const first = await start(dataDir, port);
    cleanup.push(() => processesOf(dataDir).forEach((line) => process.kill(Number(line.split(':')[0]), 'SIGKILL')));
    // The token stays in its file: the banner names the file, never the token.
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(first.output()).not.toContain(token);
    expect(first.output()).toContain(join(dataDir, 'admin-token'));
    const headers = { authorization: `Bearer ${token}` };
    const cells = (await (await fetch(`${api}/v1/cells`, { headers })).json()) as { cells: { id: string }[] };
    expect(cells.cells.map((c) => c.id)).toContain('staging-1');
    expect(cells.cells).toHaveLength(6);
    // The demo's agent cell: its agent, started by npm start, registers and reports in.
    await waitFor('the demo agent online', async () => {
      const cell = (await (await fetch(`${api}/v1/cells/dedicated-globex`, { headers })).json()) as { agent?: { status: string } };
      return cell.agent?.status === 'online' ? true : undefined;
    }, 120_000);

    // An update of the demo fleet, kept for the next start; Ctrl-C comes the moment it reads succeeded.
    const post = await fetch(`${api}/v1/cells/staging-1/updates`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ version: '1.2.0', window: 'now' }) });
    expect(post.status).toBe(202);
    const { id } = (await post.json()) as { id: string };
    await waitFor('the demo update', async () => {
      const update = (await (await fetch(`${api}/v1/updates/${id}`, { headers })).json()) as { status: string };
      return update.status === 'succeeded' ? true : undefined;
    }, 120_000);

    const parts = JSON.parse(readFileSync(join(dataDir, 'run', 'parts.json'), 'utf8')) as { starter: number; parts: { name: string; pid: number }[] };
    expect(parts.parts.map((p) => p.name).sort()).toEqual(['agent-dedicated-globex', 'agent-endpoint', 'api', 'db', 'temporal', 'worker']);
    const burners = load();
    try {
      // Ctrl-C, and a second one while it stops (an impatient user; npm relays one too).
      const stopping = Date.now();
      ctrlC(first);
      await sleep(500);
      ctrlC(first);
      // npm itself may end at the second signal (it relays the first); the starter goes on stopping.
      await first.exited;
      await waitFor('the starter to end', async () => (alive(parts.starter) ? undefined : true), 60_000);
      expect(Date.now() - stopping).toBeLessThan(30_000); // no part needed the kill timer
    } finally {
      burners.forEach((b) => b.kill('SIGKILL'));
    }
    expect(first.output()).toContain('stopping cellshift…');
    expect(first.output()).not.toMatch(/exited \(/); // no part ended on its own
    expect(readFileSync(join(dataDir, 'logs', 'worker.log'), 'utf8')).toContain("state: 'STOPPED'");
    for (const part of parts.parts) expect(alive(part.pid), `${part.name} (pid ${part.pid}) still running`).toBe(false);
    expect(processesOf(dataDir)).toEqual([]);
    for (const p of [...FIXED_PORTS, port]) expect(await listening(p), `port ${p} still listening`).toBe(false);

    // The next start keeps the generated token, the fleet and what happened to it: the cell reads
    // the version its controller holds from the first request on.
    const second = await start(dataDir, port);
    try {
      const cell = await fetch(`${api}/v1/cells/staging-1`, { headers });
      expect(cell.status).toBe(200);
      expect(((await cell.json()) as { version: string }).version).toBe('1.2.0');
      expect((await fetch(`${api}/v1/cells`, { headers }).then((r) => r.json()) as { cells: unknown[] }).cells).toHaveLength(6);
    } finally {
      const { starter } = JSON.parse(readFileSync(join(dataDir, 'run', 'parts.json'), 'utf8')) as { starter: number };
      ctrlC(second);
      await second.exited; // npm ends by the signal, as in a terminal (130)
      await waitFor('the second starter to end', async () => (alive(starter) ? undefined : true), 60_000);
      expect(processesOf(dataDir)).toEqual([]);
    }
  });

  it('leaves nothing running when the starter is killed outright, and names who holds a port it needs', { timeout: 600_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-start-'));
    const port = await freePort();
    cleanup.push(() => processesOf(dataDir).forEach((line) => process.kill(Number(line.split(':')[0]), 'SIGKILL')));

    // A starter SIGKILLed (by a process manager, or the OOM killer): its parts notice and stop themselves.
    const first = await start(dataDir, port);
    const { starter } = JSON.parse(readFileSync(join(dataDir, 'run', 'parts.json'), 'utf8')) as { starter: number };
    process.kill(starter, 'SIGKILL');
    await waitFor('every part stopped by itself', async () => (processesOf(dataDir).filter((l) => !l.includes('npm')).length === 0 ? true : undefined), 60_000);
    first.process.kill('SIGKILL');
    for (const p of [...FIXED_PORTS, port]) expect(await listening(p), `port ${p} still listening`).toBe(false);

    // A part an earlier start left running (started without the channel that would have stopped it),
    // and someone else's server on the Temporal port: the start stops the first, names the second.
    const leftover = spawn(process.execPath, ['--import', 'tsx', 'scripts/db.ts'], { cwd: ROOT, env: { ...process.env, CELLSHIFT_DATA_DIR: dataDir }, stdio: 'ignore', detached: true });
    cleanup.push(() => leftover.kill('SIGKILL'));
    writeFileSync(join(dataDir, 'run', 'parts.json'), JSON.stringify({ starter: starter, parts: [{ name: 'db', pid: leftover.pid, script: 'scripts/db.ts' }] }));
    await waitFor('the leftover database listening', async () => ((await listening(EMBEDDED_DATABASE_PORT)) ? true : undefined));
    const squatter = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(7233, '127.0.0.1')`], { stdio: 'ignore' });
    cleanup.push(() => squatter.kill('SIGKILL'));
    await waitFor('the squatter listening', async () => ((await listening(7233)) ? true : undefined));
    const refused = launch(dataDir, port);
    expect(await refused.exited).not.toBe(0);
    expect(refused.output()).toContain(`stopped db (process group ${leftover.pid}), left running by an earlier start`);
    expect(refused.output()).toContain(`port 7233 (the embedded Temporal server; TEMPORAL_ADDRESS uses yours) is in use by pid ${squatter.pid}`);
    expect(alive(leftover.pid!)).toBe(false);
    expect(await listening(EMBEDDED_DATABASE_PORT)).toBe(false);
    expect(processesOf(dataDir).filter((l) => !l.includes('npm'))).toEqual([]);
    squatter.kill('SIGKILL');
    expect(existsSync(join(dataDir, 'admin-token'))).toBe(true);
  });
});

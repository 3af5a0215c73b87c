// `npm start`: the embedded default. Dev Temporal server (unless TEMPORAL_ADDRESS is set),
// worker and API as child processes, each writing to its own log under <dataDir>/logs, then the
// demo fleet seeded through the API and a short banner. Ctrl-C stops them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, temporalAddress } from '../src/config';
import { loadTokens } from '../src/api/tokens';
import { waitUntilServing } from './lib/dev-server';
import { findTemporalCli } from './lib/temporal-cli';
import { DEMO_CELLS, DEMO_PROMOTIONS, DEMO_RELEASES } from './seed/demo-fleet';
import { WORKER_NODE_FLAGS } from './lib/worker-flags';

const config = loadConfig();
const logDir = join(config.dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
const { tokens, generated } = loadTokens(config.dataDir);
const adminToken = tokens.find((t) => t.role === 'admin')?.token;
const children: { name: string; log: string; process: ChildProcess }[] = [];

/** A part of cellshift as a child process, its stdout and stderr appended to `<dataDir>/logs/<name>.log`. */
function run(name: string, script: string, flags: string[] = [], args: string[] = [], env: NodeJS.ProcessEnv = {}): void {
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  writeSync(fd, `--- npm start, ${new Date().toISOString()}\n`);
  // Its own process group: a Ctrl-C reaches only this process, which stops the parts in order.
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], { stdio: ['ignore', fd, fd], env: { ...process.env, ...env }, detached: true });
  closeSync(fd); // the child holds its own copy
  child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? `code ${code}`}); stopping cellshift. The end of ${log}:\n${tail(log)}`);
    void stop(1);
  });
  children.push({ name, log, process: child });
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '  (no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((line) => `  ${line}`).join('\n');
}

/** What the other parts stand on: stopped last, once the worker, API and agents have ended their work on them. */
const FOUNDATIONS = new Set(['temporal', 'db']);

let stopping = false;
async function stop(code = 0): Promise<never> {
  if (!stopping && code === 0) console.error('stopping cellshift…');
  stopping = true;
  const running = children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
  // The worker finishes its activities (5 s grace) while Temporal still answers; past 15 s it is stuck.
  await stopTogether(running.filter((c) => !FOUNDATIONS.has(c.name)), 15_000);
  await stopTogether(running.filter((c) => FOUNDATIONS.has(c.name)), 10_000);
  process.exit(code);
}

/** SIGTERM to each part, SIGKILL to those still running after `graceMs`. */
async function stopTogether(parts: typeof children, graceMs: number): Promise<void> {
  const exited = parts.map((c) => (c.process.exitCode === null && c.process.signalCode === null ? new Promise((r) => c.process.once('exit', r)) : undefined));
  for (const c of parts) c.process.kill('SIGTERM');
  const killer = setTimeout(() => parts.forEach((c) => c.process.kill('SIGKILL')), graceMs);
  await Promise.all(exited);
  clearTimeout(killer);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stop());

try {
  if (!config.temporalAddress) {
    findTemporalCli(); // builds it first if needed, with its own progress lines
    run('temporal', 'scripts/temporal.ts');
  }
  if (!config.databaseUrl) run('db', 'scripts/db.ts');
  await waitUntilServing(temporalAddress(config), undefined, 120_000);
  run('worker', 'worker.ts', WORKER_NODE_FLAGS);
  run('api', 'src/api/server.ts');

  const api = `http://127.0.0.1:${config.port}`;
  await waitForApi(api);
  const seeded = await seed(api);
  // The demo's agent cells run their agents here too; in a real fleet each runs inside its cell.
  // First started, an agent registers with a bootstrap token, as a customer's bootstrap would start it.
  for (const cell of DEMO_CELLS.filter((c) => c.connection === 'agent')) {
    run(`agent-${cell.id}`, 'agent.ts', [], ['--cell', cell.id, '--control-plane', api], await bootstrapToken(api, cell.id));
  }

  console.error(`
cellshift is running (Ctrl-C stops it)
  API      ${api}   (OpenAPI: ${api}/docs/json)
  Web UI   ${config.temporalAddress ? '(your Temporal server’s UI)' : 'http://localhost:8233'}
  token    ${generated ? `${generated} (admin, generated, kept in ${join(config.dataDir, 'admin-token')})` : 'from your configuration'}
  demo     ${seeded}
  data     ${config.dataDir}
  logs     ${children.map((c) => c.log).join('\n           ')}
try:
  export TOKEN=${generated ?? '<your admin token>'}
  curl -s -H "Authorization: Bearer $TOKEN" ${api}/v1/cells
`);
} catch (err) {
  if (!stopping) {
    console.error(`cellshift did not start: ${err instanceof Error ? err.message : String(err)}`);
    await stop(1);
  }
}

/** A bootstrap token for a demo agent that has not registered yet (its registration is kept in the data directory). */
async function bootstrapToken(base: string, cellId: string): Promise<NodeJS.ProcessEnv> {
  if (existsSync(join(config.dataDir, `agent-${cellId}.json`))) return {};
  const res = await fetch(`${base}/v1/cells/${cellId}/bootstrap-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ expiresInMinutes: 60 }),
  });
  if (!res.ok) throw new Error(`no bootstrap token for the demo's agent cell ${cellId}: ${res.status} ${await res.text()}`);
  return { CELLSHIFT_BOOTSTRAP_TOKEN: ((await res.json()) as { token: string }).token };
}

async function waitForApi(base: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the API did not come up on ${base}. The end of ${join(logDir, 'api.log')}:\n${tail(join(logDir, 'api.log'))}`);
}

/** Publishes the demo releases and registers the demo cells; what exists already is kept. */
async function seed(base: string): Promise<string> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  for (const release of DEMO_RELEASES) {
    const res = await fetch(`${base}/v1/releases`, { method: 'POST', headers, body: JSON.stringify(release) });
    if (res.status >= 300 && res.status !== 409) console.error(`seeding release ${release.version}: ${res.status} ${await res.text()}`);
    for (const ring of DEMO_PROMOTIONS[release.version] ?? []) {
      const promoted = await fetch(`${base}/v1/releases/${release.version}/promote`, { method: 'POST', headers, body: JSON.stringify({ ring }) });
      if (!promoted.ok) console.error(`promoting ${release.version} to ${ring}: ${promoted.status} ${await promoted.text()}`);
    }
  }
  for (const cell of DEMO_CELLS) {
    const res = await fetch(`${base}/v1/cells`, { method: 'POST', headers, body: JSON.stringify(cell) });
    if (res.status >= 300 && res.status !== 409) console.error(`seeding cell ${cell.id}: ${res.status} ${await res.text()}`);
  }
  return `${DEMO_RELEASES.length} releases and ${DEMO_CELLS.length} cells seeded (existing ones kept)`;
}
